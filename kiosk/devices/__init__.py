"""The kiosk's devices: CCNET bill validator, ESC/POS receipt printer, fiscal-registrar seam, simulators.

Plain Python over pyserial; nothing here imports Django or the server's apps.
"""
