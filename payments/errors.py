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
    GATEWAY_UNAVAILABLE = "gateway_unavailable"  # retried at every gateway for too long
    # processing, still working by itself; shown to support
    NO_GATEWAY_AVAILABLE = "no_gateway_available"  # every gateway of the route is off or its breaker open
    GATEWAY_CONFIG = "gateway_config"              # pinned to a gateway an admin must fix; polled
    OUTCOME_UNKNOWN = "outcome_unknown"            # polled for a day without an answer: support looks


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
