"""The terminal's two look-ups through the signed API: GET /phone/<number> and POST /checks."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from gateways.simulators.models import SimulatorState
from providers.models import BlacklistedAccount, Provider

pytestmark = pytest.mark.django_db
SAMPLES = Path(settings.BASE_DIR) / "providers" / "samples"


def code_of(response):
    return response.json()["error"]["code"]


@pytest.fixture
def plan(world):
    call_command("load_numbering_plan", str(SAMPLES / "SAMPLE-numbering-plan.csv"), verbosity=0)
    call_command("load_ported_numbers", str(SAMPLES / "SAMPLE-ported-numbers.csv"), verbosity=0)


@pytest.fixture
def gateway_calls(_inprocess_gateways):
    """Every request our adapters send to the simulators, as its URL."""
    calls = []
    _inprocess_gateways.event_hooks["request"].append(lambda request: calls.append(str(request.url)))
    return calls


# -- /phone -------------------------------------------------------------------------------------
def test_the_first_number_of_a_range_is_its_operators(kiosk, plan):
    response = kiosk.phone("9035000000")
    assert response.status_code == 200
    assert response.json() == {"number": "79035000000", "operator": 'ПАО "Вымпел-Коммуникации"',
                               "inn": "7713076301", "region": "Тверская обл.", "provider": "beeline",
                               "source": "plan"}


def test_the_last_number_of_a_range_is_its_operators_and_the_next_is_unknown(kiosk, plan):
    last = kiosk.phone("9035999999")
    assert (last.status_code, last.json()["region"], last.json()["provider"]) == (200, "Тверская обл.", "beeline")
    after = kiosk.phone("9036000000")
    assert (after.status_code, code_of(after)) == (404, "number_unknown")


def test_the_number_before_a_range_belongs_to_the_range_below(kiosk, plan):
    body = kiosk.phone("9034999999").json()
    assert (body["region"], body["provider"]) == ("г. Москва и Московская область", "beeline")


def test_a_ported_number_wins_over_its_range(kiosk, plan):
    body = kiosk.phone("9031234567").json()
    assert (body["provider"], body["inn"], body["source"]) == ("mts", "7740000076", "ported")
    assert body["operator"] == 'ПАО "Мобильные ТелеСистемы"'
    neighbour = kiosk.phone("9031234568").json()
    assert (neighbour["provider"], neighbour["source"]) == ("beeline", "plan")


@pytest.mark.parametrize("number", ["+79161234567", "89161234567", "9161234567"])
def test_the_three_number_formats_give_the_same_answer(kiosk, plan, number):
    response = kiosk.phone(number)
    assert response.status_code == 200
    assert response.json() == {"number": "79161234567", "operator": 'ПАО "Мобильные ТелеСистемы"',
                               "inn": "7740000076", "region": "г. Москва и Московская область",
                               "provider": "mts", "source": "plan"}


def test_an_operator_without_a_provider_answers_provider_null(kiosk, plan):
    body = kiosk.phone("9585812345").json()
    assert (body["inn"], body["provider"]) == ("7743263366", None)


def test_a_number_no_range_holds_is_404_number_unknown(kiosk, plan):
    response = kiosk.phone("9991234567")
    assert (response.status_code, code_of(response)) == (404, "number_unknown")


@pytest.mark.parametrize("number", ["4951234567", "12345", "+7916123456", "791612345678", "abc", "+19161234567"])
def test_anything_but_a_russian_mobile_number_is_400_invalid(kiosk, plan, number):
    response = kiosk.phone(number)
    assert (response.status_code, code_of(response)) == (400, "invalid")
    assert response.json()["error"]["fields"] == {"number": "a Russian mobile number"}


def test_an_unsigned_phone_request_is_refused(kiosk, plan):
    response = kiosk.request("GET", "/phone/9161234567", sign=False)
    assert response.status_code == 401


# -- /checks ------------------------------------------------------------------------------------
def test_an_account_the_gateway_knows_is_ok(kiosk, gateway_calls):
    response = kiosk.check("mts", "9161234567", "100.00")
    assert response.status_code == 200
    body = response.json()
    assert (body["ok"], body["code"]) == (True, "ok")
    assert len(gateway_calls) == 1 and "/sim/cyberplat/" in gateway_calls[0]


def test_an_account_the_gateway_does_not_know_is_account_not_found(kiosk, gateway_calls):
    body = kiosk.check("mts", "9160000005", "100.00").json()
    assert (body["ok"], body["code"]) == (False, "account_not_found")
    assert body["details"]["gateway_code"]
    assert len(gateway_calls) == 1


def test_a_blacklisted_account_is_answered_locally(kiosk, gateway_calls):
    BlacklistedAccount.objects.create(account="9161112233", reason="fraud", created_by="admin")
    body = kiosk.check("mts", "9161112233", "100.00").json()
    assert (body["ok"], body["code"]) == (False, "blacklisted")
    assert gateway_calls == []


def test_a_phone_blacklisted_in_another_format_is_answered_locally(kiosk, gateway_calls):
    mts = Provider.objects.get(code="mts")
    BlacklistedAccount.objects.create(provider=mts, kind="phone", account="+7 (916) 111-22-33", reason="fraud")
    assert kiosk.check("mts", "9161112233", "100.00").json()["code"] == "blacklisted"
    assert gateway_calls == []


@pytest.mark.parametrize("provider, account, code", [
    ("nope", "9161234567", "unknown_provider"),
    ("mts", "12ab", "account_format"),
])
def test_an_unknown_provider_and_a_bad_account_are_answered_locally(kiosk, gateway_calls, provider, account, code):
    body = kiosk.check(provider, account, "100.00").json()
    assert (body["ok"], body["code"]) == (False, code)
    assert gateway_calls == []


def test_a_disabled_provider_is_answered_locally(kiosk, gateway_calls):
    Provider.objects.filter(code="mts").update(is_active=False)
    body = kiosk.check("mts", "9161234567", "100.00").json()
    assert (body["ok"], body["code"]) == (False, "provider_disabled")
    assert gateway_calls == []


def test_a_bad_extra_field_is_account_format_naming_the_field(kiosk, gateway_calls):
    body = kiosk.check("mosenergosbyt", "7712345678", "100.00", {"period": "132026"}).json()
    assert (body["ok"], body["code"], body["details"]) == (False, "account_format", {"field": "period"})
    assert gateway_calls == []


def test_a_gateway_slower_than_the_check_timeout_is_unavailable_and_not_cached(kiosk, gateway_calls, settings):
    settings.KIT_CHECK_TIMEOUT_SECONDS = 2.0
    SimulatorState.objects.update_or_create(code="cyberplat", defaults={"latency_ms": 2500})
    body = kiosk.check("mts", "9161234567", "100.00").json()
    assert (body["ok"], body["code"]) == (None, "unavailable")
    SimulatorState.objects.filter(code="cyberplat").update(latency_ms=1500)  # now within the timeout
    body = kiosk.check("mts", "9161234567", "100.00").json()
    assert (body["ok"], body["code"]) == (True, "ok")
    assert len(gateway_calls) == 2


def test_a_gateway_switched_down_is_unavailable(kiosk, gateway_calls):
    SimulatorState.objects.update_or_create(code="cyberplat", defaults={"down": True})
    body = kiosk.check("mts", "9161234567", "100.00").json()
    assert (body["ok"], body["code"]) == (None, "unavailable")


def test_a_cached_answer_makes_no_second_gateway_call(kiosk, gateway_calls):
    first = kiosk.check("mts", "9161234567", "100.00").json()
    second = kiosk.check("mts", "9161234567", "100.00").json()
    assert first == second
    assert len(gateway_calls) == 1
    kiosk.check("mts", "9161234567", "200.00")  # another amount is another question
    assert len(gateway_calls) == 2


def test_a_declined_answer_is_cached_too(kiosk, gateway_calls):
    kiosk.check("mts", "9160000005", "100.00")
    assert kiosk.check("mts", "9160000005", "100.00").json()["code"] == "account_not_found"
    assert len(gateway_calls) == 1


def test_with_the_cache_off_every_check_asks_the_gateway(kiosk, gateway_calls, settings):
    settings.KIT_CHECK_CACHE_SECONDS = 0
    kiosk.check("mts", "9161234567", "100.00")
    kiosk.check("mts", "9161234567", "100.00")
    assert len(gateway_calls) == 2


@pytest.mark.parametrize("doc, field", [
    ({"account": "9161234567", "amount": "100.00"}, "provider"),
    ({"provider": "mts", "amount": "100.00"}, "account"),
    ({"provider": "mts", "account": "9161234567", "amount": "abc"}, "amount"),
    ({"provider": "mts", "account": "9161234567", "amount": "-1.00"}, "amount"),
    ({"provider": "mts", "account": "9161234567", "amount": 100.5}, "amount"),
    ({"provider": "mts", "account": "9161234567", "amount": "100.00", "fields": ["x"]}, "fields"),
])
def test_a_malformed_check_is_400_invalid_naming_the_field(kiosk, gateway_calls, doc, field):
    response = kiosk.call("POST", "/checks", doc)
    assert (response.status_code, code_of(response)) == (400, "invalid")
    assert field in response.json()["error"]["fields"]
    assert gateway_calls == []


def test_the_answers_match_the_openapi_schema(kiosk, plan):
    from openapi_schema_validator import OAS31Validator

    schema = kiosk.openapi().json()

    def check(name, body):
        OAS31Validator({**schema["components"]["schemas"][name], "components": schema["components"]}).validate(body)

    check("Phone", kiosk.phone("9031234567").json())
    check("Phone", kiosk.phone("9585812345").json())  # provider null
    check("Check", kiosk.check("mts", "9161234567", "100.00").json())
    check("Check", kiosk.check("nope", "9161234567", "100.00").json())
    check("CheckIn", {"provider": "mts", "account": "9161234567", "amount": "100.00", "fields": {}})
    SimulatorState.objects.update_or_create(code="cyberplat", defaults={"down": True})
    unavailable = kiosk.check("mts", "9161234567", "300.00").json()
    assert unavailable["ok"] is None
    check("Check", unavailable)
