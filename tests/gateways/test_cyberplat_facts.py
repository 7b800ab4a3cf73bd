"""CyberPlat as real clients speak it (docs/gateways/cyberplat.md, fact C6): amounts without
decimals, and an empty NUMBER when ACCOUNT carries the account."""

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from gateways.adapters.base import GatewayConfig, Order, Outcome
from gateways.adapters.cyberplat import CyberPlatAdapter
from gateways.simulators.models import SimRecord

from .test_cyberplat_simulator import answer, fields, gateway, post  # noqa: F401, F811  (the fixture)

C6_SIMULATOR = [
    # (request fields changed, expected ERROR at check)
    ({"AMOUNT": "200", "AMOUNT_ALL": "200"}, "0"),
    ({"AMOUNT": "98.5", "AMOUNT_ALL": "100"}, "0"),
    ({"NUMBER": "", "ACCOUNT": "771234567890"}, "0"),
    ({"NUMBER": "", "ACCOUNT": ""}, "8"),
    ({"AMOUNT": "2,00"}, "7"),
]


@pytest.mark.parametrize("over, error", C6_SIMULATOR)
def test_c6_the_simulator_accepts_amounts_without_decimals_and_an_empty_number_with_account(client, gateway,  # noqa: F811
                                                                                            over, error):
    reply = answer(post(client, gateway, fields(**over)), gateway)
    assert reply["ERROR"] == error
    assert SimRecord.objects.filter(code="cyberplat", key="777000001").exists() is (error == "0")


@pytest.mark.django_db
def test_c6_a_check_then_pay_with_an_undecimalled_amount_is_paid(client, gateway):  # noqa: F811
    assert answer(post(client, gateway, fields(AMOUNT="200", AMOUNT_ALL="200")), gateway)["ERROR"] == "0"
    paid = answer(post(client, gateway, fields(AMOUNT="200.00", AMOUNT_ALL="200.00"), "mt_pay.cgi"), gateway)
    assert (paid["ERROR"], paid["RESULT"]) == ("0", "0")


C6_ADAPTER = [
    # (order account, ACCOUNT field, sent or refused locally)
    ("", "771234567890", True),
    ("", "", False),
    ("9161234567", "", True),
]


@pytest.mark.parametrize("account, extra, sent", C6_ADAPTER)
def test_c6_the_adapter_sends_an_empty_number_when_account_is_set(account, extra, sent):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(500)

    config = GatewayConfig(code="cyberplat", base_url="http://cp.test", params={"SD": "1", "AP": "2", "OP": "3"},
                           private_key_pem=gateway_keys()[0], peer_public_key_pem=gateway_keys()[1])
    order = Order(attempt_id="123", remote_id="rt", account=account, amount=Decimal("10.00"),
                  credited=Decimal("10.00"), paid_at=datetime(2026, 1, 1, tzinfo=UTC),
                  fields={"ACCOUNT": extra} if extra else {})
    result = CyberPlatAdapter(config, client=httpx.Client(transport=httpx.MockTransport(handler))).check(order)
    assert bool(seen) is sent
    if not sent:
        assert (result.outcome, result.code) == (Outcome.DECLINED, "local:number")


def gateway_keys():
    from gateways import keys

    return keys.rsa_generate()


C5 = [
    # (request signed with, ACCEPT_KEYS, reply hash id)
    (1, "700042", 1),
    (1, "700042-sha256", 8),
    (8, "700042", 1),        # the request's own hash does not choose the reply's
    (8, "700042-sha256", 8),
]


@pytest.mark.parametrize("request_hash, accept_keys, reply_hash", C5)
def test_c5_the_simulator_signs_its_reply_with_the_hash_accept_keys_asks_for(client, gateway,  # noqa: F811
                                                                             request_hash, accept_keys, reply_hash):
    from urllib.parse import quote_from_bytes

    from gateways import ipriv

    doc = ipriv.sign(ipriv.body_encode(fields(ACCEPT_KEYS=accept_keys)), private_pem=gateway.private_key,
                     serial=700042, hash_algo=request_hash)
    response = client.post("/sim/cyberplat/cgi-bin/mt/mt_pay_check.cgi",
                           data=b"inputmessage=" + quote_from_bytes(doc, safe="").encode(),
                           content_type="application/x-www-form-urlencoded")
    reply = ipriv.verify(response.content, public_pem=gateway.peer_public_key, hash_algos=(1, 8))
    assert reply.signature.hash_algo == reply_hash


@pytest.mark.parametrize("mode, accept", [("compatible", "700042"), ("modern", "700042-sha256")])
def test_c5_the_adapter_asks_for_a_sha256_reply_in_modern_mode(mode, accept):
    config = GatewayConfig(code="cyberplat", base_url="http://cp.test", params={"key_serial": "700042", "hash": mode})
    adapter = CyberPlatAdapter(config, client=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))))
    order = Order(attempt_id="1", remote_id="mt", account="9161234567", amount=Decimal("1.00"),
                  credited=Decimal("1.00"), paid_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert dict(adapter.fields("check", order))["ACCEPT_KEYS"] == accept
    assert dict(adapter.fields("status", order))["ACCEPT_KEYS"] == accept


def _with_empty_lines(body: bytes) -> bytes:
    return body + b"COMMENT=\r\nTERM_ID=\r\nACCOUNT=\r\n"


C7 = [
    # (the body as a real client lays it out, from our encoded fields; ends with CRLF)
    ("with a final CRLF", lambda body: body, True),
    ("without a final CRLF", lambda body: body[:-2], False),
    ("with empty KEY= lines", _with_empty_lines, True),
    ("with empty KEY= lines and no final CRLF", lambda body: _with_empty_lines(body)[:-2], False),
]


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("layout, lay_out, final_crlf", C7, ids=[c[0] for c in C7])
def test_c7_the_simulator_takes_every_body_layout_real_clients_send_by_post_and_by_get(
        client, gateway, method, layout, lay_out, final_crlf):  # noqa: F811
    from gateways import ipriv

    from .test_cyberplat_simulator import URL, form

    body = lay_out(ipriv.body_encode(fields()))
    assert body.endswith(b"\r\n") is final_crlf
    doc = ipriv.sign(body, private_pem=gateway.private_key, serial=700042)
    if method == "POST":
        response = client.post(URL + "mt_pay_check.cgi", data=form(doc), content_type="application/x-www-form-urlencoded")
    else:
        response = client.get(URL + "mt_pay_check.cgi?" + form(doc).decode())
    reply = answer(response, gateway)
    assert (reply["ERROR"], reply["RESULT"], reply["SESSION"]) == ("0", "0", "777000001")
    booked = SimRecord.objects.get(code="cyberplat", key="777000001")
    assert (booked.state, booked.account, booked.amount, booked.amount_all) == (
        "checked", "9161234567", Decimal("98.00"), Decimal("100.00"))


def test_c7_a_body_without_a_final_crlf_is_signed_as_sent_and_read_back_whole(gateway):  # noqa: F811
    from gateways import ipriv

    body = b"SESSION=1\r\nNUMBER=9161234567"
    doc = ipriv.sign(body, private_pem=gateway.private_key, serial=700042)
    assert b"NUMBER=9161234567\r\nEND\r\n" in doc
    from gateways.simulators.models import SimulatorState

    ours = SimulatorState.objects.get(code="cyberplat").peer_public_key  # our public key, as the simulator holds it
    parsed = ipriv.verify(doc, public_pem=ours, serial=700042)
    assert parsed.body == body
    assert ipriv.body_decode(parsed.body) == {"SESSION": "1", "NUMBER": "9161234567"}
