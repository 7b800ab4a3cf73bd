"""The CyberPlat adapter against its simulator, in-process: every magic account and the
idempotency codes the protocol is known for (docs/gateways/cyberplat.md)."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, quote_from_bytes

import httpx
import pytest
from django.utils import timezone

from gateways import ipriv
from gateways.adapters.base import Order, Outcome
from gateways.adapters.cyberplat import CyberPlatAdapter
from gateways.models import Gateway
from gateways.services import adapter_for, gateway_config
from gateways.simulators.base import accepted
from gateways.simulators.models import SimRecord, SimulatorState
from gateways.simulators.services import simulator_provision
from gateways.simulators.transport import InProcessTransport

_ids = itertools.count(510000000000000001)


def order(account: str, *, attempt: str | None = None, amount: str = "100.00", credited: str = "98.00",
          remote: str = "mt", **kw) -> Order:
    return Order(attempt_id=attempt or str(next(_ids)), remote_id=remote, account=account, amount=Decimal(amount),
                 credited=Decimal(credited), paid_at=datetime(2026, 11, 28, 4, 0, tzinfo=UTC), terminal="1001", **kw)


PARAMS = {"SD": "70001", "AP": "70002", "OP": "70003", "key_serial": "700042"}


@pytest.fixture
def gateway(db):
    """The demo's CyberPlat gateway, without the rest of the demo world (faster)."""
    gw = Gateway.objects.create(code="cyberplat", name="CyberPlat", protocol="cyberplat",
                                base_url="http://testserver/sim/cyberplat/", params=PARAMS,
                                secret="demo-cyberplat-password", connect_timeout=2.0, read_timeout=5.0)
    simulator_provision(gateway=gw, sim_params=PARAMS)
    return gw


@pytest.fixture
def adapter(gateway) -> CyberPlatAdapter:
    return adapter_for(gateway)


def paid(session: str) -> int:
    return accepted("cyberplat").filter(key=session, state="paid").count()


# --- every magic account ---------------------------------------------------------------
def test_a_normal_account_is_checked_paid_and_reported_done(adapter):
    o = order("9161234567")
    checked = adapter.check(o)
    assert checked.outcome == Outcome.OK and checked.code == "0"
    assert "9161234567" in checked.extra["addinfo"]
    result = adapter.pay(o)
    assert result.outcome == Outcome.OK and len(result.upstream_id) == 13 and result.upstream_id.isdigit()
    status = adapter.status(o)
    assert status.outcome == Outcome.OK and status.upstream_id == result.upstream_id
    rec = SimRecord.objects.get(code="cyberplat", key=o.attempt_id)
    assert (rec.state, rec.account, rec.amount, rec.amount_all) == ("paid", "9161234567", Decimal("98.00"),
                                                                    Decimal("100.00"))
    assert rec.upstream_id == result.upstream_id


def test_0001_pay_is_declined_for_good_and_not_reroutable(adapter):
    o = order("9160000001")
    assert adapter.check(o).outcome == Outcome.OK
    result = adapter.pay(o)
    assert (result.outcome, result.code, result.reroutable) == (Outcome.DECLINED, "23", False)
    assert SimRecord.objects.get(code="cyberplat", key=o.attempt_id).state == "declined"
    status = adapter.status(o)
    assert (status.outcome, status.code, status.extra["result"]) == (Outcome.DECLINED, "23", "7")
    assert paid(o.attempt_id) == 0


def test_0002_pay_times_out_after_the_simulator_took_it_and_status_says_done(adapter):
    o = order("9160000002")
    assert adapter.check(o).outcome == Outcome.OK
    result = adapter.pay(o)
    assert (result.outcome, result.code) == (Outcome.UNKNOWN, "transport")
    assert "no reply" in result.message
    assert paid(o.attempt_id) == 1
    status = adapter.status(o)
    assert status.outcome == Outcome.OK
    assert status.upstream_id == SimRecord.objects.get(code="cyberplat", key=o.attempt_id).upstream_id
    assert accepted("cyberplat").filter(account="9160000002", state="paid").count() == 1


def test_0003_pay_is_pending_for_two_polls_then_done(adapter):
    o = order("9160000003")
    assert adapter.check(o).outcome == Outcome.OK
    result = adapter.pay(o)
    assert (result.outcome, result.code) == (Outcome.UNKNOWN, "20")
    assert result.upstream_id
    polls = [adapter.status(o) for _ in range(3)]
    assert [(p.outcome, p.extra["result"]) for p in polls] == [
        (Outcome.UNKNOWN, "3"), (Outcome.UNKNOWN, "3"), (Outcome.OK, "7")]
    assert paid(o.attempt_id) == 1


def test_0004_check_fails_transiently_twice_then_the_payment_goes_through(adapter):
    outcomes = []
    for _ in range(3):
        o = order("9160000004")  # each attempt: a new SESSION, as after any RETRY
        outcomes.append(adapter.check(o))
    assert [(r.outcome, r.code) for r in outcomes] == [(Outcome.RETRY, "30"), (Outcome.RETRY, "30"), (Outcome.OK, "0")]
    assert adapter.pay(o).outcome == Outcome.OK
    assert accepted("cyberplat").filter(account="9160000004").count() == 1  # failed checks registered nothing


def test_0005_check_says_the_account_does_not_exist(adapter):
    result = adapter.check(order("9160000005"))
    assert (result.outcome, result.code, result.reroutable) == (Outcome.DECLINED, "23", False)


def test_0006_check_declines_with_45_which_the_router_may_take_elsewhere(adapter):
    result = adapter.check(order("9160000006"))
    assert (result.outcome, result.code, result.reroutable) == (Outcome.DECLINED, "45", True)


def test_0007_pay_answers_32_and_status_of_that_session_says_done(adapter):
    o = order("9160000007")
    assert adapter.check(o).outcome == Outcome.OK
    result = adapter.pay(o)
    assert (result.outcome, result.code) == (Outcome.UNKNOWN, "32")
    status = adapter.status(o)
    assert (status.outcome, status.code, status.extra["result"]) == (Outcome.OK, "0", "7")
    assert paid(o.attempt_id) == 1


# --- idempotency codes -----------------------------------------------------------------
def test_a_reused_session_at_check_is_code_1_and_config(adapter):
    o = order("9161234567")
    assert adapter.check(o).outcome == Outcome.OK
    again = adapter.check(o)
    assert (again.outcome, again.code) == (Outcome.CONFIG, "1")


def test_status_of_an_unknown_session_is_11_not_registered(adapter):
    result = adapter.status(order("9161234567"))
    assert (result.outcome, result.code) == (Outcome.RETRY, "11")


def test_pay_without_a_check_is_11_and_config(adapter):
    result = adapter.pay(order("9161234567"))
    assert (result.outcome, result.code) == (Outcome.CONFIG, "11")
    assert accepted("cyberplat").count() == 0


@pytest.mark.parametrize("change, code", [
    ({"account": "9167654321"}, "17"),
    ({"credited": "97.00"}, "18"),
    ({"amount": "101.00"}, "18"),
    ({"fields": {"ACCOUNT": "42"}}, "19"),
])
def test_a_pay_that_differs_from_its_check_is_refused(adapter, change, code):
    o = order("9161234567")
    assert adapter.check(o).outcome == Outcome.OK
    changed = order(**{"account": o.account, "attempt": o.attempt_id, **change})
    result = adapter.pay(changed)
    assert (result.outcome, result.code) == (Outcome.CONFIG, code)
    assert paid(o.attempt_id) == 0


def test_a_pay_through_another_gateway_than_its_check_is_37(adapter):
    o = order("9161234567", remote="mt")
    assert adapter.check(o).outcome == Outcome.OK
    result = adapter.pay(order(o.account, attempt=o.attempt_id, remote="rt"))
    assert (result.outcome, result.code) == (Outcome.CONFIG, "37")


def test_a_pay_more_than_an_hour_after_its_check_is_38_and_retryable(adapter):
    o = order("9161234567")
    assert adapter.check(o).outcome == Outcome.OK
    SimRecord.objects.filter(code="cyberplat", key=o.attempt_id).update(
        created_at=timezone.now() - timedelta(minutes=61))
    result = adapter.pay(o)
    assert (result.outcome, result.code) == (Outcome.RETRY, "38")
    assert paid(o.attempt_id) == 0


def test_the_same_pay_twice_is_36_and_takes_the_money_once(adapter):
    o = order("9161234567")
    adapter.check(o)
    first, second = adapter.pay(o), adapter.pay(o)
    assert first.outcome == Outcome.OK
    assert (second.outcome, second.code, second.upstream_id) == (Outcome.UNKNOWN, "36", first.upstream_id)
    assert paid(o.attempt_id) == 1


def test_a_dealer_balance_too_low_is_21_and_retryable(adapter):
    SimulatorState.objects.filter(code="cyberplat").update(params={**PARAMS, "balance": "50.00"})
    result = adapter.check(order("9161234567"))
    assert (result.outcome, result.code) == (Outcome.RETRY, "21")


@pytest.mark.parametrize("field, code", [("SD", "2"), ("AP", "3"), ("OP", "4")])
def test_wrong_dealer_point_or_operator_codes_are_config(gateway, field, code):
    gateway.params = {**gateway.params, field: "99999"}
    result = adapter_for(gateway).check(order("9161234567"))
    assert (result.outcome, result.code) == (Outcome.CONFIG, code)


def test_an_unknown_key_serial_is_134(gateway):
    gateway.params = {**gateway.params, "key_serial": "1", "peer_key_serial": "700042"}
    result = adapter_for(gateway).check(order("9161234567"))
    assert (result.outcome, result.code) == (Outcome.CONFIG, "134")


# --- signatures ------------------------------------------------------------------------
class Tamper(httpx.BaseTransport):
    """Passes requests to the in-process simulators, changing what goes out or comes back."""

    def __init__(self, request=None, response=None):
        self.inner, self.on_request, self.on_response = InProcessTransport(), request, response

    def handle_request(self, request):
        if self.on_request:
            doc = dict(parse_qsl(request.content.decode("latin-1"), encoding="latin-1"))["inputmessage"]
            doc = self.on_request(doc.encode("latin-1"))
            request = httpx.Request(request.method, request.url, headers={"Content-Type": "application/x-www-form-urlencoded"},
                                    content=b"inputmessage=" + quote_from_bytes(doc, safe="").encode(),
                                    extensions=request.extensions)
        response = self.inner.handle_request(request)
        if self.on_response:
            return httpx.Response(response.status_code, headers=response.headers,
                                  content=self.on_response(response.read()))
        return response


def test_a_tampered_request_gets_error_6_and_config_and_nothing_is_recorded(gateway):
    tamper = Tamper(request=lambda doc: doc.replace(b"AMOUNT=98.00", b"AMOUNT=99.00"))
    adapter = CyberPlatAdapter(gateway_config(gateway), client=httpx.Client(transport=tamper))
    result = adapter.check(order("9161234567"))
    assert (result.outcome, result.code) == (Outcome.CONFIG, "6")
    assert accepted("cyberplat").count() == 0


@pytest.mark.parametrize("op, expected", [("check", Outcome.RETRY), ("pay", Outcome.UNKNOWN),
                                          ("status", Outcome.UNKNOWN)])
def test_a_reply_with_a_bad_signature_is_not_trusted(adapter, gateway, op, expected):
    o = order("9161234567")
    if op != "check":
        assert adapter.check(o).outcome == Outcome.OK
    if op == "status":
        assert adapter.pay(o).outcome == Outcome.OK
    # Same length, one field changed: the CRC still matches, only the signature can tell.
    forged = Tamper(response=lambda doc: doc.replace(b"ERROR=0", b"ERROR=9"))
    result = getattr(CyberPlatAdapter(gateway_config(gateway), client=httpx.Client(transport=forged)), op)(o)
    assert (result.outcome, result.code) == (expected, "bad_reply")


def test_a_reply_signed_with_another_key_is_not_trusted(gateway):
    from gateways import keys

    others = [keys.rsa_generate()[1] for _ in range(3)]
    gateway.peer_public_key = next(k for k in others if k != gateway.peer_public_key)
    result = adapter_for(gateway).check(order("9161234567"))
    assert (result.outcome, result.code) == (Outcome.RETRY, "bad_reply")


def test_a_garbled_reply_is_not_trusted(gateway):
    garbled = Tamper(response=lambda doc: b"<html>502 Bad Gateway</html>")
    adapter = CyberPlatAdapter(gateway_config(gateway), client=httpx.Client(transport=garbled))
    assert adapter.check(order("9161234567")).outcome == Outcome.RETRY
    assert adapter.pay(order("9161234567")).outcome == Outcome.UNKNOWN


def test_the_modern_sha256_mode_works_end_to_end(gateway):
    gateway.params = {**gateway.params, "hash": "modern"}
    adapter = adapter_for(gateway)
    o = order("9161234567")
    assert adapter.check(o).outcome == Outcome.OK
    exchange = adapter.pay(o).exchanges[0]
    assert ipriv.parse(exchange.request.encode("cp1251")).signature.hash_algo == ipriv.HASH_SHA256


# --- transport, local refusals, exchanges -----------------------------------------------
def test_a_simulator_that_is_down_means_retry_even_for_pay(adapter):
    SimulatorState.objects.filter(code="cyberplat").update(down=True)
    assert adapter.check(order("9161234567")).outcome == Outcome.RETRY
    assert adapter.pay(order("9161234567")).outcome == Outcome.RETRY


def test_a_bad_remote_id_or_session_is_config_and_nothing_is_sent(adapter):
    assert adapter.check(order("9161234567", remote="../x")).outcome == Outcome.CONFIG
    result = adapter.check(order("9161234567", attempt="12-34"))
    assert (result.outcome, result.code) == (Outcome.CONFIG, "local:session")
    assert result.exchanges[0].status is None


def test_an_account_cyberplat_cannot_carry_is_a_reroutable_local_decline(adapter):
    result = adapter.check(order("916-123-45-67"))
    assert (result.outcome, result.code, result.reroutable) == (Outcome.DECLINED, "local:number", True)


def test_missing_keys_are_config(gateway):
    gateway.private_key = ""
    assert adapter_for(gateway).check(order("9161234567")).outcome == Outcome.CONFIG


def test_the_exchange_keeps_the_signed_document_in_clear_and_no_secret(gateway):
    gateway.secret = "70002"  # pretend the point code were secret: it must be masked wherever it shows
    result = adapter_for(gateway).check(order("9161234567"))
    ex = result.exchanges[0]
    assert ex.url == "http://testserver/sim/cyberplat/cgi-bin/mt/mt_pay_check.cgi"
    assert "SESSION=" in ex.request and "AMOUNT_ALL=100.00" in ex.request and "BEGIN SIGNATURE" in ex.request
    assert "70002" not in ex.request and "***" in ex.request
    assert "PRIVATE KEY" not in ex.request and ex.status == 200 and "ERROR=0" in ex.response


def test_the_request_body_carries_the_protocol_fields(adapter):
    o = order("9161234567")
    doc = ipriv.parse(adapter.check(o).exchanges[0].request.encode("cp1251"))
    fields = ipriv.body_decode(doc.body)
    assert {k: fields[k] for k in ("SD", "AP", "OP", "SESSION", "NUMBER", "AMOUNT", "AMOUNT_ALL", "ACCEPT_KEYS")} == {
        "SD": "70001", "AP": "70002", "OP": "70003", "SESSION": o.attempt_id, "NUMBER": "9161234567",
        "AMOUNT": "98.00", "AMOUNT_ALL": "100.00", "ACCEPT_KEYS": "700042"}
    assert datetime.strptime(fields["DATE"], "%d.%m.%Y %H:%M:%S")
    assert doc.subject == ipriv.KeyId("70001", 700042)


def test_the_demo_world_gateway_speaks_to_its_simulator(world):
    adapter = adapter_for(world["gateways"]["cyberplat"])
    o = order("9161234567")
    assert adapter.check(o).outcome == Outcome.OK and adapter.pay(o).outcome == Outcome.OK


def test_status_that_says_only_the_check_arrived_sends_the_pay_again_under_the_same_session(adapter):
    o = order("9161230042")
    assert adapter.check(o).outcome == Outcome.OK  # the worker died here: pay never sent
    result = adapter.status(o)
    assert result.outcome == Outcome.OK and result.extra["resent_after_status"] == "1"
    assert [e.op for e in result.exchanges] == ["status", "pay"]
    assert paid(o.attempt_id) == 1
    again = adapter.status(o)  # now the session is finished: no second pay
    assert again.outcome == Outcome.OK and [e.op for e in again.exchanges] == ["status"]
    assert accepted("cyberplat").filter(account="9161230042", state="paid").count() == 1
