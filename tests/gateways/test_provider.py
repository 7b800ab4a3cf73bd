"""Direct provider connector (OSMP provider protocol) against the ISP billing simulator."""

import base64
import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest

from gateways.adapters import provider as provider_adapter
from gateways.adapters.base import GatewayConfig, Order, Outcome
from gateways.models import Gateway
from gateways.services import adapter_for
from gateways.simulators.base import accepted
from gateways.simulators.models import SimulatorState
from gateways.simulators.services import simulator_provision, simulator_set

pytestmark = pytest.mark.django_db

PAID_AT = datetime(2026, 11, 28, 9, 30, 5, tzinfo=UTC)
PARAMS = {"login": "kit-demo", "account_format": r"[0-9]{6,10}", "min_amount": "10.00", "max_amount": "15000.00"}
AUTH = "Basic " + base64.b64encode(b"kit-demo:demo-provider-password").decode()


def order(account="12345678", attempt="800000000001", credited="500.00", amount="500.00"):
    return Order(attempt_id=attempt, remote_id="isp", account=account, amount=Decimal(amount),
                 credited=Decimal(credited), paid_at=PAID_AT, terminal="1001")


@pytest.fixture
def gw(db):
    gateway = Gateway.objects.create(code="provider", name="ISP", protocol="provider", params=PARAMS,
                                     base_url="http://testserver/sim/provider/", secret="demo-provider-password")
    simulator_provision(gateway=gateway, sim_params=PARAMS)
    return gateway


@pytest.fixture
def isp(gw):
    return adapter_for(gw)


def outcomes(*results):
    return [r.outcome for r in results]


def test_an_ordinary_account_is_checked_and_paid_and_a_repeat_answers_the_same_prv_txn(isp):
    o = order()
    check, pay, status = isp.check(o), isp.pay(o), isp.status(o)
    assert outcomes(check, pay, status) == [Outcome.OK, Outcome.OK, Outcome.OK]
    assert pay.upstream_id and status.upstream_id == pay.upstream_id and pay.code == "0"
    assert check.extra == {"tariff": "Домашний 100", "text": "Абонент найден"}
    rec = accepted("provider").get()
    assert (rec.key, rec.state, rec.account, rec.amount) == ("800000000001", "paid", "12345678", Decimal("500.00"))


def test_the_request_is_the_provider_protocol_query_with_our_attempt_id_as_txn_id(isp):
    assert isp.query("pay", order()) == {"command": "pay", "txn_id": "800000000001", "account": "12345678",
                                         "sum": "500.00", "txn_date": "20261128123005"}  # Moscow time
    assert "txn_date" not in isp.query("check", order())


def test_0001_pay_is_declined_definitively_and_a_repeat_says_so_again(isp):
    o = order("12340001")
    check, pay, status = isp.check(o), isp.pay(o), isp.status(o)
    assert outcomes(check, pay, status) == [Outcome.OK, Outcome.DECLINED, Outcome.DECLINED]
    assert (pay.code, status.code) == ("7", "7")
    assert accepted("provider").get().state == "declined"


def test_0002_pay_reply_never_arrives_then_the_repeated_pay_says_paid_once(isp):
    o = order("12340002")
    assert isp.check(o).outcome == Outcome.OK
    assert (isp.pay(o).outcome, accepted("provider").get().state) == (Outcome.UNKNOWN, "paid")
    status = isp.status(o)
    assert (status.outcome, status.upstream_id) == (Outcome.OK, accepted("provider").get().upstream_id)
    assert accepted("provider").filter(state="paid").count() == 1


def test_0003_is_90_for_two_repeats_then_paid(isp):
    o = order("12340003")
    results = [isp.check(o), isp.pay(o), isp.status(o), isp.status(o), isp.status(o)]
    assert outcomes(*results) == [Outcome.OK, Outcome.UNKNOWN, Outcome.UNKNOWN, Outcome.UNKNOWN, Outcome.OK]
    assert [r.code for r in results[1:]] == ["90", "90", "90", "0"]


def test_0004_is_a_temporary_error_twice_then_paid(isp):
    first, second, third = (isp.pay(order("12340004", attempt=a)) for a in ("11", "12", "13"))
    assert outcomes(first, second, third) == [Outcome.RETRY, Outcome.RETRY, Outcome.OK]
    assert first.code == "1"
    assert list(accepted("provider").values_list("key", "state")) == [("13", "paid")]


def test_a_temporary_error_on_status_stays_unknown(isp):
    status = isp.status(order("12340004"))
    assert (status.outcome, status.code) == (Outcome.UNKNOWN, "1")


def test_0005_check_says_the_account_does_not_exist(isp):
    check = isp.check(order("12340005"))
    assert (check.outcome, check.code) == (Outcome.DECLINED, "5")
    assert not accepted("provider").exists()


@pytest.mark.parametrize("account", ["12340006", "12340007"])
def test_0006_and_0007_are_accepted_here(isp, account):
    o = order(account)
    assert outcomes(isp.check(o), isp.pay(o), isp.status(o)) == [Outcome.OK] * 3


def test_a_repeated_pay_credits_once(isp):
    results = [isp.pay(order()) for _ in range(3)]
    assert outcomes(*results) == [Outcome.OK] * 3 and len({r.upstream_id for r in results}) == 1
    assert accepted("provider").filter(state="paid").count() == 1


def test_the_same_txn_id_with_another_sum_is_refused_and_credits_nothing_more(isp):
    isp.pay(order())
    other = isp.pay(order(credited="600.00", amount="600.00"))
    assert (other.outcome, other.code) == (Outcome.DECLINED, "300")
    assert accepted("provider").get().amount == Decimal("500.00")


def test_post_form_works_like_get(gw):
    gw.params = {**PARAMS, "http_method": "POST"}
    gw.save()
    isp = adapter_for(gw)
    assert outcomes(isp.check(order()), isp.pay(order())) == [Outcome.OK, Outcome.OK]


def test_a_wrong_password_is_refused_and_nothing_recorded(gw):
    adapter = adapter_for(gw)
    wrong = type(adapter)(dataclasses.replace(adapter.config, secret="guess"), client=adapter.client)
    result = wrong.pay(order())
    assert (result.outcome, result.code) == (Outcome.CONFIG, "http_401")
    assert not accepted("provider").exists()


def test_no_credentials_at_all_is_401(client, gw):
    assert client.get("/sim/provider/", {"command": "check"}).status_code == 401


@pytest.mark.parametrize("query, result", [
    ({}, "300"), ({"command": "refund", "txn_id": "1"}, "300"),
    ({"command": "pay", "txn_id": "abc", "account": "12345678", "sum": "1.00"}, "300"),
    ({"command": "check", "txn_id": "1", "account": "", "sum": "10.00"}, "4"),
    ({"command": "check", "txn_id": "1", "account": "abc", "sum": "10.00"}, "4"),
    ({"command": "check", "txn_id": "1", "account": "12345678", "sum": "ten"}, "300"),
    ({"command": "check", "txn_id": "1", "account": "12345678", "sum": "10.001"}, "300"),
    ({"command": "check", "txn_id": "1", "account": "12345678", "sum": "Infinity"}, "300"),
    ({"command": "check", "txn_id": "1", "account": "12345678", "sum": "9.99"}, "241"),
    ({"command": "check", "txn_id": "1", "account": "12345678", "sum": "15000.01"}, "242"),
    ({"command": "pay", "txn_id": "1", "account": "12345678", "sum": "10.00", "txn_date": "yesterday"}, "300"),
])
def test_bad_requests_get_the_protocols_error_never_a_500(client, gw, query, result):
    resp = client.get("/sim/provider/", query, headers={"Authorization": AUTH})
    assert resp.status_code == 200 and f"<result>{result}</result>".encode() in resp.content
    assert not accepted("provider").filter(state="paid").exists()


def test_simulator_down_is_retry_with_nothing_recorded(isp):
    SimulatorState.objects.filter(code="provider").update(down=True)
    assert outcomes(isp.check(order()), isp.pay(order())) == [Outcome.RETRY, Outcome.RETRY]
    assert not accepted("provider").exists()


def test_latency_past_the_read_timeout_makes_pay_unknown(isp):
    SimulatorState.objects.filter(code="provider").update(latency_ms=6000)
    assert isp.pay(order()).outcome == Outcome.UNKNOWN


def test_the_demo_isp_is_routed_to_the_provider_gateway_and_offered_by_terminals(world):
    from providers.models import Provider
    from terminals.models import Terminal

    isp = Provider.objects.get(code="demo-isp")
    route = isp.routes.get()
    assert (route.gateway.protocol, route.remote_id) == ("provider", "isp")
    assert (isp.min_amount, isp.max_amount, isp.category.code) == (Decimal("10.00"), Decimal("15000.00"), "internet")
    assert Terminal.objects.get(number="1001").providers.filter(code="demo-isp").exists()
    adapter = adapter_for(route.gateway)
    assert outcomes(adapter.check(order()), adapter.pay(order())) == [Outcome.OK, Outcome.OK]


# --- the code table: every code maps to its class ----------------------------------------
CODE_EXPECTED = {0: Outcome.OK, 1: Outcome.RETRY, 4: Outcome.DECLINED, 5: Outcome.DECLINED, 7: Outcome.DECLINED,
                 8: Outcome.RETRY, 31: Outcome.DECLINED, 32: Outcome.DECLINED, 79: Outcome.DECLINED,
                 90: Outcome.UNKNOWN, 241: Outcome.DECLINED, 242: Outcome.DECLINED, 243: Outcome.RETRY,
                 300: Outcome.DECLINED}


def scripted(result: str, txn_id: str = "800000000001", prv_txn: str = "42", sum_: str = "500.00",
             params: dict | None = None):
    body = (f"<response><osmp_txn_id>{txn_id}</osmp_txn_id><prv_txn>{prv_txn}</prv_txn><sum>{sum_}</sum>"
            f"<result>{result}</result><comment/></response>").encode()
    config = GatewayConfig(code="provider", base_url="http://isp.test", params={"login": "x", **(params or {})},
                           secret="s")
    return provider_adapter.ProviderAdapter(config, client=httpx.Client(transport=httpx.MockTransport(
        lambda request: httpx.Response(200, content=body))))


def test_every_result_code_maps_to_its_class():
    assert set(CODE_EXPECTED) == set(provider_adapter.RESULT_CODES)
    for code, expected in CODE_EXPECTED.items():
        assert (code, scripted(str(code)).pay(order()).outcome) == (code, expected)
    assert scripted("555").pay(order()).outcome == Outcome.UNKNOWN
    assert scripted("555").check(order()).outcome == Outcome.RETRY


def test_a_reply_about_another_txn_or_sum_or_without_prv_txn_when_required_is_not_trusted():
    assert scripted("0", txn_id="999").pay(order()).outcome == Outcome.UNKNOWN
    assert scripted("0", sum_="5.00").pay(order()).outcome == Outcome.UNKNOWN
    assert scripted("0", prv_txn="", params={"require_prv_txn": True}).pay(order()).outcome == Outcome.UNKNOWN
    assert scripted("not a number").pay(order()).outcome == Outcome.UNKNOWN


def test_basic_auth_is_sent_and_the_password_is_not_logged():
    seen = {}

    def handler(request):
        seen["auth"] = request.headers.get("Authorization")
        seen["query"] = parse_qs(request.url.query.decode())
        return httpx.Response(200, content=b"<response><osmp_txn_id>800000000001</osmp_txn_id><prv_txn>1</prv_txn>"
                                           b"<sum>500.00</sum><result>0</result></response>")

    config = GatewayConfig(code="provider", base_url="http://isp.test", params={"login": "kit"}, secret="pw-s3cret")
    result = provider_adapter.ProviderAdapter(config, client=httpx.Client(
        transport=httpx.MockTransport(handler))).pay(order())
    assert seen["auth"] == "Basic " + base64.b64encode(b"kit:pw-s3cret").decode()
    assert seen["query"]["command"] == ["pay"] and result.outcome == Outcome.OK
    assert "pw-s3cret" not in str(result.exchanges[0].as_dict())


def test_a_broken_account_pattern_in_the_simulators_params_is_never_a_500(client, gw):
    simulator_set(code="provider", params={"account_format": "[unclosed"})
    resp = client.get("/sim/provider/", {"command": "check", "txn_id": "1", "account": "12345678", "sum": "10.00"},
                      headers={"Authorization": AUTH})
    assert resp.status_code == 200 and b"<result>0</result>" in resp.content
