"""The payment flow: the table of states and moves (table.py), the machine that drives the devices
(machine.py), the offline policy (policy.py) and the cheque's content (receipts.py)."""

from .machine import Flow
from .table import MOVES, Devices, Link, MoveRefused, S

__all__ = ["MOVES", "Devices", "Flow", "Link", "MoveRefused", "S"]
