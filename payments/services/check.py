"""The online account check a kiosk asks for before taking cash (the terminal API's /checks).

It asks the first available gateway of the provider's route, with a short read timeout
(the customer is waiting at the kiosk). A check registers nothing upstream and records
nothing here but the gateway's health.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from gateways.adapters.base import Order, Outcome, not_registered
from gateways.breaker import breaker_record
from gateways.router import route_choose
from gateways.services import adapter_for, gateway_config
from kit.money import rub
from providers import selectors as catalogue

from . import outcomes


class CheckStatus(StrEnum):
    OK = "ok"                    # the gateway knows the account and would take the payment
    DECLINED = "declined"        # it says no (no such account, ...): show `message`
    UNAVAILABLE = "unavailable"  # no answer now: the kiosk may still take the payment


@dataclass(frozen=True)
class CheckResult:
    status: CheckStatus
    message: str = ""
    code: str = ""                              # the gateway's code, or ours (unknown_provider, no_route)
    extra: dict = field(default_factory=dict)   # e.g. text the gateway wants shown to the payer


def payment_check(*, provider, account: str, amount: Decimal, dealer=None, terminal: str = "") -> CheckResult:
    """Check `account` of `provider` (a Provider or its code) for `amount` of cash."""
    if isinstance(provider, str):
        provider = catalogue.provider_by_code(provider)
    if provider is None:
        return CheckResult(CheckStatus.DECLINED, "unknown provider", "unknown_provider")
    if not catalogue.account_matches(provider, account):
        return CheckResult(CheckStatus.DECLINED, "account format", "account_format")
    now = timezone.now()
    amount = rub(amount)
    credited = amount
    if dealer is not None:
        credited = catalogue.quote(provider=provider, dealer=dealer, amount=amount, at=now).credited
    choice = route_choose(provider=provider, dealer=dealer or _no_dealer(), take_trial=False)
    if choice.route is None:
        return CheckResult(CheckStatus.UNAVAILABLE, "no gateway available", "no_route")
    gateway = choice.route.gateway
    config = gateway_config(gateway)
    config = dataclasses.replace(config, read_timeout=min(config.read_timeout, settings.KIT_CHECK_TIMEOUT_SECONDS))
    adapter = adapter_for(gateway, config=config)
    order = Order(attempt_id=outcomes.new_attempt_id(), remote_id=choice.route.remote_id, account=account,
                  amount=amount, credited=credited, paid_at=now, terminal=terminal)
    result = not_registered(outcomes.call_safely(adapter.check, order, on_error=Outcome.RETRY))
    breaker_record(gateway, result)
    if result.outcome == Outcome.OK:
        return CheckResult(CheckStatus.OK, result.message, result.code, dict(result.extra))
    if result.outcome == Outcome.DECLINED:
        return CheckResult(CheckStatus.DECLINED, result.message, result.code, dict(result.extra))
    return CheckResult(CheckStatus.UNAVAILABLE, result.message, result.code)


class _NoDealer:
    """Routing without a dealer: only the default routes apply."""

    pk = None
    path = ""


def _no_dealer():
    return _NoDealer()


# -- the terminal API's /checks -------------------------------------------------------------------
@dataclass(frozen=True)
class CheckAnswer:
    """What /checks answers: ok true (the gateway accepts the account), false (it or we say no),
    None (nobody could say now: the kiosk decides)."""

    ok: bool | None
    code: str
    message: str = ""
    details: dict = field(default_factory=dict)

    def body(self) -> dict:
        return {"ok": self.ok, "code": self.code, "message": self.message, "details": self.details}


def _cache_key(provider_code: str, account: str, amount: Decimal, fields: dict) -> str:
    import hashlib
    import json

    raw = json.dumps([provider_code, account, f"{rub(amount):.2f}", fields], sort_keys=True, ensure_ascii=False)
    return "kit:check:" + hashlib.sha256(raw.encode()).hexdigest()


def account_check(*, terminal, provider_code: str, account: str, amount: Decimal,
                  fields: dict | None = None) -> CheckAnswer:
    """The kiosk's question before it takes the cash: would this account be paid?

    Unknown or disabled provider, a field out of format and a blacklisted account are answered
    here without a gateway. Otherwise the provider's first available gateway is asked (with
    KIT_CHECK_TIMEOUT_SECONDS); definite answers are cached for KIT_CHECK_CACHE_SECONDS per
    provider + account + amount (+ fields), an `unavailable` one never.
    """
    from django.core.cache import cache

    fields = fields or {}
    snap = catalogue.snapshot()
    provider = catalogue.provider_by_code(provider_code, snap)
    if provider is None:
        return CheckAnswer(False, "unknown_provider", "No such provider.")
    if not provider.is_active:
        return CheckAnswer(False, "provider_disabled", "The provider does not take payments now.")
    bad = catalogue.fields_invalid(provider, account, fields, snap)
    if bad is not None:
        return CheckAnswer(False, "account_format", "The field does not match its format.", {"field": bad})
    if catalogue.account_blacklisted(provider, account, snap):
        return CheckAnswer(False, "blacklisted", "Payments to this account are not accepted.")
    key = _cache_key(provider.code, account, amount, fields)
    cached = cache.get(key)
    if cached is not None:
        return CheckAnswer(**cached)
    result = payment_check(provider=provider, account=account, amount=amount, dealer=terminal.dealer,
                           terminal=terminal.number)
    if result.status == CheckStatus.OK:
        answer = CheckAnswer(True, "ok", result.message, dict(result.extra))
    elif result.status == CheckStatus.DECLINED:
        answer = CheckAnswer(False, "account_not_found", result.message,
                             {"gateway_code": result.code, **dict(result.extra)})
    else:
        return CheckAnswer(None, "unavailable", result.message or "The provider cannot be asked now.",
                           {"gateway_code": result.code} if result.code else {})
    seconds = settings.KIT_CHECK_CACHE_SECONDS
    if seconds > 0:
        cache.set(key, {"ok": answer.ok, "code": answer.code, "message": answer.message,
                        "details": answer.details}, seconds)
    return answer
