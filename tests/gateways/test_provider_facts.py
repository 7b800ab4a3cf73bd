"""The provider protocol as real billings speak it (docs/gateways/provider.md, facts P1-P4).

Each table row is one reply or request seen from a real implementation of the protocol;
the adapter is driven by scripted replies, the simulator through its HTTP view.
"""

import base64
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest

from gateways.adapters import provider as provider_adapter
from gateways.adapters.base import GatewayConfig, Order, Outcome
from gateways.models import Gateway
from gateways.simulators.base import accepted
from gateways.simulators.services import simulator_provision, simulator_set

PAID_AT = datetime(2026, 11, 28, 9, 30, 5, tzinfo=UTC)
TXN = "800000000001"
PARAMS = {"login": "kit-demo", "account_format": r"[0-9]{6,10}", "min_amount": "10.00", "max_amount": "15000.00"}
AUTH = "Basic " + base64.b64encode(b"kit-demo:demo-provider-password").decode()


def order(account="12345678", attempt=TXN):
    return Order(attempt_id=attempt, remote_id="isp", account=account, amount=Decimal("500.00"),
                 credited=Decimal("500.00"), paid_at=PAID_AT, terminal="1001")


def billing(body: str, params: dict | None = None, seen: list | None = None):
    """An adapter whose billing answers `body` to every request (and records the requests)."""
    def handler(request):
        if seen is not None:
            seen.append(request)
        return httpx.Response(200, content=body.encode())

    config = GatewayConfig(code="provider", base_url="http://isp.test", params=params or {}, secret="s")
    return provider_adapter.ProviderAdapter(config, client=httpx.Client(transport=httpx.MockTransport(handler)))


# --- P1: a definitive decline comes with an empty <osmp_txn_id> ----------------------------
P1 = [
    # (reply's osmp_txn_id element, result, operation, expected outcome)
    ("<osmp_txn_id></osmp_txn_id>", 5, "check", Outcome.DECLINED),
    ("<osmp_txn_id/>", 5, "pay", Outcome.DECLINED),
    ("<osmp_txn_id/>", 4, "pay", Outcome.DECLINED),
    ("<osmp_txn_id/>", 7, "pay", Outcome.DECLINED),
    ("<osmp_txn_id></osmp_txn_id>", 300, "check", Outcome.DECLINED),
    ("<osmp_txn_id/>", 1, "check", Outcome.RETRY),       # a non-fatal code keeps its own class
    ("<osmp_txn_id/>", 0, "pay", Outcome.UNKNOWN),       # success must echo our txn_id
    ("<osmp_txn_id/>", 0, "check", Outcome.RETRY),
    ("<osmp_txn_id>999</osmp_txn_id>", 5, "pay", Outcome.UNKNOWN),   # another txn's reply: refused
    ("<osmp_txn_id>999</osmp_txn_id>", 0, "pay", Outcome.UNKNOWN),
    (f"<osmp_txn_id>{TXN}</osmp_txn_id>", 5, "pay", Outcome.DECLINED),
]


@pytest.mark.parametrize("echo, result, op, expected", P1)
def test_p1_an_empty_echo_is_accepted_only_with_a_decline(echo, result, op, expected):
    adapter = billing(f"<response>{echo}<prv_txn/><sum>500.00</sum><result>{result}</result>"
                      f"<comment/></response>")
    assert getattr(adapter, op)(order()).outcome == expected


# --- P2: billings that never send prv_txn -----------------------------------------------------
P2 = [
    # (reply body, params, expected outcome, expected upstream id)
    (f"<response><osmp_txn_id>{TXN}</osmp_txn_id><result>0</result></response>", {}, Outcome.OK, TXN),
    (f"<response><osmp_txn_id>{TXN}</osmp_txn_id><prv_txn/><result>0</result></response>", {}, Outcome.OK, TXN),
    (f"<response><osmp_txn_id>{TXN}</osmp_txn_id><prv_txn>77</prv_txn><result>0</result></response>", {},
     Outcome.OK, "77"),
    (f"<response><osmp_txn_id>{TXN}</osmp_txn_id><result>0</result></response>", {"require_prv_txn": True},
     Outcome.UNKNOWN, ""),
    (f"<response><osmp_txn_id>{TXN}</osmp_txn_id><prv_txn>77</prv_txn><sum>5.00</sum><result>0</result>"
     f"</response>", {}, Outcome.UNKNOWN, "77"),  # an echoed sum must still be ours
]


@pytest.mark.parametrize("body, params, expected, upstream", P2)
def test_p2_a_success_without_prv_txn_is_paid_under_our_txn_id(body, params, expected, upstream):
    result = billing(body, params).pay(order())
    assert (result.outcome, result.upstream_id) == (expected, upstream)
    if expected == Outcome.OK and upstream == TXN:
        assert result.extra["no_provider_reference"] == "1"
        assert "no provider reference" in result.message
    if expected == Outcome.OK and upstream == "77":
        assert "no_provider_reference" not in result.extra


# --- P3: GET with the query string by default, POST as an option --------------------------------
P3 = [
    ({}, "GET"),
    ({"http_method": "get"}, "GET"),
    ({"http_method": "POST"}, "POST"),
]


@pytest.mark.parametrize("params, method", P3)
def test_p3_the_request_is_a_get_with_the_query_string_unless_post_is_configured(params, method):
    seen = []
    reply = f"<response><osmp_txn_id>{TXN}</osmp_txn_id><result>0</result></response>"
    assert billing(reply, params, seen).check(order()).outcome == Outcome.OK
    request = seen[0]
    assert request.method == method
    query = parse_qs(request.url.query.decode() if method == "GET" else request.content.decode())
    assert query == {"command": ["check"], "txn_id": [TXN], "account": ["12345678"], "sum": ["500.00"]}


@pytest.fixture
def isp_gateway(db):
    gateway = Gateway.objects.create(code="provider", name="ISP", protocol="provider", params=PARAMS,
                                     base_url="http://testserver/sim/provider/", secret="demo-provider-password")
    simulator_provision(gateway=gateway, sim_params=PARAMS)
    return gateway


def _sim_params(**extra):
    simulator_set(code="provider", params=extra)


@pytest.mark.django_db
@pytest.mark.parametrize("method, status", [("get", 200), ("post", 405)])
def test_p3_a_get_only_billing_answers_a_post_with_405(client, isp_gateway, method, status):
    _sim_params(methods="GET")
    query = {"command": "check", "txn_id": "1", "account": "12345678", "sum": "10.00"}
    response = getattr(client, method)("/sim/provider/", query, headers={"Authorization": AUTH})
    assert response.status_code == status


@pytest.mark.django_db
def test_p3_the_default_adapter_pays_a_get_only_billing(isp_gateway):
    from gateways.services import adapter_for

    _sim_params(methods="GET")
    adapter = adapter_for(isp_gateway)
    assert [adapter.check(order()).outcome, adapter.pay(order()).outcome] == [Outcome.OK, Outcome.OK]


# --- P4: the simulator validates txn_id before acting on it ------------------------------------
P4 = [
    # (txn_id, command, expected result, books a payment)
    ("1" * 21, "pay", "300", False),
    ("1" * 25, "check", "300", False),
    ("12345678901234567890", "pay", "0", True),   # 20 digits: the protocol's maximum
    ("12a45", "pay", "300", False),
    ("", "pay", "300", False),
]


@pytest.mark.django_db
@pytest.mark.parametrize("txn_id, command, result, booked", P4)
def test_p4_a_malformed_txn_id_is_answered_300_and_nothing_is_booked(client, isp_gateway, txn_id, command,
                                                                      result, booked):
    query = {"command": command, "txn_id": txn_id, "account": "12345678", "sum": "10.00",
             "txn_date": "20261128123005"}
    response = client.get("/sim/provider/", query, headers={"Authorization": AUTH})
    assert response.status_code == 200 and f"<result>{result}</result>".encode() in response.content
    assert accepted("provider").filter(state="paid").exists() is booked
    if result != "0":
        assert not accepted("provider").filter(key=txn_id[:20]).exists()
