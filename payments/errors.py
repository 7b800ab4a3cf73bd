"""Stable codes: the terminal API's error codes and the reasons a payment carries."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


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


class ActionCode(StrEnum):
    """Why an operator's action on a payment was refused (stable: tests and the console key on them)."""

    STATE = "state_not_allowed"                # the payment's status does not allow the action
    AMBIGUOUS = "outcome_ambiguous"            # an attempt's outcome is not known: poll or resolve first
    IN_FLIGHT = "attempt_in_flight"            # a worker is calling the gateway right now
    COMMENT_REQUIRED = "comment_required"
    REFERENCE_REQUIRED = "reference_required"  # the gateway's reference (resolution, reversal)
    BLACKLISTED = "blacklisted_account"
    UNKNOWN_PROVIDER = "unknown_provider"
    PROVIDER_DISABLED = "provider_disabled"
    ACCOUNT_FORMAT = "account_format"
    AMOUNT_OUT_OF_LIMITS = "amount_out_of_limits"
    AMOUNT_BELOW_MINIMUM = "amount_below_minimum"
    NOTHING_TO_CORRECT = "nothing_to_correct"  # the same account and provider again
    NOTHING_SELECTED = "nothing_selected"      # a bulk resend of an empty selection
    # four eyes
    NOT_SENIOR = "not_senior"
    OWN_REQUEST = "own_request"
    NOT_PENDING = "request_not_pending"
    EXPIRED = "request_expired"
    PAYMENT_MOVED = "payment_moved"            # the payment changed since the request was made


ACTION_MESSAGES = {
    ActionCode.STATE: _("The payment's status does not allow this action."),
    ActionCode.AMBIGUOUS: _("The gateway's answer is not known yet: poll it or resolve the outcome first."),
    ActionCode.IN_FLIGHT: _("A worker is sending this payment to the gateway right now; try again in a minute."),
    ActionCode.COMMENT_REQUIRED: _("A comment is required."),
    ActionCode.REFERENCE_REQUIRED: _("The gateway's reference is required."),
    ActionCode.BLACKLISTED: _("The account is blacklisted."),
    ActionCode.UNKNOWN_PROVIDER: _("No such provider in the catalogue."),
    ActionCode.PROVIDER_DISABLED: _("The provider is disabled."),
    ActionCode.ACCOUNT_FORMAT: _("The account does not match the provider's format."),
    ActionCode.AMOUNT_OUT_OF_LIMITS: _("The amount is outside the provider's limits."),
    ActionCode.AMOUNT_BELOW_MINIMUM: _("The credited sum would be below the provider's minimum."),
    ActionCode.NOTHING_TO_CORRECT: _("The account and the provider are the same as now."),
    ActionCode.NOTHING_SELECTED: _("No payment matches the selection."),
    ActionCode.NOT_SENIOR: _("Only senior support may approve."),
    ActionCode.OWN_REQUEST: _("Nobody approves their own request."),
    ActionCode.NOT_PENDING: _("The request was already decided."),
    ActionCode.EXPIRED: _("The request has expired."),
    ActionCode.PAYMENT_MOVED: _("The payment changed since the request was made."),
}


class ActionRefused(PaymentError):
    """An operator's action that was not done; nothing changed. `code` is an ActionCode."""

    http_status = 409

    def __init__(self, code: ActionCode, detail: str = ""):
        self.code = str(code)
        self.detail = detail
        super().__init__(f"{code}{': ' + detail if detail else ''}")

    @property
    def message(self) -> str:
        text = str(ACTION_MESSAGES.get(self.code, self.code))
        return f"{text} ({self.detail})" if self.detail else text
