"""Reads of the provider catalogue: rules in force, blacklist, quotes.

Acceptance reads the catalogue on every payment, so it reads a per-process snapshot
(providers, fee and reward rules, blacklist) that is reloaded every KIT_CATALOGUE_TTL
seconds: four queries a few times a minute instead of four per payment. A change made in
the admin reaches acceptance within that time; rules are kept with their validity, so the
rule in force at the payment's `paid_at` is still the one applied.
"""

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from django.conf import settings

from kit.money import ZERO, percent_of, rub

from .models import BlacklistedAccount, FeeRule, Provider, RewardRule


@dataclass(frozen=True)
class Quote:
    """What a cash amount splits into under the rules in force."""

    amount: Decimal
    fee: Decimal
    credited: Decimal
    reward: Decimal


@dataclass
class Snapshot:
    providers: dict[str, Provider]
    fee_rules: dict[int, list[FeeRule]]        # provider id -> rules, newest valid_from first
    reward_rules: dict[int, list[RewardRule]]
    blacklist: frozenset[tuple[int | None, str]]
    loaded_at: float = field(default_factory=time.monotonic)


_snapshot: Snapshot | None = None
_lock = threading.Lock()


def _rules(model) -> dict[int, list]:
    by_provider: dict[int, list] = {}
    for rule in model.objects.order_by("-valid_from", "-id"):
        by_provider.setdefault(rule.provider_id, []).append(rule)
    return by_provider


def snapshot() -> Snapshot:
    """The catalogue as of at most KIT_CATALOGUE_TTL seconds ago (0: always fresh)."""
    global _snapshot
    ttl = settings.KIT_CATALOGUE_TTL
    current = _snapshot
    if current is not None and ttl > 0 and time.monotonic() - current.loaded_at < ttl:
        return current
    with _lock:
        if _snapshot is not None and ttl > 0 and time.monotonic() - _snapshot.loaded_at < ttl:
            return _snapshot
        fresh = Snapshot(
            providers={p.code: p for p in Provider.objects.select_related("category")},
            fee_rules=_rules(FeeRule),
            reward_rules=_rules(RewardRule),
            blacklist=frozenset(BlacklistedAccount.objects.values_list("provider_id", "account")),
        )
        _snapshot = fresh
        return fresh


def catalogue_invalidate() -> None:
    """Forget the snapshot (tests, and after a bulk catalogue change in this process)."""
    global _snapshot
    _snapshot = None


def provider_by_code(code: str, snap: Snapshot | None = None) -> Provider | None:
    return (snap or snapshot()).providers.get(code)


def _dealer_chain(dealer) -> list[int]:
    """The dealer's id, then its ancestors' ids, nearest first (from the materialised path)."""
    return [int(x) for x in reversed(dealer.path.strip("/").split("/")) if x]


def rule_in_force(model, *, provider: Provider, dealer, at: datetime, snap: Snapshot | None = None):
    """The rule of `model` for the provider at `at`: the nearest dealer override, else the default."""
    snap = snap or snapshot()
    rules = (snap.fee_rules if model is FeeRule else snap.reward_rules).get(provider.pk, [])
    in_force = [r for r in rules if r.valid_from <= at and (r.valid_to is None or r.valid_to > at)]
    for dealer_id in [*_dealer_chain(dealer), None]:
        for rule in in_force:
            if rule.dealer_id == dealer_id:
                return rule
    return None


def fee_for(*, provider: Provider, dealer, amount: Decimal, at: datetime, snap: Snapshot | None = None) -> Decimal:
    """The customer's fee on the cash amount: percent + fixed, at least the minimum, at most the amount."""
    rule = rule_in_force(FeeRule, provider=provider, dealer=dealer, at=at, snap=snap)
    if rule is None:
        return ZERO
    fee = max(percent_of(amount, rule.percent) + rule.fixed, rule.minimum)
    return min(rub(fee), amount)


def reward_for(*, provider: Provider, dealer, credited: Decimal, at: datetime,
               snap: Snapshot | None = None) -> Decimal:
    """The dealer's reward on the credited sum."""
    rule = rule_in_force(RewardRule, provider=provider, dealer=dealer, at=at, snap=snap)
    if rule is None:
        return ZERO
    return rub(percent_of(credited, rule.percent) + rule.fixed)


def quote(*, provider: Provider, dealer, amount: Decimal, at: datetime, snap: Snapshot | None = None) -> Quote:
    amount = rub(amount)
    fee = fee_for(provider=provider, dealer=dealer, amount=amount, at=at, snap=snap)
    credited = amount - fee
    return Quote(amount=amount, fee=fee, credited=credited,
                 reward=reward_for(provider=provider, dealer=dealer, credited=credited, at=at, snap=snap))


@lru_cache(maxsize=256)
def _pattern(regex: str) -> re.Pattern | None:
    try:
        return re.compile(regex)
    except re.error:
        return None


def account_matches(provider: Provider, account: str) -> bool:
    pattern = _pattern(provider.account_format)
    return pattern is not None and pattern.fullmatch(account) is not None


def account_blacklisted(provider: Provider | None, account: str, snap: Snapshot | None = None) -> bool:
    """Blocked for every provider, or for this one."""
    blacklist = (snap or snapshot()).blacklist
    return (None, account) in blacklist or (provider is not None and (provider.pk, account) in blacklist)
