"""OSMP / QIWI adapter against its simulator (in-process), and its code table."""

import base64
import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from gateways import keys
from gateways.adapters import osmp as osmp_adapter
from gateways.adapters.base import Order, Outcome
from gateways.keys import rsa_sign
from gateways.models import Gateway
from gateways.services import adapter_for
from gateways.simulators.base import accepted
from gateways.simulators.models import SimulatorState
from gateways.simulators.services import simulator_provision

pytestmark = pytest.mark.django_db

PAID_AT = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def order(account="9031234567", attempt="500000000001", credited="98.00", amount="100.00", remote="2"):
    return Order(attempt_id=attempt, remote_id=remote, account=account, amount=Decimal(amount),
                 credited=Decimal(credited), paid_at=PAID_AT, terminal="1001")


@pytest.fixture
def auth():
    """How we authenticate at the gateway (and it checks): md5 by default; tests of the
    RSA signature parametrize it to "rsa"."""
    return "md5"


@pytest.fixture
def gw(db, auth):
    """The demo's OSMP gateway, without the rest of the demo world (faster)."""
    params = {"terminal_id": "7000101", "login": "kit-demo", "auth": auth}
    gateway = Gateway.objects.create(code="osmp", name="OSMP", protocol="osmp", params=params,
                                     base_url="http://testserver/sim/osmp/", secret="demo-osmp-password")
    simulator_provision(gateway=gateway, sim_params=params)
    return gateway


@pytest.fixture
def osmp(gw):
    return adapter_for(gw)


def outcomes(*results):
    return [r.outcome for r in results]


def test_an_ordinary_account_is_checked_paid_and_shown_paid(osmp):
    o = order()
    check, pay = osmp.check(o), osmp.pay(o)
    status = osmp.status(dataclasses.replace(o, upstream_id=pay.upstream_id))
    assert outcomes(check, pay, status) == [Outcome.OK, Outcome.OK, Outcome.OK]
    assert pay.code == "status=60" and pay.upstream_id and status.upstream_id == pay.upstream_id
    rec = accepted("osmp").get()
    assert (rec.key, rec.state, rec.account) == ("500000000001", "paid", "9031234567")
    assert (rec.amount, rec.amount_all) == (Decimal("98.00"), Decimal("100.00"))


@pytest.mark.parametrize("auth", ["rsa"])
def test_request_carries_our_attempt_id_as_payment_and_receipt_id_and_is_signed(osmp, gw):
    body = osmp.build("addOfflinePayment", order())
    assert b'<payment id="500000000001">' in body and b'<receipt id="500000000001"' in body
    assert b'<from currency="643" amount="100.00"' in body
    assert b'<to currency="643" service="2" amount="98.00" account="9031234567"' in body
    assert b'<auth login="kit-demo" signAlg="SHA256withRSA" />' in body  # the header signs, no password


def test_0001_pay_is_declined_definitively_and_status_says_so(osmp):
    o = order("9030000001")
    check, pay, status = osmp.check(o), osmp.pay(o), osmp.status(o)
    assert outcomes(check, pay, status) == [Outcome.OK, Outcome.DECLINED, Outcome.DECLINED]
    assert pay.code == "status=150" and pay.reroutable is False
    assert accepted("osmp").get().state == "declined"


def test_0002_pay_reply_never_arrives_then_status_says_paid(osmp):
    o = order("9030000002")
    assert osmp.check(o).outcome == Outcome.OK
    pay = osmp.pay(o)
    assert (pay.outcome, pay.code) == (Outcome.UNKNOWN, "transport")
    assert accepted("osmp").get().state == "paid"  # it was accepted: the reply was lost
    assert osmp.status(o).outcome == Outcome.OK


def test_0003_is_pending_for_two_status_polls_then_paid(osmp):
    o = order("9030000003")
    results = [osmp.check(o), osmp.pay(o), osmp.status(o), osmp.status(o), osmp.status(o)]
    assert outcomes(*results) == [Outcome.OK, Outcome.UNKNOWN, Outcome.UNKNOWN, Outcome.UNKNOWN, Outcome.OK]
    assert [r.code for r in results[1:]] == ["status=50", "status=52", "status=52", "status=60"]


def test_0004_is_not_registered_twice_then_paid(osmp):
    first, second, third = (osmp.pay(order("9030000004", attempt=a)) for a in ("11", "12", "13"))
    assert outcomes(first, second, third) == [Outcome.RETRY, Outcome.RETRY, Outcome.OK]
    assert first.code == "status=-1"
    assert list(accepted("osmp").values_list("key", "state")) == [("13", "paid")]


def test_0005_check_says_the_account_does_not_exist(osmp):
    check = osmp.check(order("9030000005"))
    assert (check.outcome, check.code, check.reroutable) == (Outcome.DECLINED, "298", False)
    assert not accepted("osmp").exists()


@pytest.mark.parametrize("account", ["9030000006", "9030000007"])
def test_0006_and_0007_are_accepted_here(osmp, account):
    o = order(account)
    assert outcomes(osmp.check(o), osmp.pay(o), osmp.status(o)) == [Outcome.OK] * 3


def test_a_repeated_pay_is_accepted_once_and_answers_the_same_payment(osmp):
    o = order()
    first, again = osmp.pay(o), osmp.pay(o)
    assert outcomes(first, again) == [Outcome.OK, Outcome.OK]
    assert first.upstream_id == again.upstream_id
    assert accepted("osmp").filter(state="paid").count() == 1


def test_the_same_id_with_other_parameters_is_215_config(osmp):
    osmp.pay(order())
    other = osmp.pay(order(credited="97.00"))
    assert (other.outcome, other.code) == (Outcome.CONFIG, "215")
    assert accepted("osmp").get().amount == Decimal("98.00")


@pytest.mark.parametrize("auth", ["rsa"])
def test_a_request_signed_with_another_key_is_refused_with_150(gw):
    forged = adapter_for(gw, config=dataclasses.replace(adapter_for(gw).config, private_key_pem=keys.rsa_generate()[0]))
    result = forged.pay(order())
    assert (result.outcome, result.code) == (Outcome.CONFIG, "150")
    assert not accepted("osmp").exists()


@pytest.mark.parametrize("auth", ["rsa"])
def test_a_tampered_body_is_refused(client, gw, osmp):
    body = osmp.build("addOfflinePayment", order())
    sign = base64.b64encode(rsa_sign(gw.private_key, body)).decode()
    resp = client.post("/sim/osmp/xmlutf.jsp", body.replace(b"98.00", b"99.00"), content_type="text/xml",
                       headers={"X-Digital-Sign": sign, "X-Digital-Sign-Alg": "SHA256withRSA"})
    assert resp.status_code == 200 and b'result="150"' in resp.content
    assert not accepted("osmp").exists()


@pytest.mark.parametrize("auth", ["rsa"])
def test_an_unsigned_request_is_refused(client, osmp):
    resp = client.post("/sim/osmp/xmlutf.jsp", osmp.build("addOfflinePayment", order()), content_type="text/xml")
    assert b'result="150"' in resp.content and not accepted("osmp").exists()


GARBAGE = [
    b"", b"not xml", b"\xff\xfe<<", b'<request><auth login="kit-demo"/></request>',
    b'<request><auth login="kit-demo"/><providers><addOfflinePayment><payment id="x"/></addOfflinePayment>'
    b"</providers></request>",
    b'<!DOCTYPE r [<!ENTITY a "aaaa">]><request>&a;</request>',
]


@pytest.mark.parametrize("auth", ["rsa"])
@pytest.mark.parametrize("garbage", GARBAGE)
def test_signed_garbage_gets_the_format_error_never_a_500(client, gw, garbage):
    sign = base64.b64encode(rsa_sign(gw.private_key, garbage)).decode()
    resp = client.post("/sim/osmp/xmlutf.jsp", garbage, content_type="text/xml",
                       headers={"X-Digital-Sign": sign, "X-Digital-Sign-Alg": "SHA256withRSA"})
    assert resp.status_code == 200 and b'result="300"' in resp.content


def test_a_get_is_answered_with_the_format_error(client):
    assert b'result="300"' in client.get("/sim/osmp/xmlutf.jsp").content


def test_a_reply_with_a_bad_signature_is_not_trusted(gw):
    adapter = adapter_for(gw)
    wrong = type(adapter)(dataclasses.replace(adapter.config, peer_public_key_pem=keys.rsa_generate()[1]), client=adapter.client)
    o = order()
    assert (wrong.pay(o).outcome, wrong.pay(o).code) == (Outcome.UNKNOWN, "bad_signature")
    assert wrong.check(o).outcome == Outcome.RETRY
    assert wrong.status(o).outcome == Outcome.UNKNOWN


@pytest.mark.parametrize("auth", ["rsa"])
def test_a_gateway_without_keys_is_config_and_sends_nothing(gw):
    adapter = adapter_for(gw)
    bare = type(adapter)(dataclasses.replace(adapter.config, private_key_pem=""), client=adapter.client)
    assert bare.pay(order()).outcome == Outcome.CONFIG
    assert not accepted("osmp").exists()


def test_simulator_down_is_retry_with_nothing_recorded(osmp):
    SimulatorState.objects.filter(code="osmp").update(down=True)
    assert outcomes(osmp.check(order()), osmp.pay(order())) == [Outcome.RETRY, Outcome.RETRY]
    assert not accepted("osmp").exists()


def test_latency_past_the_read_timeout_makes_pay_unknown_and_check_retry(osmp):
    SimulatorState.objects.filter(code="osmp").update(latency_ms=6000)
    assert osmp.check(order(attempt="21")).outcome == Outcome.RETRY
    assert osmp.pay(order(attempt="22")).outcome == Outcome.UNKNOWN


def test_amount_limits_are_declined(osmp):
    assert osmp.pay(order(credited="0.00")).code == "241"
    assert osmp.pay(order(attempt="31", credited="200000.00", amount="200000.00")).code == "242"


# --- the code table: every code maps to its class (expected values written here) ---------
REQUEST_EXPECTED = {13: Outcome.RETRY, 150: Outcome.CONFIG, 300: Outcome.RETRY, 339: Outcome.CONFIG}
RESULT_EXPECTED = {155: Outcome.CONFIG, 204: Outcome.DECLINED, 215: Outcome.CONFIG, 220: Outcome.RETRY,
                   241: Outcome.DECLINED, 242: Outcome.DECLINED, 298: Outcome.DECLINED, 300: Outcome.UNKNOWN,
                   316: Outcome.CONFIG, 319: Outcome.DECLINED, 700: Outcome.DECLINED, 702: Outcome.DECLINED}
STATUS_EXPECTED = {-1: Outcome.RETRY, 0: Outcome.UNKNOWN, 49: Outcome.UNKNOWN, 50: Outcome.UNKNOWN,
                   52: Outcome.UNKNOWN, 59: Outcome.UNKNOWN, 60: Outcome.OK, 150: Outcome.DECLINED,
                   151: Outcome.DECLINED, 160: Outcome.DECLINED, 99: Outcome.UNKNOWN}


def scripted(reply: bytes):
    """An adapter whose gateway answers `reply`, signed with the gateway's key."""
    ours, theirs = keys.rsa_generate(), keys.rsa_generate()

    def handler(request):
        sign = base64.b64encode(rsa_sign(theirs[0], reply)).decode()
        return httpx.Response(200, content=reply, headers={"X-Digital-Sign": sign,
                                                           "X-Digital-Sign-Alg": "SHA256withRSA"})

    from gateways.adapters.base import GatewayConfig

    config = GatewayConfig(code="osmp", base_url="http://osmp.test", params={"login": "x"}, secret="x-password",
                           private_key_pem=ours[0], peer_public_key_pem=theirs[1])
    return osmp_adapter.OsmpAdapter(config, client=httpx.Client(transport=httpx.MockTransport(handler)))


def payment_reply(op: str, attrs: str) -> bytes:
    return (f'<response result="0"><providers><{op} result="0"><payment id="500000000001" {attrs}/>'
            f"</{op}></providers></response>").encode()


def test_every_request_level_code_maps_to_its_class():
    assert set(REQUEST_EXPECTED) == set(osmp_adapter.REQUEST_CODES)
    for code, expected in REQUEST_EXPECTED.items():
        result = scripted(f'<response result="{code}"/>'.encode()).pay(order())
        assert (code, result.outcome, result.code) == (code, expected, str(code))


def test_every_payment_result_code_maps_to_its_class():
    assert set(RESULT_EXPECTED) == set(osmp_adapter.RESULT_CODES)
    for code, expected in RESULT_EXPECTED.items():
        result = scripted(payment_reply("addOfflinePayment", f'result="{code}" fatal="true"')).pay(order())
        assert (code, result.outcome) == (code, expected)
    assert scripted(payment_reply("addOfflinePayment", 'result="319" fatal="true"')).pay(order()).reroutable


def test_every_status_range_maps_to_its_class():
    for status, expected in STATUS_EXPECTED.items():
        result = scripted(payment_reply("getPaymentStatus", f'result="0" status="{status}"')).status(order())
        assert (status, result.outcome, result.code) == (status, expected, f"status={status}")


def test_unlisted_payment_codes_follow_the_fatal_flag_and_check_never_reads_unknown():
    fatal = scripted(payment_reply("addOfflinePayment", 'result="777" fatal="true"')).pay(order())
    not_fatal = scripted(payment_reply("addOfflinePayment", 'result="777" fatal="false"')).pay(order())
    check = scripted(payment_reply("checkPaymentRequisites", 'result="300" fatal="false"')).check(order())
    assert outcomes(fatal, not_fatal, check) == [Outcome.DECLINED, Outcome.UNKNOWN, Outcome.RETRY]


def test_a_malformed_reply_on_pay_is_unknown():
    assert scripted(b"<response/>").pay(order()).outcome == Outcome.UNKNOWN
    assert scripted(b"garbage").pay(order()).outcome == Outcome.UNKNOWN


def test_provider_fields_go_as_extras_and_names_xml_cannot_carry_are_left_out(osmp):
    body = osmp.build("addOfflinePayment", dataclasses.replace(order(), fields={"ev_fio": "Иванов", "bad name": "x"}))
    assert 'ev_fio="Иванов"'.encode() in body and b"bad name" not in body
    assert osmp.pay(dataclasses.replace(order(), fields={"ev_fio": "Иванов", "bad name": "x"})).outcome == Outcome.OK
