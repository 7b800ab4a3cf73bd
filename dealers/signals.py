"""Signals other apps listen to; dealers imports none of them.

`topped_up(dealer_id=...)`: sent inside the top-up's transaction; payments resumes the
dealer's held payments on commit (payments/apps.py).

`balance_changed(dealer_ids=[...])`: sent inside the transaction of a person's top-up, transfer
or threshold change; alerts re-judges those dealers' `balance_low` on commit (alerts/apps.py).
Payment debits, refunds and rewards do not send it: the alerts sweep picks them up.
"""

from django.dispatch import Signal

topped_up = Signal()
balance_changed = Signal()
