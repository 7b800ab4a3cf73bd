from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from payments.models import Payment
from providers.models import FeeRule, Provider
from screens.models import Theme
from terminals.models import Terminal, TerminalState

from .conftest import payment

pytestmark = pytest.mark.django_db


def code_of(response):
    return response.json()["error"]["code"]


def test_config_lists_the_terminals_active_providers_with_rules(kiosk, terminal):
    Provider.objects.filter(code="tele2").update(is_active=False)
    terminal.providers.remove(Provider.objects.get(code="beeline"))
    response = kiosk.config()
    assert response.status_code == 200
    config = response.json()
    codes = [p["code"] for p in config["providers"]]
    assert {"megafon", "mosenergosbyt", "mts", "rostelecom"} <= set(codes)
    assert "tele2" not in codes  # inactive
    assert "beeline" not in codes  # not offered by this terminal
    mes = next(p for p in config["providers"] if p["code"] == "mosenergosbyt")
    assert mes == {
        "code": "mosenergosbyt", "name": "Мосэнергосбыт",
        "category": {"code": "utilities", "name": "ЖКХ"},
        "account": {"label": "Лицевой счёт (10 цифр)", "format": "[0-9]{10}", "example": "7712345678"},
        "legal_name": "ПАО «Мосэнергосбыт»", "inn": "7736520080",
        "fields": [
            {"name": "account", "label": "Лицевой счёт (10 цифр)", "label_en": "", "format": "[0-9]{10}",
             "example": "7712345678", "mask": "", "required": True},
            {"name": "period", "label": "Период оплаты (ММГГГГ)", "label_en": "Billing period (MMYYYY)",
             "format": "(0[1-9]|1[0-2])[0-9]{4}", "example": "112026", "mask": "99 9999", "required": False},
        ],
        "limits": {"min": "10.00", "max": "50000.00"},
        "check_required": False,
        "offline": {"allowed": True, "max_amount": "15000.00"},
        "fee": {"percent": "1", "fixed": "0.00", "minimum": "10.00", "valid_to": None},
        "logo": None,
    }
    assert config["terminal"]["number"] == "1001"
    assert config["terminal"]["support_phone"] == "8 800 000-00-01"
    theme = Theme.objects.get(name="Демо: синяя")
    assert config["theme"] == {
        "id": theme.pk, "name": "Демо: синяя", "layout": "tiles",
        "colors": {"background": "#f4f7fb", "text": "#14213d", "accent": "#1d4ed8", "button_text": "#ffffff"},
        "logo": None}
    assert [(a["name"], a["kind"], a["position"], a["schedule"]) for a in config["ads"]] == [
        ("Без комиссии", "text", "bottom", {"date_from": "2026-01-01", "date_to": "2030-12-31",
                                           "weekdays": [1, 2, 3, 4, 5, 6, 7], "time_from": "08:00",
                                           "time_to": "22:00", "time_zone": "Europe/Moscow"})]
    assert config["last_txn"] is None
    assert config["config_version"]


def test_config_shows_the_dealers_own_fee_rule(kiosk, demo):
    mts = Provider.objects.get(code="mts")
    FeeRule.objects.create(provider=mts, dealer=demo, percent=Decimal("2.5"), fixed=Decimal("1.00"),
                           valid_from=timezone.now() - timezone.timedelta(days=1))
    fee = next(p for p in kiosk.config().json()["providers"] if p["code"] == "mts")["fee"]
    assert fee == {"percent": "2.5", "fixed": "1.00", "minimum": "0.00", "valid_to": None}


def test_last_txn_compares_as_a_number(kiosk):
    for txn in ["9", "10", "0011", "2"]:
        assert kiosk.post_payment(payment(txn=txn)).status_code == 201
    assert kiosk.config().json()["last_txn"] == "11"


def test_last_txn_counts_only_this_terminals_payments(kiosk, make_client, world):
    other = make_client(Terminal.objects.get(number="1002"))
    other.post_payment(payment(txn="500"))
    kiosk.post_payment(payment(txn="7"))
    assert kiosk.config().json()["last_txn"] == "7"


def test_config_etag_answers_304_until_something_changes(kiosk):
    first = kiosk.config()
    etag = first.headers["ETag"]
    again = kiosk.config(etag=etag)
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    assert again.content == b""
    assert kiosk.config(etag='"other", ' + etag).status_code == 304
    assert kiosk.config(etag='"stale"').status_code == 200

    kiosk.post_payment(payment(txn="1"))  # last_txn moves
    changed = kiosk.config(etag=etag)
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_config_version_changes_with_the_catalogue(kiosk):
    before = kiosk.config().json()["config_version"]
    Provider.objects.filter(code="mts").update(max_amount=Decimal("9000.00"))
    assert kiosk.config().json()["config_version"] != before


def test_a_heartbeat_is_stored_as_live_state(kiosk, terminal):
    state = {"software_version": "1.4.2",
             "devices": {"bill_validator": {"state": "ok", "error": ""},
                         "printer": {"state": "ok", "paper": "low"}},
             "cash": {"notes": 120, "amount": "54300.00"}}
    response = kiosk.heartbeat(state)
    assert response.status_code == 200
    body = response.json()
    assert body["blocked"] is False
    assert body["commands"] == []
    assert body["config_version"] == kiosk.config().json()["config_version"]
    assert abs(datetime.fromisoformat(body["server_time"]) - timezone.now()).total_seconds() < 5
    live = TerminalState.objects.get(terminal=terminal)
    assert live.devices == state["devices"]
    assert (live.cash_notes, live.cash_amount, live.software_version) == (120, Decimal("54300.00"), "1.4.2")
    terminal.refresh_from_db()
    assert terminal.software_version == "1.4.2"
    assert (timezone.now() - terminal.last_seen).total_seconds() < 5


def test_an_empty_heartbeat_only_marks_the_terminal_seen(kiosk, terminal):
    kiosk.heartbeat({"software_version": "1.0", "cash": {"notes": 3, "amount": "300.00"}})
    kiosk.heartbeat({})
    live = TerminalState.objects.get(terminal=terminal)
    assert (live.software_version, live.cash_notes) == ("1.0", 3)


def test_a_blocked_terminals_heartbeat_says_blocked(kiosk, terminal):
    Terminal.objects.filter(pk=terminal.pk).update(status=Terminal.Status.BLOCKED)
    response = kiosk.heartbeat({"software_version": "1.0"})
    assert response.status_code == 200
    assert response.json()["blocked"] is True
    assert TerminalState.objects.filter(terminal=terminal).exists()


@pytest.mark.parametrize("doc, field", [
    ({"software_version": 1}, "software_version"),
    ({"software_version": "x" * 41}, "software_version"),
    ({"devices": []}, "devices"),
    ({"devices": {"printer": "ok"}}, "devices"),
    ({"devices": {"printer": {"temp": 36.6}}}, "devices"),
    ({"cash": []}, "cash"),
    ({"cash": {"notes": -1}}, "cash.notes"),
    ({"cash": {"notes": True}}, "cash.notes"),
    ({"cash": {"notes": 10**30}}, "cash.notes"),
    ({"cash": {"amount": 10}}, "cash.amount"),
])
def test_a_malformed_heartbeat_is_400_invalid(kiosk, doc, field):
    response = kiosk.heartbeat(doc)
    assert response.status_code == 400
    assert code_of(response) == "invalid"
    assert field in response.json()["error"]["fields"]


def test_config_reads_in_a_fixed_number_of_queries(kiosk, django_assert_max_num_queries):
    for i in range(1, 4):
        kiosk.post_payment(payment(txn=str(i)))
    # 7, one for the providers' extra account fields, one for the theme and one for the ads
    with django_assert_max_num_queries(10):
        assert kiosk.config().status_code == 200
    assert Payment.objects.count() == 3
