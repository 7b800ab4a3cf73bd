"""Payment reasons, outcomes and flags in the operator's words (the codes stay stable; these are for people)."""

from django.utils.translation import gettext_lazy as _

from payments.errors import Flag, Reason

REASONS = {
    Reason.TERMINAL_BLOCKED: _("the terminal is blocked; the payment goes on once it is unblocked"),
    Reason.INSUFFICIENT_BALANCE: _("the dealer's balance is too low; the payment goes on after a top-up"),
    Reason.PROVIDER_DISABLED: _("the provider is switched off; the payment goes on once it is enabled"),
    Reason.UNKNOWN_PROVIDER: _("the terminal sent a provider code we do not know"),
    Reason.ACCOUNT_FORMAT: _("the account does not match the provider's format"),
    Reason.AMOUNT_OUT_OF_LIMITS: _("the amount is outside the provider's limits"),
    Reason.AMOUNT_BELOW_MINIMUM: _("after the fee, less than the provider's minimum remains"),
    Reason.BLACKLISTED_ACCOUNT: _("the account is on the blacklist"),
    Reason.NO_ROUTE: _("no gateway serves this provider"),
    Reason.DECLINED: _("the gateway or the provider declined the payment"),
    Reason.GATEWAY_UNAVAILABLE: _("the gateways were unavailable for too long"),
    Reason.NO_GATEWAY_AVAILABLE: _("every gateway of the route is off or its breaker is open"),
    Reason.GATEWAY_CONFIG: _("the gateway's configuration needs an admin; the payment is polled"),
    Reason.OUTCOME_UNKNOWN: _("no answer from the gateway for a day; still polled, check with the gateway"),
    "balance_topped_up": _("the balance was topped up"),
    "provider_enabled": _("the provider was enabled again"),
    "terminal_unblocked": _("the terminal was unblocked"),
    "rerouted": _("sent to the route's next gateway"),
}

OUTCOMES = {
    "ok": _("success"),
    "declined": _("declined (final at this gateway)"),
    "retry": _("temporary failure, not registered upstream"),
    "unknown": _("outcome unknown: may exist upstream, polled"),
    "config": _("our configuration error"),
}

FLAGS = {
    Flag.CLOCK_SKEW: _("the terminal's clock is ahead of ours"),
    Flag.FEE_MISMATCH: _("the fee on the cheque differs from our rules"),
}


def reason_text(code: str) -> str:
    """The reason in words; an unknown code is shown as it is."""
    return str(REASONS[code]) if code in REASONS else code


def outcome_text(code: str) -> str:
    return str(OUTCOMES[code]) if code in OUTCOMES else code


def flag_text(code: str) -> str:
    return str(FLAGS[code]) if code in FLAGS else code
