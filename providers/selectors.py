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
from django.utils import timezone

from kit.money import ZERO, percent_of, rub

from .models import BlacklistedAccount, FeeRule, Provider, ProviderField, RewardRule


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
    blacklist: frozenset[tuple[int | None, str]]   # exact entries without expiry
    fields: dict[int, list[ProviderField]] = field(default_factory=dict)  # provider id -> extra fields, in order
    blacklist_rules: tuple = ()  # (provider id | None, kind, value, compiled | None, expires_at | None)
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
        fresh = snapshot_load()
        _snapshot = fresh
        return fresh


def snapshot_load() -> Snapshot:
    """The catalogue read now (five queries): what acceptance, checks and previews judge by."""
    fields: dict[int, list[ProviderField]] = {}
    for f in ProviderField.objects.order_by("provider_id", "position", "name"):
        fields.setdefault(f.provider_id, []).append(f)
    exact, rules = set(), []
    now = timezone.now()
    for entry in BlacklistedAccount.objects.exclude(expires_at__lte=now).order_by("pk"):
        if entry.kind == BlacklistedAccount.Kind.EXACT and entry.expires_at is None:
            exact.add((entry.provider_id, entry.account))
            continue
        value = entry.account
        compiled = None
        if entry.kind == BlacklistedAccount.Kind.PHONE:
            value = phone_normalize(value) or value
        elif entry.kind == BlacklistedAccount.Kind.PATTERN:
            compiled = _pattern(value)
            if compiled is None:
                continue
        rules.append((entry.provider_id, entry.kind, value, compiled, entry.expires_at))
    return Snapshot(
        providers={p.code: p for p in Provider.objects.select_related("category")},
        fee_rules=_rules(FeeRule),
        reward_rules=_rules(RewardRule),
        blacklist=frozenset(exact),
        fields=fields,
        blacklist_rules=tuple(rules),
    )


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


# -- rewards per level of the dealer tree --------------------------------------------------------
@dataclass(frozen=True)
class RewardRate:
    """A dealer's effective reward rate: percent of the credited sum plus fixed."""

    percent: Decimal
    fixed: Decimal

    def amount(self, credited: Decimal) -> Decimal:
        return rub(percent_of(credited, self.percent) + self.fixed)


def reward_rates(*, provider_id: int, dealer, at: datetime,
                 snap: Snapshot | None = None) -> list[tuple[int | None, RewardRate | None]]:
    """(dealer id, effective rate or None) for the dealer's chain, root first, at `at`.

    A root dealer has its own rule, else the provider's default (a rule without a dealer). A
    sub-agent has only its own rule, which its parent sets: without one it earns nothing; with
    one, its percent and its fixed part are each capped at its parent's effective rate (a
    parent's lowered rate lowers its children's without rewriting their rules).
    """
    snap = snap or snapshot()
    rules = snap.reward_rules.get(provider_id, [])
    own: dict[int | None, RewardRule] = {}
    for r in rules:  # newest first: the first in force per dealer wins
        if r.valid_from <= at and (r.valid_to is None or r.valid_to > at):
            own.setdefault(r.dealer_id, r)
    chain: list[int | None] = list(reversed(_dealer_chain(dealer))) or [None]
    out: list[tuple[int | None, RewardRate | None]] = []
    parent: RewardRate | None = None
    for depth, dealer_id in enumerate(chain):
        rule = own.get(dealer_id) if dealer_id is not None else None
        if depth == 0:
            rule = rule or own.get(None)
            rate = RewardRate(rule.percent, rule.fixed) if rule else None
        elif rule is None or parent is None:
            rate = None
        else:
            rate = RewardRate(min(rule.percent, parent.percent), min(rule.fixed, parent.fixed))
        out.append((dealer_id, rate))
        parent = rate
    return out


def reward_for(*, provider: Provider, dealer, credited: Decimal, at: datetime,
               snap: Snapshot | None = None) -> Decimal:
    """The dealer's own reward on the credited sum (its effective rate, see reward_rates)."""
    rate = reward_rates(provider_id=provider.pk, dealer=dealer, at=at, snap=snap)[-1][1]
    return rate.amount(credited) if rate else ZERO


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


def fields_invalid(provider: Provider, account: str, fields: dict | None,
                   snap: Snapshot | None = None) -> str | None:
    """The name of the first account field that fails its format (`account` first), or None.

    Extra fields come from the snapshot (no query); a required field that is missing or empty
    fails, an optional one may be absent or empty. Keys the provider does not declare are ignored.
    """
    if not account_matches(provider, account):
        return "account"
    fields = fields or {}
    for f in (snap or snapshot()).fields.get(provider.pk, ()):
        value = fields.get(f.name, "")
        if value == "":
            if f.required:
                return f.name
            continue
        pattern = _pattern(f.regex)
        if pattern is None or not isinstance(value, str) or pattern.fullmatch(value) is None:
            return f.name
    return None


PHONE_RE = re.compile(r"(?:\+7|8|7)?(9[0-9]{9})")


def phone_normalize(text: str) -> str | None:
    """A Russian mobile number in any of +79161234567, 89161234567, 79161234567, 9161234567
    (spaces, dashes and brackets ignored) -> its ten digits 9161234567; None otherwise."""
    if not isinstance(text, str) or len(text) > 32:
        return None
    compact = re.sub(r"[\s()\-]", "", text)
    m = PHONE_RE.fullmatch(compact)
    return m.group(1) if m else None


def account_blacklisted(provider: Provider | None, account: str, snap: Snapshot | None = None) -> bool:
    """Blocked for every provider, or for this one: exact, phone, prefix or pattern, not expired."""
    snap = snap or snapshot()
    blacklist = snap.blacklist
    pid = provider.pk if provider is not None else None
    if (None, account) in blacklist or (pid is not None and (pid, account) in blacklist):
        return True
    if not snap.blacklist_rules:
        return False
    now = timezone.now()
    phone = None
    for provider_id, kind, value, compiled, expires_at in snap.blacklist_rules:
        if provider_id is not None and provider_id != pid:
            continue
        if expires_at is not None and expires_at <= now:
            continue
        if kind == "exact":
            hit = account == value
        elif kind == "phone":
            phone = phone if phone is not None else (phone_normalize(account) or "")
            hit = phone == value
        elif kind == "prefix":
            hit = account.startswith(value)
        else:
            hit = compiled.fullmatch(account) is not None
        if hit:
            return True
    return False


# -- what each terminal offers --------------------------------------------------------------------
def dealer_allowed_provider_ids(dealer) -> set[int] | None:
    """Providers the dealer may offer: the intersection of the admins' lists for it and every dealer
    above it; None when no list restricts it (every active provider). One query."""
    from .models import DealerProviders

    lists: dict[int, set[int]] = {}
    for dealer_id, provider_id in DealerProviders.objects.filter(
            dealer_id__in=_dealer_chain(dealer) or [dealer.pk]).values_list("dealer_id", "providers"):
        ids = lists.setdefault(dealer_id, set())
        if provider_id is not None:  # an empty list (LEFT JOIN): nothing allowed
            ids.add(provider_id)
    allowed = None
    for ids in lists.values():
        allowed = ids if allowed is None else allowed & ids
    return allowed


def terminal_providers(terminal):
    """The providers the terminal's /config lists: its dealer's choice for it, within what the admins
    allow the dealer and every dealer above it, active ones only; categories in order.

    The allowance is a NOT EXISTS in the same query (no list of a dealer in the chain lacks the
    provider), so /config pays no extra statement for it.
    """
    from django.db.models import Exists, OuterRef

    from .models import DealerProviders

    through = DealerProviders.providers.through
    lacking = DealerProviders.objects.filter(dealer_id__in=_dealer_chain(terminal.dealer) or [terminal.dealer_id]
                                             ).exclude(Exists(through.objects.filter(
                                                 dealerproviders_id=OuterRef("pk"), provider_id=OuterRef(OuterRef("pk")))))
    return (terminal.providers.filter(is_active=True).exclude(Exists(lacking))
            .select_related("category").prefetch_related("fields")
            .order_by("category__position", "category__name", "name", "code"))
