"""ComePay adapter (our assumed agent API) against its simulator, and its code table."""

import base64
import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from gateways import keys
from gateways.adapters import comepay as comepay_adapter
from gateways.adapters.base import GatewayConfig, Order, Outcome
from gateways.keys import rsa_sign
from gateways.models import Gateway
from gateways.services import adapter_for
from gateways.simulators.base import accepted
from gateways.simulators.models import SimulatorState
from gateways.simulators.services import simulator_provision

pytestmark = pytest.mark.django_db

PAID_AT = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
AUTH = "Basic " + base64.b64encode(b"kit-demo:demo-comepay-password").decode()


def order(account="9771234567", attempt="700000000001", credited="98.00", amount="100.00"):
    return Order(attempt_id=attempt, remote_id="301", account=account, amount=Decimal(amount),
                 credited=Decimal(credited), paid_at=PAID_AT, terminal="1001")


@pytest.fixture
def gw(db):
    gateway = Gateway.objects.create(code="comepay", name="ComePay", protocol="comepay",
                                     params={"login": "kit-demo"}, base_url="http://testserver/sim/comepay/",
                                     secret="demo-comepay-password")
    simulator_provision(gateway=gateway, sim_params={"login": "kit-demo"})
    return gateway


@pytest.fixture
def comepay(gw):
    return adapter_for(gw)


def outcomes(*results):
    return [r.outcome for r in results]


def post(client, op: str, body: bytes, sign_with: str | None = None, auth: str = AUTH):
    headers = {"Authorization": auth}
    if sign_with:
        headers["X-ComePay-Sign"] = base64.b64encode(rsa_sign(sign_with, body)).decode()
    resp = client.post(f"/sim/comepay/api/agent/v1/{op}", body, content_type="application/json", headers=headers)
    assert resp.status_code == 200
    return json.loads(resp.content)["response"]


def test_an_ordinary_account_is_checked_paid_and_shown_paid(comepay):
    o = order()
    check, pay, status = comepay.check(o), comepay.pay(o), comepay.status(o)
    assert outcomes(check, pay, status) == [Outcome.OK, Outcome.OK, Outcome.OK]
    assert pay.code == "paid" and pay.upstream_id and status.upstream_id == pay.upstream_id
    rec = accepted("comepay").get()
    assert (rec.key, rec.state, rec.amount, rec.amount_all) == ("700000000001", "paid", Decimal("98.00"),
                                                                 Decimal("100.00"))


def test_the_request_is_json_with_our_attempt_id_as_txn_id(comepay):
    body = json.loads(comepay.build("pay", order()))
    assert body["txn_id"] == "700000000001" and body["service"] == "301"
    assert (body["amount"], body["amount_all"], body["currency"]) == ("98.00", "100.00", "RUB")


def test_0001_pay_is_declined_definitively_and_status_says_rejected(comepay):
    o = order("9770000001")
    check, pay, status = comepay.check(o), comepay.pay(o), comepay.status(o)
    assert outcomes(check, pay, status) == [Outcome.OK, Outcome.DECLINED, Outcome.DECLINED]
    assert (pay.code, pay.reroutable) == ("rejected", False)
    assert accepted("comepay").get().state == "declined"


def test_0002_pay_reply_never_arrives_then_status_says_paid(comepay):
    o = order("9770000002")
    assert comepay.check(o).outcome == Outcome.OK
    assert (comepay.pay(o).outcome, accepted("comepay").get().state) == (Outcome.UNKNOWN, "paid")
    assert comepay.status(o).outcome == Outcome.OK


def test_0003_is_pending_for_two_polls_then_paid(comepay):
    o = order("9770000003")
    results = [comepay.check(o), comepay.pay(o), comepay.status(o), comepay.status(o), comepay.status(o)]
    assert outcomes(*results) == [Outcome.OK, Outcome.UNKNOWN, Outcome.UNKNOWN, Outcome.UNKNOWN, Outcome.OK]


def test_0004_is_busy_twice_then_paid(comepay):
    first, second, third = (comepay.pay(order("9770000004", attempt=a)) for a in ("11", "12", "13"))
    assert outcomes(first, second, third) == [Outcome.RETRY, Outcome.RETRY, Outcome.OK]
    assert first.code == "13"
    assert list(accepted("comepay").values_list("key", "state")) == [("13", "paid")]


def test_0005_check_says_the_account_does_not_exist(comepay):
    check = comepay.check(order("9770000005"))
    assert (check.outcome, check.code) == (Outcome.DECLINED, "298")
    assert not accepted("comepay").exists()


@pytest.mark.parametrize("account", ["9770000006", "9770000007"])
def test_0006_and_0007_are_accepted_here(comepay, account):
    o = order(account)
    assert outcomes(comepay.check(o), comepay.pay(o), comepay.status(o)) == [Outcome.OK] * 3


def test_status_of_an_unknown_txn_id_is_not_registered(comepay):
    status = comepay.status(order())
    assert (status.outcome, status.code) == (Outcome.RETRY, "210")


def test_a_repeated_pay_is_accepted_once_and_answers_the_same_payment(comepay):
    first, again = comepay.pay(order()), comepay.pay(order())
    assert outcomes(first, again) == [Outcome.OK, Outcome.OK] and first.upstream_id == again.upstream_id
    assert accepted("comepay").filter(state="paid").count() == 1


def test_the_same_txn_id_with_other_parameters_is_215_config(comepay):
    comepay.pay(order())
    other = comepay.pay(order(amount="101.00"))
    assert (other.outcome, other.code) == (Outcome.CONFIG, "215")
    assert accepted("comepay").get().amount_all == Decimal("100.00")


def test_a_request_signed_with_another_key_is_refused_with_150(gw):
    adapter = adapter_for(gw)
    forged = type(adapter)(dataclasses.replace(adapter.config, private_key_pem=keys.rsa_generate()[0]), client=adapter.client)
    assert (forged.pay(order()).outcome, forged.pay(order()).code) == (Outcome.CONFIG, "150")
    assert not accepted("comepay").exists()


def test_a_wrong_password_is_refused_with_150(gw):
    adapter = adapter_for(gw)
    wrong = type(adapter)(dataclasses.replace(adapter.config, secret="guess"), client=adapter.client)
    assert (wrong.pay(order()).outcome, wrong.pay(order()).code) == (Outcome.CONFIG, "150")
    assert not accepted("comepay").exists()


def test_unsigned_and_tampered_requests_are_refused(client, gw, comepay):
    body = comepay.build("pay", order())
    assert post(client, "pay", body)["result_code"] == 150
    sign = base64.b64encode(rsa_sign(gw.private_key, body)).decode()
    tampered = client.post("/sim/comepay/api/agent/v1/pay", body.replace(b"98.00", b"99.00"),
                           content_type="application/json", headers={"Authorization": AUTH, "X-ComePay-Sign": sign})
    assert json.loads(tampered.content)["response"]["result_code"] == 150
    assert not accepted("comepay").exists()


@pytest.mark.parametrize("garbage", [b"", b"not json", b"\xff\xfe{", b"[]", b'{"txn_id": "abc"}',
                                     b'{"txn_id": "12", "account": "1", "service": "1", "amount": "x"}',
                                     b'{"txn_id": 12, "account": "1", "service": "1", "amount": "NaN", '
                                     b'"amount_all": "1"}'])
def test_signed_garbage_gets_invalid_parameters_never_a_500(client, gw, garbage):
    assert post(client, "pay", garbage, sign_with=gw.private_key)["result_code"] == 5


def test_an_unknown_operation_and_a_get_are_invalid_parameters(client, gw):
    assert post(client, "refund", b"{}", sign_with=gw.private_key)["result_code"] == 5
    resp = client.get("/sim/comepay/api/agent/v1/pay", headers={"Authorization": AUTH})
    assert json.loads(resp.content)["response"]["result_code"] == 5


def test_amount_limits_are_declined(comepay):
    assert comepay.pay(order(credited="0.00")).code == "241"
    assert comepay.pay(order(attempt="31", credited="200000.00", amount="200000.00")).code == "242"


def test_a_reply_with_a_bad_signature_is_not_trusted(gw):
    adapter = adapter_for(gw)
    wrong = type(adapter)(dataclasses.replace(adapter.config, peer_public_key_pem=keys.rsa_generate()[1]), client=adapter.client)
    assert (wrong.pay(order()).outcome, wrong.pay(order()).code) == (Outcome.UNKNOWN, "bad_signature")
    assert wrong.check(order()).outcome == Outcome.RETRY
    assert wrong.status(order()).outcome == Outcome.UNKNOWN


def test_simulator_down_is_retry_with_nothing_recorded(comepay):
    SimulatorState.objects.filter(code="comepay").update(down=True)
    assert outcomes(comepay.check(order()), comepay.pay(order())) == [Outcome.RETRY, Outcome.RETRY]
    assert not accepted("comepay").exists()


def test_latency_past_the_read_timeout_makes_pay_unknown(comepay):
    SimulatorState.objects.filter(code="comepay").update(latency_ms=6000)
    assert comepay.pay(order()).outcome == Outcome.UNKNOWN


# --- the code table: every code maps to its class ----------------------------------------
CODE_EXPECTED = {0: Outcome.OK, 5: Outcome.DECLINED, 13: Outcome.RETRY, 150: Outcome.CONFIG, 210: Outcome.RETRY,
                 215: Outcome.CONFIG, 241: Outcome.DECLINED, 242: Outcome.DECLINED, 298: Outcome.DECLINED,
                 300: Outcome.UNKNOWN}
STATUS_EXPECTED = {"paid": Outcome.OK, "pending": Outcome.UNKNOWN, "rejected": Outcome.DECLINED,
                   "other": Outcome.UNKNOWN}


def scripted(reply: dict | bytes):
    ours, theirs = keys.rsa_generate(), keys.rsa_generate()
    raw = reply if isinstance(reply, bytes) else json.dumps({"response": reply}).encode()

    def handler(request):
        sign = base64.b64encode(rsa_sign(theirs[0], raw)).decode()
        return httpx.Response(200, content=raw, headers={"X-ComePay-Sign": sign})

    config = GatewayConfig(code="comepay", base_url="http://comepay.test", params={"login": "x"}, secret="s",
                           private_key_pem=ours[0], peer_public_key_pem=theirs[1])
    return comepay_adapter.ComePayAdapter(config, client=httpx.Client(transport=httpx.MockTransport(handler)))


def test_every_result_code_maps_to_its_class():
    assert set(CODE_EXPECTED) == set(comepay_adapter.RESULT_CODES)
    for code, expected in CODE_EXPECTED.items():
        result = scripted({"result_code": code, "status": "paid"}).pay(order())
        assert (code, result.outcome) == (code, expected)
    assert scripted({"result_code": 300}).check(order()).outcome == Outcome.RETRY  # check registers nothing
    assert scripted({"result_code": 999}).pay(order()).outcome == Outcome.UNKNOWN


def test_every_payment_status_maps_to_its_class():
    assert set(STATUS_EXPECTED) - {"other"} == set(comepay_adapter.STATUSES)
    for status, expected in STATUS_EXPECTED.items():
        assert (status, scripted({"result_code": 0, "status": status}).status(order()).outcome) == (status, expected)


def test_a_malformed_reply_on_pay_is_unknown():
    assert scripted(b"not json").pay(order()).outcome == Outcome.UNKNOWN
    assert scripted(b'{"response": {}}').pay(order()).outcome == Outcome.UNKNOWN
