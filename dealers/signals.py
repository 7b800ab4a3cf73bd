"""Signals other apps listen to; dealers imports none of them.

`topped_up(dealer_id=...)`: sent inside the top-up's transaction; payments resumes the
dealer's held payments on commit (payments/apps.py).
"""

from django.dispatch import Signal

topped_up = Signal()
