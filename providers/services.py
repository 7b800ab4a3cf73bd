"""Catalogue operations: dated rules, enabling and disabling, blacklists, what each terminal offers.

Every operation owns its transaction and writes its history row in it; the acceptance
snapshot is dropped in this process afterwards (other processes see the change within
KIT_CATALOGUE_TTL seconds).
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors
from .models import (
    BlacklistChange,
    BlacklistedAccount,
    DealerProviders,
    FeeRule,
    Provider,
    ProviderStateChange,
)

# -- account fields ------------------------------------------------------------------------------
# The gateway simulators pick a test path by an account's last four digits (0001..0007), so the
# kiosk's example with any other last four digits must still be a valid account.
_TAILS = ("0000", "0001", "0002", "0003", "0004", "0005", "0006", "0007", "1234", "9999")


def field_example_problem(regex: str, example: str) -> str | None:
    """Why `example` is not a good example of `regex` (translated text), or None when it is."""
    pattern = selectors._pattern(regex or "")
    if pattern is None:
        return _("Not a valid regular expression.")
    if pattern.fullmatch(example or "") is None:
        return _("The example does not match the format.")
    if len(example) < 4 or not all(pattern.fullmatch(example[:-4] + tail) for tail in _TAILS):
        return _("The example must stay valid with any other last four digits (the simulators' test "
                 "accounts end in 0001–0007).")
    return None


# -- dated rules ---------------------------------------------------------------------------------
def rule_overlaps(model, *, provider_id: int, dealer_id: int | None, valid_from: datetime,
                  valid_to: datetime | None, exclude_pk: int | None = None) -> list:
    """Rules of the same scope (provider, or provider + dealer) whose period meets [valid_from, valid_to)."""
    qs = model.objects.filter(provider_id=provider_id, dealer_id=dealer_id)
    qs = qs.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=valid_from))
    if valid_to is not None:
        qs = qs.filter(valid_from__lt=valid_to)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs.order_by("valid_from", "pk"))


def rule_describe(rule) -> str:
    kind = _("fee rule") if isinstance(rule, FeeRule) else _("reward rule")
    until = f"{rule.valid_to:%Y-%m-%d %H:%M}" if rule.valid_to else "…"
    return f"{kind} #{rule.pk} ({rule.percent}% + {rule.fixed}, {rule.valid_from:%Y-%m-%d %H:%M} – {until})"


def rule_validate(rule, *, original=None, now: datetime | None = None) -> None:
    """ValidationError unless `rule` may be saved: no overlap in its scope, and a rule that has been
    in force is only closed (its valid_to set, not in the past), never otherwise changed.

    `original` is the rule as stored (None for a new rule).
    """
    now = now or timezone.now()
    if rule.valid_to is not None and rule.valid_to <= rule.valid_from:
        raise ValidationError({"valid_to": _("The end must be after the start.")})
    if original is not None and original.valid_from <= now:
        changed = [name for name in ("provider_id", "dealer_id", "percent", "fixed", "valid_from", "minimum")
                   if hasattr(original, name) and getattr(original, name) != getattr(rule, name)]
        if changed:
            raise ValidationError(_("This rule has been in force since %(since)s: it cannot be changed, only "
                                    "closed (set “valid to”) and followed by a new rule.")
                                  % {"since": f"{original.valid_from:%Y-%m-%d %H:%M}"})
        if original.valid_to is not None and original.valid_to <= now and rule.valid_to != original.valid_to:
            raise ValidationError({"valid_to": _("This rule has ended: its end cannot move.")})
        if rule.valid_to != original.valid_to and (rule.valid_to is None or rule.valid_to < now):
            raise ValidationError({"valid_to": _("A rule in force can only be closed from now on, not in "
                                                 "the past: payments were priced by it.")})
    clash = rule_overlaps(type(rule), provider_id=rule.provider_id, dealer_id=rule.dealer_id,
                          valid_from=rule.valid_from, valid_to=rule.valid_to, exclude_pk=rule.pk)
    if clash:
        raise ValidationError(_("%(rule)s overlaps %(other)s for the same provider and dealer.")
                              % {"rule": rule_describe(rule) if rule.pk else _("the new rule"),
                                 "other": ", ".join(rule_describe(r) for r in clash)})


def rule_save(*, rule, actor: str = "", now: datetime | None = None) -> object:
    """Create a rule, or close one (see rule_validate); refuses overlaps naming both rules.

    `now`: the caller's "now" when it closes a rule at the moment it read the clock.
    """
    with transaction.atomic():
        original = None
        if rule.pk:
            original = type(rule).objects.select_for_update().get(pk=rule.pk)
        rule_validate(rule, original=original, now=now)
        rule.save()
    selectors.catalogue_invalidate()
    return rule


def rule_close(*, rule, at: datetime, actor: str = "") -> object:
    """End a rule at `at` (now or later): the next rule may start there."""
    rule.valid_to = at
    return rule_save(rule=rule, actor=actor, now=at)


def rule_delete_allowed(rule, *, now: datetime | None = None) -> bool:
    """Only a rule that has never been in force may be deleted."""
    return rule.valid_from > (now or timezone.now())


# -- enabling and disabling -----------------------------------------------------------------------
def provider_set_active(*, providers, active: bool, reason: str, actor: str) -> list[Provider]:
    """Enable or disable providers, each change a row in the provider's history; returns those changed.

    A reason is required. Payments held because their provider was disabled resume through the
    sweeper once it is enabled again.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why.")})
    changed = []
    with transaction.atomic():
        for provider in Provider.objects.select_for_update().filter(
                pk__in=[p.pk for p in providers]).order_by("pk"):
            if provider.is_active == active:
                continue
            provider.is_active = active
            provider.save(update_fields=["is_active"])
            ProviderStateChange.objects.create(provider=provider, is_active=active, reason=reason[:255],
                                               actor=actor[:150])
            changed.append(provider)
    selectors.catalogue_invalidate()
    return changed


# -- blacklist ------------------------------------------------------------------------------------
def _entry_data(entry: BlacklistedAccount) -> dict:
    return {"provider": entry.provider.code if entry.provider_id else None, "kind": entry.kind,
            "account": entry.account, "reason": entry.reason,
            "expires_at": entry.expires_at.isoformat() if entry.expires_at else None}


def blacklist_validate(entry: BlacklistedAccount) -> None:
    if entry.kind == BlacklistedAccount.Kind.PATTERN and selectors._pattern(entry.account) is None:
        raise ValidationError({"account": _("Not a valid regular expression.")})
    if entry.kind == BlacklistedAccount.Kind.PHONE and selectors.phone_normalize(entry.account) is None:
        raise ValidationError({"account": _("Not a Russian mobile number.")})


def blacklist_save(*, entry: BlacklistedAccount, actor: str) -> BlacklistedAccount:
    """Add or change an entry; the change is kept in its history."""
    blacklist_validate(entry)
    if entry.kind == BlacklistedAccount.Kind.PHONE:
        entry.account = selectors.phone_normalize(entry.account)
    with transaction.atomic():
        action = "changed" if entry.pk else "added"
        if not entry.pk and not entry.created_by:
            entry.created_by = actor[:150]
        entry.save()
        BlacklistChange.objects.create(entry=entry, action=action, data=_entry_data(entry), actor=actor[:150])
    selectors.catalogue_invalidate()
    return entry


def blacklist_remove(*, entry: BlacklistedAccount, actor: str) -> None:
    with transaction.atomic():
        BlacklistChange.objects.create(entry=entry, action="removed", data=_entry_data(entry), actor=actor[:150])
        entry.delete()
    selectors.catalogue_invalidate()


# -- what each terminal offers --------------------------------------------------------------------
class ProviderNotAllowed(ValidationError):
    """The dealer may not offer these providers (the admins' list for the dealer or a dealer above)."""


def dealer_providers_set(*, dealer, providers, actor: str = "") -> DealerProviders | None:
    """Let `dealer` offer only `providers` (None: every active provider again).

    Terminals of the dealer (and of its sub-agents) keep their choice; /config shows only the
    intersection, so a provider taken away disappears from them at once.
    """
    with transaction.atomic():
        if providers is None:
            DealerProviders.objects.filter(dealer=dealer).delete()
            return None
        allowance, _created = DealerProviders.objects.get_or_create(dealer=dealer)
        allowance.providers.set(providers)
        allowance.save(update_fields=["updated_at"])
        return allowance


def terminal_providers_choose(*, terminal, providers, actor: str = "") -> list[Provider]:
    """The dealer's choice of providers for one terminal, among those its dealer may offer.

    Raises ProviderNotAllowed naming the providers outside the dealer's allowance.
    """
    providers = list(providers)
    allowed = selectors.dealer_allowed_provider_ids(terminal.dealer)
    if allowed is not None:
        refused = sorted(p.code for p in providers if p.pk not in allowed)
        if refused:
            raise ProviderNotAllowed(_("Not allowed for this dealer: %(codes)s") % {"codes": ", ".join(refused)})
    with transaction.atomic():
        terminal.providers.set(providers)
    return providers
