"""Several account fields: listed in order, validated at acceptance, the failing field named."""

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from payments.models import Event, Payment
from payments.services import PaymentRequest, payment_accept
from providers import selectors as catalogue
from providers.models import Provider, ProviderField

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
def utility(world):
    """An ISP with contract (the main account) + personal account (required) + promo code (optional)."""
    isp = Provider.objects.get(code="demo-isp")
    ProviderField.objects.create(provider=isp, position=1, name="personal", label="Лицевой счёт",
                                 label_en="Personal account", regex=r"[0-9]{8}", example="10001234")
    ProviderField.objects.create(provider=isp, position=2, name="promo", label="Промокод", regex=r"[A-Z]{4}",
                                 example="ABCD", required=False)
    catalogue.catalogue_invalidate()
    return isp


def accept(terminal, txn, account="12345678", **fields):
    req = PaymentRequest(txn=txn, provider_code="demo-isp", account=account, amount=Decimal("100.00"),
                         paid_at=datetime(2026, 11, 20, 12, 0, tzinfo=MSK), fields=fields)
    payment, _ = payment_accept(terminal=terminal, request=req)
    return payment


def first_event(payment):
    return Event.objects.filter(payment=payment).order_by("pk").first()


def test_every_field_valid_accepts_the_payment(utility, terminal):
    p = accept(terminal, "1", personal="10001234", promo="SALE")
    assert (p.status, p.reason) == ("accepted", "")


def test_a_bad_second_field_fails_the_payment_naming_that_field(utility, terminal):
    p = accept(terminal, "2", personal="1000123X")
    assert (p.status, p.reason) == ("failed", "account_format")
    assert first_event(p).detail["field"] == "personal"
    assert Payment.objects.filter(pk=p.pk).exists()  # recorded, never refused


def test_a_missing_required_field_fails_and_is_named(utility, terminal):
    p = accept(terminal, "3")
    assert (p.status, p.reason, first_event(p).detail["field"]) == ("failed", "account_format", "personal")


def test_a_bad_main_account_is_named_account(utility, terminal):
    p = accept(terminal, "4", account="12", personal="10001234")
    assert first_event(p).detail["field"] == "account"


def test_a_bad_optional_field_fails_but_an_absent_one_does_not(utility, terminal):
    assert accept(terminal, "5", personal="10001234", promo="sale").reason == "account_format"
    assert first_event(Payment.objects.get(txn="5")).detail["field"] == "promo"
    assert accept(terminal, "6", personal="10001234").status == "accepted"


def test_validating_fields_adds_no_statement_when_the_snapshot_is_warm(utility, terminal, settings,
                                                                          django_assert_num_queries):
    settings.KIT_CATALOGUE_TTL = 60
    catalogue.catalogue_invalidate()
    accept(terminal, "7", personal="10001234")  # warms the snapshot
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as plain:
        accept(terminal, "8", personal="10001234")
    with CaptureQueriesContext(connection) as bad:
        accept(terminal, "9", personal="bad")
    # A failed payment skips the debit; the accepted one must cost no query for the fields either.
    assert not any("providerfield" in q["sql"].lower() for q in plain.captured_queries + bad.captured_queries)
    catalogue.catalogue_invalidate()


def test_every_demo_field_example_stays_valid_with_other_last_four_digits(world):
    for f in ProviderField.objects.all():
        for tail in ["0000", "0001", "0007", "9999"]:
            assert re.fullmatch(f.regex, f.example[:-4] + tail), (f.provider.code, f.name, tail)


@pytest.mark.parametrize("regex, example, ok", [
    (r"[0-9]{10}", "7712345678", True),
    (r"(0[1-9]|1[0-2])[0-9]{4}", "112026", True),
    (r"[0-9]{10}", "77123", False),             # does not match at all
    (r"9[0-9]{9}", "9161230000", True),
    (r"[0-9]{6}12", "12345612", False),         # the last four are not free
    (r"[0-9", "123456", False),                 # not a regular expression
    (r"[A-Z]{4}", "ABCD", False),               # letters: 0001 would not match
])
def test_a_field_example_must_stay_valid_with_any_last_four_digits(regex, example, ok):
    from providers.services import field_example_problem

    assert (field_example_problem(regex, example) is None) is ok


def test_the_admin_refuses_an_example_that_breaks_with_other_last_four_digits(client, admin_user, world):
    isp = Provider.objects.get(code="demo-isp")
    client.force_login(admin_user)
    url = f"/admin/providers/provider/{isp.pk}/change/"
    data = {"code": isp.code, "name": isp.name, "category": isp.category_id, "account_label": isp.account_label,
            "account_format": isp.account_format, "account_example": isp.account_example,
            "min_amount": "10.00", "max_amount": "15000.00"}
    for prefix, n in (("fields", 1), ("fee_rules", 0), ("reward_rules", 0), ("routes", 0), ("state_changes", 0)):
        data[f"{prefix}-TOTAL_FORMS"], data[f"{prefix}-INITIAL_FORMS"] = str(n), "0"
    data.update({"fields-0-provider": isp.pk, "fields-0-position": "1", "fields-0-name": "personal",
                 "fields-0-label": "Лицевой счёт", "fields-0-regex": "[0-9]{4}77", "fields-0-example": "123477",
                 "fields-0-required": "on"})
    reward_rules = isp.reward_rules.count()
    data["reward_rules-TOTAL_FORMS"] = data["reward_rules-INITIAL_FORMS"] = "0"
    response = client.post(url, data)
    assert response.status_code == 200
    assert ProviderField.objects.filter(provider=isp).count() == 0
    assert "0001" in response.content.decode()
    assert isp.reward_rules.count() == reward_rules


def test_an_import_with_a_bad_example_is_refused_naming_the_line(world):
    import json

    from providers.transfer import ImportRefused, catalogue_import, export_bytes

    doc = json.loads(export_bytes("json"))
    mes = next(r for r in doc["providers"] if r["code"] == "mosenergosbyt")
    mes["account_example"] = "77123"
    with pytest.raises(ImportRefused) as exc:
        catalogue_import(name="bad.json", raw=json.dumps(doc).encode())
    assert [(e.file, e.reason.split(":")[0]) for e in exc.value.errors] == [("bad.json", "account_example")]
    assert Provider.objects.get(code="mosenergosbyt").account_example == "7712345678"
