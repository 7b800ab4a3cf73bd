"""Stable codes: the terminal API's error codes and the reasons a payment carries."""

from enum import StrEnum


class Reason(StrEnum):
    """Why a payment is held or failed (stable: kiosks and reports key on them)."""

    # held: passes by itself, the payment resumes
    TERMINAL_BLOCKED = "terminal_blocked"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    PROVIDER_DISABLED = "provider_disabled"
    # failed: needs a person (the correction queue)
    UNKNOWN_PROVIDER = "unknown_provider"
    ACCOUNT_FORMAT = "account_format"
    AMOUNT_OUT_OF_LIMITS = "amount_out_of_limits"
    AMOUNT_BELOW_MINIMUM = "amount_below_minimum"
    BLACKLISTED_ACCOUNT = "blacklisted_account"
    NO_ROUTE = "no_route"
    DECLINED = "declined"


class Flag(StrEnum):
    """Facts about a payment the dealer should see; never a reason to refuse it."""

    CLOCK_SKEW = "clock_skew"
    FEE_MISMATCH = "fee_mismatch"


class PaymentError(Exception):
    code = "payment_error"
    http_status = 400


class TxnConflict(PaymentError):
    """The same terminal + txn with other content."""

    code = "txn_conflict"
    http_status = 409


class IllegalTransition(PaymentError):
    code = "illegal_transition"
    http_status = 409
