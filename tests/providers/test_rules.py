"""Dated fee and reward rules: no overlap in one scope, the rule in force at paid_at, never edited once in force."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from payments.services import PaymentRequest, payment_accept
from providers import selectors as catalogue
from providers.models import FeeRule, Provider, RewardRule
from providers.services import rule_close, rule_save

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


def at(day, month=11, year=2026):
    return datetime(year, month, day, tzinfo=UTC)


@pytest.fixture
def mts(world):
    p = Provider.objects.get(code="mts")
    FeeRule.objects.filter(provider=p).delete()
    RewardRule.objects.filter(provider=p).delete()
    return p


def test_two_rules_of_one_scope_whose_periods_overlap_are_refused_naming_both(mts):
    first = rule_save(rule=FeeRule(provider=mts, percent=Decimal("1"), valid_from=at(1), valid_to=at(20)))
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        rule_save(rule=FeeRule(provider=mts, percent=Decimal("2"), valid_from=at(10)))
    message = " ".join(exc.value.messages)
    assert f"#{first.pk}" in message and "the new rule" in message
    assert FeeRule.objects.filter(provider=mts).count() == 1


def test_rules_that_only_touch_and_rules_of_another_scope_are_allowed(mts, demo):
    rule_save(rule=FeeRule(provider=mts, percent=Decimal("1"), valid_from=at(1), valid_to=at(20)))
    rule_save(rule=FeeRule(provider=mts, percent=Decimal("2"), valid_from=at(20)))
    rule_save(rule=FeeRule(provider=mts, dealer=demo, percent=Decimal("3"), valid_from=at(5)))
    assert FeeRule.objects.filter(provider=mts).count() == 3


def test_the_most_specific_rule_in_force_at_paid_at_prices_the_payment(mts, demo, terminal):
    rule_save(rule=FeeRule(provider=mts, percent=Decimal("1"), valid_from=at(1), valid_to=at(10)))
    rule_save(rule=FeeRule(provider=mts, percent=Decimal("2"), valid_from=at(10)))
    rule_save(rule=FeeRule(provider=mts, dealer=demo, percent=Decimal("5"), valid_from=at(15), valid_to=at(16)))
    rule_save(rule=RewardRule(provider=mts, percent=Decimal("1.5"), valid_from=at(1)))
    catalogue.catalogue_invalidate()

    def pay(txn, when):
        req = PaymentRequest(txn=txn, provider_code="mts", account="9161234567", amount=Decimal("1000.00"),
                             paid_at=when)
        return payment_accept(terminal=terminal, request=req)[0]

    # An offline kiosk posts days later: each is priced by the rule in force when it was paid.
    assert pay("1", datetime(2026, 11, 9, 23, 59, tzinfo=UTC)).fee == Decimal("10.00")
    assert pay("2", at(10)).fee == Decimal("20.00")
    p = pay("3", datetime(2026, 11, 15, 12, 0, tzinfo=UTC))
    assert (p.fee, p.credited, p.reward) == (Decimal("50.00"), Decimal("950.00"), Decimal("14.25"))
    assert pay("4", at(16)).fee == Decimal("20.00")


def test_a_rule_in_force_is_never_edited_only_closed(mts, settings):
    rule = rule_save(rule=FeeRule(provider=mts, percent=Decimal("1"), valid_from=at(1, year=2025)))
    rule.percent = Decimal("3")
    with pytest.raises(ValidationError):
        rule_save(rule=rule)
    rule = FeeRule.objects.get(pk=rule.pk)
    rule.valid_to = at(1, year=2024)
    with pytest.raises(ValidationError):  # closed in the past would reprice payments made since
        rule_save(rule=rule)
    closed = rule_close(rule=FeeRule.objects.get(pk=rule.pk), at=at(1, year=2099))
    assert FeeRule.objects.get(pk=closed.pk).valid_to == at(1, year=2099)
    assert FeeRule.objects.get(pk=rule.pk).percent == Decimal("1.000")


def test_a_future_rule_may_still_be_changed(mts):
    rule = rule_save(rule=FeeRule(provider=mts, percent=Decimal("1"), valid_from=at(1, year=2099)))
    rule.percent = Decimal("2")
    rule_save(rule=rule)
    assert FeeRule.objects.get(pk=rule.pk).percent == Decimal("2.000")


def test_the_admin_refuses_an_overlapping_rule_in_the_provider_page(client, admin_user, mts):
    client.force_login(admin_user)
    existing = rule_save(rule=FeeRule(provider=mts, percent=Decimal("1"), valid_from=at(1)))
    url = f"/admin/providers/provider/{mts.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    data = {"code": mts.code, "name": mts.name, "category": mts.category_id, "account_label": mts.account_label,
            "account_format": mts.account_format, "account_example": mts.account_example,
            "min_amount": "1.00", "max_amount": "15000.00", "offline_allowed": "on"}
    for prefix, inline in (("fields", 0), ("fee_rules", 1), ("reward_rules", 0), ("routes", 1),
                           ("state_changes", 0)):
        data[f"{prefix}-TOTAL_FORMS"] = str(inline + (1 if prefix == "fee_rules" else 0))
        data[f"{prefix}-INITIAL_FORMS"] = str(inline)
    from gateways.models import Route

    route = Route.objects.get(provider=mts)
    data.update({"routes-0-id": route.pk, "routes-0-provider": mts.pk, "routes-0-gateway": route.gateway_id,
                 "routes-0-priority": 1, "routes-0-weight": 100, "routes-0-remote_id": "mt", "routes-0-is_active": "on",
                 "fee_rules-0-id": existing.pk, "fee_rules-0-provider": mts.pk, "fee_rules-0-percent": "1.000",
                 "fee_rules-0-fixed": "0.00", "fee_rules-0-minimum": "0.00",
                 "fee_rules-0-valid_from_0": "2026-11-01", "fee_rules-0-valid_from_1": "03:00:00",
                 "fee_rules-1-provider": mts.pk, "fee_rules-1-percent": "2", "fee_rules-1-fixed": "0",
                 "fee_rules-1-minimum": "0", "fee_rules-1-valid_from_0": "2026-11-10",
                 "fee_rules-1-valid_from_1": "00:00:00"})
    response = client.post(url, data)
    assert response.status_code == 200, response.status_code  # the form again, with the error
    assert f"#{existing.pk}".encode() in response.content
    assert FeeRule.objects.filter(provider=mts).count() == 1


def test_the_preview_page_shows_fee_credited_reward_and_the_rules(client, admin_user, mts, demo):
    fee = rule_save(rule=FeeRule(provider=mts, percent=Decimal("2"), minimum=Decimal("5.00"), valid_from=at(1)))
    reward = rule_save(rule=RewardRule(provider=mts, dealer=demo, percent=Decimal("1"), valid_from=at(1)))
    client.force_login(admin_user)
    response = client.get("/admin/providers/provider/preview/", {
        "provider": mts.pk, "dealer": demo.pk, "amount": "1000.00", "at": "2026-11-20 12:00"})
    assert response.status_code == 200
    result = response.context["result"]
    assert (result["quote"].fee, result["quote"].credited, result["quote"].reward) == (
        Decimal("20.00"), Decimal("980.00"), Decimal("9.80"))
    assert (result["fee_rule"].pk, result["reward_rule"].pk) == (fee.pk, reward.pk)
    assert f"#{fee.pk}".encode() in response.content
