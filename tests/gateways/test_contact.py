"""Contact adapter against its simulator (in-process), and its (invented) RE table."""

import base64
import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from gateways import keys
from gateways.adapters import contact as contact_adapter
from gateways.adapters.base import GatewayConfig, Order, Outcome
from gateways.keys import rsa_sign
from gateways.models import Gateway
from gateways.services import adapter_for
from gateways.simulators.base import accepted
from gateways.simulators.models import SimulatorState
from gateways.simulators.services import simulator_provision

pytestmark = pytest.mark.django_db

PAID_AT = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
PARAMS = {"point_code": "KITD", "int_soft_id": "00000000-0000-4000-8000-000000000001"}


def order(account="9261234567", attempt="600000000001", credited="98.00", amount="100.00"):
    return Order(attempt_id=attempt, remote_id="1001", account=account, amount=Decimal(amount),
                 credited=Decimal(credited), paid_at=PAID_AT, terminal="1001")


@pytest.fixture
def gw(db):
    gateway = Gateway.objects.create(code="contact", name="Contact", protocol="contact", params=PARAMS,
                                     base_url="http://testserver/sim/contact/", secret="demo-contact-password")
    simulator_provision(gateway=gateway, sim_params=PARAMS)
    return gateway


@pytest.fixture
def contact(gw):
    return adapter_for(gw)


def outcomes(*results):
    return [r.outcome for r in results]


def signed_post(client, gw, body: bytes, key_id="KITD"):
    sign = base64.b64encode(rsa_sign(gw.private_key, body)).decode()
    return client.post("/sim/contact/", body, content_type="application/xml",  # the test client re-encodes on charset
                       headers={"X-Contact-Sign": sign, "X-Contact-Key-Id": key_id})


def test_an_ordinary_account_is_checked_paid_and_shown_paid(contact):
    o = order()
    check, pay = contact.check(o), contact.pay(o)
    status = contact.status(dataclasses.replace(o, upstream_id=pay.upstream_id))
    assert outcomes(check, pay, status) == [Outcome.OK, Outcome.OK, Outcome.OK]
    assert pay.code == "STATE=PAID" and pay.upstream_id.startswith("KIT")
    rec = accepted("contact").get()
    assert (rec.key, rec.state, rec.amount, rec.amount_all) == ("600000000001", "paid", Decimal("98.00"),
                                                                 Decimal("100.00"))


def test_the_request_is_contacts_envelope_in_windows_1251_with_our_request_id(contact):
    body = contact.build("Pay", order())
    assert body.startswith(b"<?xml version='1.0' encoding='windows-1251'?>")
    for attr in (b'OBJECT_CLASS="TPayObject"', b'ACTION="Pay"', b'POINT_CODE="KITD"', b'ExpectSigned="Yes"',
                 b'INT_SOFT_ID="00000000-0000-4000-8000-000000000001"', b'REQUEST_ID="600000000001"'):
        assert attr in body


def test_replies_are_windows_1251_with_russian_texts(client, gw):
    resp = signed_post(client, gw, "<REQUEST/>".encode("cp1251"))
    assert resp["Content-Type"] == "text/xml; charset=windows-1251"
    assert 'RE="301"' in resp.content.decode("cp1251") and "Неверный" in resp.content.decode("cp1251")


def test_0001_pay_is_declined_definitively_and_state_says_rejected(contact):
    o = order("9260000001")
    check, pay, status = contact.check(o), contact.pay(o), contact.status(o)
    assert outcomes(check, pay, status) == [Outcome.OK, Outcome.DECLINED, Outcome.DECLINED]
    assert (pay.code, pay.reroutable, status.code) == ("203", False, "STATE=REJECTED")
    assert accepted("contact").get().state == "declined"


def test_0002_pay_reply_never_arrives_then_getstate_says_paid(contact):
    o = order("9260000002")
    assert contact.check(o).outcome == Outcome.OK
    assert (contact.pay(o).outcome, accepted("contact").get().state) == (Outcome.UNKNOWN, "paid")
    assert contact.status(o).outcome == Outcome.OK


def test_0003_is_processing_for_two_polls_then_paid(contact):
    o = order("9260000003")
    results = [contact.check(o), contact.pay(o), contact.status(o), contact.status(o), contact.status(o)]
    assert outcomes(*results) == [Outcome.OK, Outcome.UNKNOWN, Outcome.UNKNOWN, Outcome.UNKNOWN, Outcome.OK]
    assert [r.code for r in results[1:]] == ["STATE=ACCEPTED", "STATE=PROCESSING", "STATE=PROCESSING",
                                             "STATE=PAID"]


def test_0004_is_temporary_twice_then_paid(contact):
    first, second, third = (contact.pay(order("9260000004", attempt=a)) for a in ("11", "12", "13"))
    assert outcomes(first, second, third) == [Outcome.RETRY, Outcome.RETRY, Outcome.OK]
    assert first.code == "101"
    assert list(accepted("contact").values_list("key", "state")) == [("13", "paid")]


def test_0005_check_says_the_account_does_not_exist(contact):
    check = contact.check(order("9260000005"))
    assert (check.outcome, check.code, check.reroutable) == (Outcome.DECLINED, "201", False)
    assert not accepted("contact").exists()


@pytest.mark.parametrize("account", ["9260000006", "9260000007"])
def test_0006_and_0007_are_accepted_here(contact, account):
    o = order(account)
    assert outcomes(contact.check(o), contact.pay(o), contact.status(o)) == [Outcome.OK] * 3


def test_getstate_of_an_unknown_request_id_is_not_registered(contact):
    assert (contact.status(order()).outcome, contact.status(order()).code) == (Outcome.RETRY, "102")


def test_a_repeated_pay_is_accepted_once_and_answers_the_same_doc(contact):
    first, again = contact.pay(order()), contact.pay(order())
    assert outcomes(first, again) == [Outcome.OK, Outcome.OK] and first.upstream_id == again.upstream_id
    assert accepted("contact").filter(state="paid").count() == 1


def test_the_same_request_id_with_other_parameters_is_config(contact):
    contact.pay(order())
    other = contact.pay(order(account="9267654321"))
    assert (other.outcome, other.code) == (Outcome.CONFIG, "304")
    assert accepted("contact").get().account == "9261234567"


def test_a_request_signed_with_another_key_is_refused_with_302(gw):
    adapter = adapter_for(gw)
    forged = type(adapter)(dataclasses.replace(adapter.config, private_key_pem=keys.rsa_generate()[0]), client=adapter.client)
    assert (forged.pay(order()).outcome, forged.pay(order()).code) == (Outcome.CONFIG, "302")
    assert not accepted("contact").exists()


def test_an_unsigned_request_is_refused_even_when_expectsigned_is_no(client, contact):
    body = contact.build("Pay", order()).replace(b'ExpectSigned="Yes"', b'ExpectSigned="No"')
    resp = client.post("/sim/contact/", body, content_type="application/xml")
    assert 'RE="302"' in resp.content.decode("cp1251") and not accepted("contact").exists()


def test_a_tampered_body_and_an_unknown_key_id_are_refused(client, gw, contact):
    body = contact.build("Pay", order())
    sign = base64.b64encode(rsa_sign(gw.private_key, body)).decode()
    tampered = client.post("/sim/contact/", body.replace(b"98.00", b"99.00"), content_type="application/xml",
                           headers={"X-Contact-Sign": sign, "X-Contact-Key-Id": "KITD"})
    other_key = signed_post(client, gw, body, key_id="SOMEONE")
    assert 'RE="302"' in tampered.content.decode("cp1251") and 'RE="302"' in other_key.content.decode("cp1251")
    assert not accepted("contact").exists()


def test_a_foreign_point_code_is_refused(client, gw, contact):
    body = contact.build("Pay", order()).replace(b'POINT_CODE="KITD"', b'POINT_CODE="ZZZZ"')
    assert 'RE="303"' in signed_post(client, gw, body).content.decode("cp1251")


@pytest.mark.parametrize("garbage", [
    b"", b"not xml", b"\xff\xfe<<", b"<REQUEST/>", '<REQUEST OBJECT_CLASS="TPayObject" ACTION="Pay" '
    'POINT_CODE="KITD" INT_SOFT_ID="00000000-0000-4000-8000-000000000001" REQUEST_ID="12"><trnAmount>x'
    "</trnAmount></REQUEST>".encode("cp1251"), b'<!DOCTYPE r [<!ENTITY a "aaaa">]><REQUEST>&a;</REQUEST>'])
def test_signed_garbage_gets_the_format_error_never_a_500(client, gw, garbage):
    resp = signed_post(client, gw, garbage)
    assert resp.status_code == 200 and 'RE="301"' in resp.content.decode("cp1251")


def test_a_get_is_answered_with_the_format_error(client):
    assert 'RE="301"' in client.get("/sim/contact/").content.decode("cp1251")


def test_a_reply_with_a_bad_signature_is_not_trusted(gw):
    adapter = adapter_for(gw)
    wrong = type(adapter)(dataclasses.replace(adapter.config, peer_public_key_pem=keys.rsa_generate()[1]), client=adapter.client)
    assert (wrong.pay(order()).outcome, wrong.pay(order()).code) == (Outcome.UNKNOWN, "bad_signature")
    assert wrong.check(order()).outcome == Outcome.RETRY
    assert wrong.status(order()).outcome == Outcome.UNKNOWN


def test_simulator_down_is_retry_with_nothing_recorded(contact):
    SimulatorState.objects.filter(code="contact").update(down=True)
    assert outcomes(contact.check(order()), contact.pay(order())) == [Outcome.RETRY, Outcome.RETRY]
    assert not accepted("contact").exists()


def test_latency_past_the_read_timeout_makes_pay_unknown(contact):
    SimulatorState.objects.filter(code="contact").update(latency_ms=6000)
    assert contact.pay(order()).outcome == Outcome.UNKNOWN


# --- the (invented) RE table: every code maps to its class -------------------------------
RE_EXPECTED = {0: Outcome.OK, 101: Outcome.RETRY, 102: Outcome.RETRY, 103: Outcome.RETRY,
               201: Outcome.DECLINED, 202: Outcome.DECLINED, 203: Outcome.DECLINED, 204: Outcome.DECLINED,
               205: Outcome.DECLINED, 301: Outcome.CONFIG, 302: Outcome.CONFIG, 303: Outcome.CONFIG,
               304: Outcome.CONFIG, 305: Outcome.CONFIG}
RANGE_EXPECTED = {150: Outcome.RETRY, 299: Outcome.DECLINED, 399: Outcome.CONFIG, 500: Outcome.UNKNOWN,
                  -1: Outcome.UNKNOWN}
STATE_EXPECTED = {"PAID": Outcome.OK, "ACCEPTED": Outcome.UNKNOWN, "PROCESSING": Outcome.UNKNOWN,
                  "REJECTED": Outcome.DECLINED, "SOMETHING": Outcome.UNKNOWN}


def scripted(reply: str):
    ours, theirs = keys.rsa_generate(), keys.rsa_generate()
    raw = reply.encode("cp1251")

    def handler(request):
        sign = base64.b64encode(rsa_sign(theirs[0], raw)).decode()
        return httpx.Response(200, content=raw, headers={"X-Contact-Sign": sign})

    config = GatewayConfig(code="contact", base_url="http://contact.test", params=PARAMS,
                           private_key_pem=ours[0], peer_public_key_pem=theirs[1])
    return contact_adapter.ContactAdapter(config, client=httpx.Client(transport=httpx.MockTransport(handler)))


def test_every_re_code_maps_to_its_class():
    assert set(RE_EXPECTED) == set(contact_adapter.RE_CODES)
    for code, expected in {**RE_EXPECTED, **RANGE_EXPECTED}.items():
        state = ' STATE="PAID"' if code == 0 else ""
        result = scripted(f'<RESPONSE RE="{code}"{state}/>').pay(order())
        assert (code, result.outcome) == (code, expected)
    assert scripted('<RESPONSE RE="204"/>').pay(order()).reroutable
    assert not scripted('<RESPONSE RE="201"/>').pay(order()).reroutable


def test_every_state_maps_to_its_class():
    assert set(STATE_EXPECTED) - {"SOMETHING"} == set(contact_adapter.STATES)
    for state, expected in STATE_EXPECTED.items():
        assert (state, scripted(f'<RESPONSE RE="0" STATE="{state}" ID="7"/>').status(order()).outcome) == (
            state, expected)


def test_a_malformed_reply_on_pay_is_unknown_and_on_check_retry():
    assert scripted("<RESPONSE/>").pay(order()).outcome == Outcome.UNKNOWN
    assert scripted("<OTHER RE='0'/>").pay(order()).outcome == Outcome.UNKNOWN
    assert scripted("<RESPONSE RE='500'/>").check(order()).outcome == Outcome.RETRY
