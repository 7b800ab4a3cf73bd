"""The one catalogue of alert codes. A code is stable: stored in rows, chosen by users, sent to notifiers.

Adding a code: a member here, its rule in detect.py (or a caller of `alert_open`), a test.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Code(models.TextChoices):
    OFFLINE = "offline", _("terminal offline")
    VALIDATOR_FAILURE = "validator_failure", _("bill validator failure or jam")
    CASSETTE_NEAR_FULL = "cassette_near_full", _("cassette nearly full")
    CASSETTE_FULL = "cassette_full", _("cassette full")
    CASSETTE_REMOVED = "cassette_removed", _("cassette removed without an encashment")
    PAPER_LOW = "paper_low", _("printer paper low")
    PAPER_OUT = "paper_out", _("printer out of paper")
    PRINTER_COVER_OPEN = "printer_cover_open", _("printer cover open")
    DOOR_OPEN = "door_open", _("door open")
    QUEUE_STALE = "queue_stale", _("unsent payments waiting too long")
    PAYMENTS_REJECTED = "payments_rejected", _("payments rejected by the server")
    CLOCK_SKEW = "clock_skew", _("terminal clock is off")
    BALANCE_LOW = "balance_low", _("available balance below the threshold")


# Codes about one terminal (the rest are about the dealer as a whole).
TERMINAL_CODES = frozenset(Code) - {Code.BALANCE_LOW}
