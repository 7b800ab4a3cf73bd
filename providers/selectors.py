"""Reads of the provider catalogue: rules in force, blacklist, quotes."""

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Q

from kit.money import ZERO, percent_of, rub

from .models import BlacklistedAccount, FeeRule, Provider, RewardRule


@dataclass(frozen=True)
class Quote:
    """What a cash amount splits into under the rules in force."""

    amount: Decimal
    fee: Decimal
    credited: Decimal
    reward: Decimal


def provider_by_code(code: str) -> Provider | None:
    return Provider.objects.select_related("category").filter(code=code).first()


def _dealer_chain(dealer) -> list[int]:
    """The dealer's id, then its ancestors' ids, nearest first (from the materialised path)."""
    return [int(x) for x in reversed(dealer.path.strip("/").split("/")) if x]


def rule_in_force(model, *, provider: Provider, dealer, at: datetime):
    """The rule of `model` for the provider at `at`: the nearest dealer override, else the default."""
    rules = list(
        model.objects.filter(provider=provider, valid_from__lte=at)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        .filter(Q(dealer__isnull=True) | Q(dealer_id__in=_dealer_chain(dealer)))
        .order_by("-valid_from", "-id")
    )
    for dealer_id in [*_dealer_chain(dealer), None]:
        for rule in rules:
            if rule.dealer_id == dealer_id:
                return rule
    return None


def fee_for(*, provider: Provider, dealer, amount: Decimal, at: datetime) -> Decimal:
    """The customer's fee on the cash amount: percent + fixed, at least the minimum, at most the amount."""
    rule = rule_in_force(FeeRule, provider=provider, dealer=dealer, at=at)
    if rule is None:
        return ZERO
    fee = max(percent_of(amount, rule.percent) + rule.fixed, rule.minimum)
    return min(rub(fee), amount)


def reward_for(*, provider: Provider, dealer, credited: Decimal, at: datetime) -> Decimal:
    """The dealer's reward on the credited sum."""
    rule = rule_in_force(RewardRule, provider=provider, dealer=dealer, at=at)
    if rule is None:
        return ZERO
    return rub(percent_of(credited, rule.percent) + rule.fixed)


def quote(*, provider: Provider, dealer, amount: Decimal, at: datetime) -> Quote:
    amount = rub(amount)
    fee = fee_for(provider=provider, dealer=dealer, amount=amount, at=at)
    credited = amount - fee
    return Quote(amount=amount, fee=fee, credited=credited,
                 reward=reward_for(provider=provider, dealer=dealer, credited=credited, at=at))


def account_matches(provider: Provider, account: str) -> bool:
    try:
        return re.fullmatch(provider.account_format, account) is not None
    except re.error:
        return False


def account_blacklisted(provider: Provider | None, account: str) -> bool:
    qs = BlacklistedAccount.objects.filter(account=account)
    if provider is not None:
        qs = qs.filter(Q(provider__isnull=True) | Q(provider=provider))
    else:
        qs = qs.filter(provider__isnull=True)
    return qs.exists()
