"""The CyberPlat simulator as a server: it validates, signs every answer and never fails with a 500."""

import time
from urllib.parse import quote_from_bytes

import pytest

from gateways import ipriv
from gateways.models import Gateway
from gateways.simulators.models import SimRecord, SimulatorState
from gateways.simulators.services import simulator_provision

PARAMS = {"SD": "70001", "AP": "70002", "OP": "70003", "key_serial": "700042"}
URL = "/sim/cyberplat/cgi-bin/mt/"


@pytest.fixture
def gateway(db):
    gw = Gateway.objects.create(code="cyberplat", name="CyberPlat", protocol="cyberplat",
                                base_url="http://testserver/sim/cyberplat/", params=PARAMS)
    simulator_provision(gateway=gw, sim_params=PARAMS)
    return gw


def fields(**over) -> dict:
    base = {"SD": "70001", "AP": "70002", "OP": "70003", "DATE": "28.11.2026 04:00:00", "SESSION": "777000001",
            "NUMBER": "9161234567", "AMOUNT": "98.00", "AMOUNT_ALL": "100.00", "ACCEPT_KEYS": "700042"}
    return {k: v for k, v in {**base, **over}.items() if v is not None}


def form(document: bytes) -> bytes:
    return b"inputmessage=" + quote_from_bytes(document, safe="").encode()


def post(client, gateway, body_fields: dict, script: str = "mt_pay_check.cgi", *, key: str | None = None,
         now: int | None = None, serial: int = 700042, url: str = URL):
    doc = ipriv.sign(ipriv.body_encode(body_fields), private_pem=key or gateway.private_key, serial=serial, now=now)
    return client.post(url + script, data=form(doc), content_type="application/x-www-form-urlencoded")


def answer(response, gateway) -> dict:
    """The reply's fields, after checking the simulator signed it."""
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=windows-1251"
    doc = ipriv.verify(response.content, public_pem=gateway.peer_public_key, serial=700042)
    return ipriv.body_decode(doc.body)


def test_a_valid_check_is_answered_signed_in_windows_1251(client, gateway):
    reply = answer(post(client, gateway, fields()), gateway)
    assert (reply["ERROR"], reply["RESULT"], reply["SESSION"]) == ("0", "0", "777000001")
    assert reply["ADDINFO"].startswith("Платёж")
    assert SimRecord.objects.get(code="cyberplat", key="777000001").state == "checked"


@pytest.mark.parametrize("data", [b"", b"foo=bar", b"inputmessage=", b"inputmessage=garbage%00%ff",
                                  b"\xff\xfe\x00binary", b"inputmessage=" + b"A" * 5000,
                                  b"&".join(b"f%d=1" % i for i in range(50))])
def test_garbage_gets_a_signed_error_10_not_a_500(client, gateway, data):
    response = client.post(URL + "mt_pay_check.cgi", data=data, content_type="application/x-www-form-urlencoded")
    reply = answer(response, gateway)
    assert (reply["ERROR"], reply["RESULT"]) == ("10", "1")


def test_a_request_signed_with_another_key_is_error_6(client, gateway):
    other = SimulatorState.objects.get(code="cyberplat").private_key  # the simulator's, not ours
    assert answer(post(client, gateway, fields(), key=other), gateway)["ERROR"] == "6"
    assert not SimRecord.objects.filter(code="cyberplat").exists()


def test_a_stale_signature_is_error_6(client, gateway):
    reply = answer(post(client, gateway, fields(), now=int(time.time()) - 3600), gateway)
    assert reply["ERROR"] == "6"


def test_a_key_serial_the_simulator_does_not_know_is_134(client, gateway):
    assert answer(post(client, gateway, fields(), serial=1), gateway)["ERROR"] == "134"


@pytest.mark.parametrize("over, error", [
    ({"SD": "1"}, "2"), ({"AP": "1"}, "3"), ({"OP": "1"}, "4"),
    ({"SESSION": "bad-session"}, "5"), ({"SESSION": None}, "5"), ({"SESSION": "1" * 21}, "5"),
    ({"AMOUNT": "10.000"}, "7"), ({"AMOUNT": "0.00", "AMOUNT_ALL": "0.00"}, "7"), ({"AMOUNT": "1e3"}, "7"),
    ({"NUMBER": "916-123"}, "8"), ({"NUMBER": None}, "8"), ({"NUMBER": "1" * 21}, "8"),
    ({"AMOUNT_ALL": "97.00"}, "85"), ({"AMOUNT_ALL": "abc"}, "85"),
])
def test_bad_fields_are_refused_with_their_codes(client, gateway, over, error):
    reply = answer(post(client, gateway, fields(**over)), gateway)
    assert (reply["ERROR"], reply["RESULT"]) == (error, "1")
    assert not SimRecord.objects.filter(code="cyberplat").exists()


def test_get_with_inputmessage_in_the_query_works_too(client, gateway):
    doc = ipriv.sign(ipriv.body_encode(fields()), private_pem=gateway.private_key, serial=700042)
    response = client.get(URL + "mt_pay_check.cgi?" + form(doc).decode())
    assert answer(response, gateway)["ERROR"] == "0"


def test_other_methods_and_unknown_scripts_are_refused_plainly(client, gateway):
    assert client.put(URL + "mt_pay_check.cgi").status_code == 405
    assert client.post(URL + "mt_refund.cgi").status_code == 404
    assert client.post(URL + "rt_pay.cgi").status_code == 404  # the script must match its directory


def test_a_provider_number_suffix_is_accepted(client, gateway):
    response = post(client, gateway, fields(), url="/sim/cyberplat/cgi-bin/mm/", script="mm_pay_check.cgi/205")
    assert answer(response, gateway)["ERROR"] == "0"


def test_an_unprovisioned_simulator_answers_503_not_500(client, db):
    response = client.post(URL + "mt_pay_check.cgi", data=b"inputmessage=x",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 503


def test_status_by_transid_and_its_unknown_codes(client, gateway):
    post(client, gateway, fields())
    paid = answer(post(client, gateway, fields(), "mt_pay.cgi"), gateway)
    assert paid["ERROR"] == "0" and len(paid["TRANSID"]) == 13
    by_transid = answer(post(client, gateway, {"TRANSID": paid["TRANSID"]}, "mt_pay_status.cgi"), gateway)
    assert (by_transid["ERROR"], by_transid["RESULT"]) == ("0", "7")
    assert answer(post(client, gateway, {"TRANSID": "1999999999999"}, "mt_pay_status.cgi"), gateway)["ERROR"] == "34"
    assert answer(post(client, gateway, {"SESSION": "404"}, "mt_pay_status.cgi"), gateway)["ERROR"] == "11"
    assert answer(post(client, gateway, {"ACCEPT_KEYS": "700042"}, "mt_pay_status.cgi"), gateway)["ERROR"] == "10"


def test_status_of_a_session_only_checked_is_result_1(client, gateway):
    post(client, gateway, fields())
    reply = answer(post(client, gateway, {"SESSION": "777000001"}, "mt_pay_status.cgi"), gateway)
    assert (reply["ERROR"], reply["RESULT"]) == ("0", "1")


def test_every_reply_carries_the_configured_latency(client, gateway):
    SimulatorState.objects.filter(code="cyberplat").update(latency_ms=300)
    assert post(client, gateway, fields())["X-Sim-Delay"] == "0.300"
    garbage = client.post(URL + "mt_pay_check.cgi", data=b"", content_type="application/x-www-form-urlencoded")
    assert garbage["X-Sim-Delay"] == "0.300"


def test_a_modern_request_that_asks_for_sha256_in_accept_keys_gets_a_modern_reply(client, gateway):
    doc = ipriv.sign(ipriv.body_encode(fields(ACCEPT_KEYS="700042-sha256")), private_pem=gateway.private_key,
                     serial=700042,
                     hash_algo=ipriv.HASH_SHA256)
    response = client.post(URL + "mt_pay_check.cgi", data=form(doc), content_type="application/x-www-form-urlencoded")
    assert ipriv.parse(response.content).signature.hash_algo == ipriv.HASH_SHA256
