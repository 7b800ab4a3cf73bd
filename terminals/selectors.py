"""Reads for the terminal API: the terminal itself, its config, its payments."""

import hashlib
import json

from django.db.models import F, Func, Q, Value
from django.db.models.functions import Length
from django.utils import timezone

from kit.money import fmt
from payments.models import Payment
from providers import selectors as provider_selectors
from providers.models import FeeRule
from screens import selectors as screen_selectors

from .models import Terminal

HEARTBEAT_SECONDS = 60


def terminal_by_number(number: str) -> Terminal | None:
    # Every signed request starts here: no ORDER BY (the number is unique), one row at most.
    rows = list(Terminal.objects.select_related("dealer").filter(number=number).order_by()[:1])
    return rows[0] if rows else None


def payment_for_terminal(*, terminal: Terminal, txn: str) -> Payment | None:
    """The terminal's own payment with this txn (another terminal's txn is simply not there)."""
    return Payment.objects.select_related("provider", "dealer").filter(terminal=terminal, txn=txn).first()


def last_txn(terminal: Terminal) -> str | None:
    """The highest txn this terminal has posted, compared as an integer (not as a string)."""
    # Digits only: without leading zeros, a longer string is a bigger number, and equal lengths
    # compare as strings. LTRIM(txn, '0') exists in both PostgreSQL and SQLite.
    trimmed = Func(F("txn"), Value("0"), function="LTRIM")
    row = (Payment.objects.filter(terminal=terminal).annotate(n=trimmed)
           .order_by(Length("n").desc(), F("n").desc()).values_list("n", flat=True).first())
    if row is None:
        return None
    return row or "0"


def _fee_rules_in_force(providers, dealer, at) -> dict[int, FeeRule]:
    """Per provider id, the fee rule in force for `dealer` (nearest dealer override, else default).

    One query for all providers; the same precedence as providers.selectors.rule_in_force.
    """
    chain = [int(x) for x in reversed(dealer.path.strip("/").split("/")) if x]
    rules = list(FeeRule.objects.filter(provider__in=providers, valid_from__lte=at)
                 .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
                 .filter(Q(dealer__isnull=True) | Q(dealer_id__in=chain))
                 .order_by("-valid_from", "-id"))
    rank = {dealer_id: i for i, dealer_id in enumerate([*chain, None])}
    chosen: dict[int, FeeRule] = {}
    for rule in rules:
        best = chosen.get(rule.provider_id)
        if best is None or rank[rule.dealer_id] < rank[best.dealer_id]:
            chosen[rule.provider_id] = rule
    return chosen


def terminal_config(terminal: Terminal) -> dict:
    """What the kiosk needs to sell: providers, fee rules, settings, theme and ads references.

    `config_version` is a hash of this document, so a heartbeat tells the kiosk when to fetch
    it again. `last_txn` is added by the view (it changes with every payment).
    """
    now = timezone.now()
    providers = list(provider_selectors.terminal_providers(terminal))
    fees = _fee_rules_in_force(providers, terminal.dealer, now)
    items, categories = [], {}
    for p in providers:
        rule = fees.get(p.pk)
        categories.setdefault(p.category.code, {"code": p.category.code, "name": p.category.name,
                                                "icon": p.category.icon, "position": p.category.position})
        fields = [{"name": "account", "label": p.account_label, "label_en": p.account_label_en,
                   "format": p.account_format, "example": p.account_example, "mask": p.account_mask,
                   "required": True}]
        fields += [{"name": f.name, "label": f.label, "label_en": f.label_en, "format": f.regex,
                    "example": f.example, "mask": f.mask, "required": f.required} for f in p.fields.all()]
        items.append({
            "code": p.code,
            "name": p.name,
            "legal_name": p.legal_name,
            "inn": p.inn,
            "category": {"code": p.category.code, "name": p.category.name},
            "account": {"label": p.account_label, "format": p.account_format, "example": p.account_example},
            "fields": fields,
            "limits": {"min": fmt(p.min_amount), "max": fmt(p.max_amount)},
            "check_required": p.check_required,
            "offline": {"allowed": p.offline_allowed,
                        "max_amount": fmt(p.offline_max_amount if p.offline_max_amount is not None
                                          else p.max_amount) if p.offline_allowed else None},
            "fee": None if rule is None else {
                "percent": f"{rule.percent.normalize():f}", "fixed": fmt(rule.fixed), "minimum": fmt(rule.minimum),
                "valid_to": rule.valid_to.isoformat() if rule.valid_to else None,
            },
            "logo": p.logo.url if p.logo else None,
        })
    dealer = terminal.dealer
    doc = {
        "terminal": {
            "number": terminal.number,
            "address": terminal.address,
            "dealer": dealer.name,
            "dealer_inn": dealer.inn,
            "support_phone": dealer.support_phone,
            "time_zone": dealer.time_zone,
            "currency": "RUB",
            "heartbeat_seconds": HEARTBEAT_SECONDS,
        },
        "categories": list(categories.values()),
        "providers": items,
        "theme": screen_selectors.terminal_theme(terminal),
        "ads": screen_selectors.terminal_ads(terminal, now=now),
    }
    doc["config_version"] = config_version(doc)
    return doc


def config_version(doc: dict) -> str:
    raw = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]
