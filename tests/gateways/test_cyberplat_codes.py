"""Every CyberPlat ERROR code maps to its class per operation (docs/gateways/cyberplat.md),
checked on the table and through the wire with signed replies."""

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from gateways import ipriv
from gateways.adapters.base import GatewayConfig, Order
from gateways.adapters.cyberplat import CODES, CyberPlatAdapter, classify

OK, D, R, U, C = "ok", "declined", "retry", "unknown", "config"

# code: (check, pay, status query failed with it), and whether a decline may go elsewhere.
EXPECTED = {
    0: (OK, OK, U, False),  # status: ERROR=0 alone is "in progress"; done needs RESULT=7
    1: (C, C, C, False), 2: (C, C, C, False), 3: (C, C, C, False), 4: (C, C, C, False),
    5: (C, C, C, False), 6: (C, C, C, False),
    7: (D, D, U, False), 8: (D, D, U, False), 9: (D, D, U, False),
    10: (C, C, C, False),
    11: (C, C, R, False),
    12: (C, C, C, False),
    13: (D, D, U, True), 15: (D, D, U, True),
    17: (C, C, C, False), 18: (C, C, C, False), 19: (C, C, C, False),
    20: (R, U, U, False),
    21: (R, R, U, False),
    22: (D, D, U, True),
    23: (D, D, U, False),
    24: (R, R, U, False), 25: (R, R, U, False), 26: (R, R, U, False),
    27: (D, D, U, True),
    30: (R, U, U, False),
    31: (R, R, U, False),
    32: (R, U, U, False),
    33: (D, D, U, False),
    34: (C, C, R, False),
    35: (R, U, U, False), 36: (R, U, U, False),
    37: (C, C, C, False),
    38: (R, R, U, False),
    39: (C, C, C, False),
    40: (D, D, U, False),
    41: (R, U, U, False), 42: (R, U, U, False),
    43: (C, C, C, False), 44: (C, C, C, False),
    45: (D, D, U, True),
    46: (R, U, U, False),
    47: (R, R, U, False),
    48: (R, U, U, False), 49: (R, U, U, False),
    50: (R, R, U, False),
    51: (D, D, U, False),
    52: (C, C, C, False), 53: (C, C, C, False), 54: (C, C, C, False),
    55: (C, C, C, False), 56: (C, C, C, False), 57: (C, C, C, False),
    71: (D, D, U, False), 72: (D, D, U, False),
    81: (D, D, U, True), 82: (D, D, U, True), 83: (D, D, U, True), 84: (D, D, U, True),
    85: (D, D, U, False),
    86: (R, R, U, False),
    87: (D, D, U, False),
    134: (C, C, C, False),
    135: (D, D, U, False), 136: (D, D, U, True), 137: (D, D, U, True),
    164: (D, D, U, True), 165: (D, D, U, True),
    223: (D, D, U, False),
    270: (D, D, U, False),
}


def test_the_table_lists_exactly_the_codes_of_the_protocol():
    assert sorted(CODES) == sorted(EXPECTED)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_every_code_maps_to_its_class_on_each_operation(code):
    check, pay, status, reroutable = EXPECTED[code]
    result = "0" if code == 0 else "1"
    assert classify("check", str(code), result) == (check, reroutable and check == D)
    assert classify("pay", str(code), result) == (pay, reroutable and pay == D)
    assert classify("status", str(code), "")[0] == status


@pytest.mark.parametrize("code, reroutable", [(23, False), (7, False), (45, True), (82, True), (24, True),
                                              (30, True), (999, True)])
def test_a_finished_status_with_an_error_is_a_decline(code, reroutable):
    # A decline keeps its own flag; a final technical failure leaves the payment dead here: go elsewhere.
    assert classify("status", str(code), "7") == (D, reroutable)


@pytest.mark.parametrize("result, outcome", [("7", OK), ("1", U), ("2", U), ("3", U), ("6", U), ("", U)])
def test_status_result_without_error_is_done_only_at_7(result, outcome):
    assert classify("status", "0", result) == (outcome, False)


def test_an_unlisted_code_is_never_read_as_success_or_final():
    assert classify("check", "999", "1") == (R, False)
    assert classify("pay", "999", "1") == (U, False)
    assert classify("status", "999", "") == (U, False)


def test_error_0_without_result_0_is_not_a_success():
    assert classify("check", "0", "1")[0] == R
    assert classify("pay", "0", "")[0] == U


# --- through the wire: a fake gateway signs any reply we want ---------------------------
@pytest.fixture(scope="module")
def pair():
    from gateways.keys import rsa_generate

    return rsa_generate(), rsa_generate()


def _adapter(pair, reply_fields: dict) -> CyberPlatAdapter:
    (ours_private, _), (theirs_private, theirs_public) = pair

    def gateway(request: httpx.Request) -> httpx.Response:
        body = ipriv.body_encode({"DATE": "28.11.2026 07:00:00", "SESSION": "123456789", **reply_fields})
        return httpx.Response(200, content=ipriv.sign(body, private_pem=theirs_private, serial=77, name="GW"))

    config = GatewayConfig(code="cyberplat", base_url="http://gw.test", params={"SD": "1", "AP": "2", "OP": "3",
                           "key_serial": "11", "peer_key_serial": "77"},
                           private_key_pem=ours_private, peer_public_key_pem=theirs_public)
    return CyberPlatAdapter(config, client=httpx.Client(transport=httpx.MockTransport(gateway)))


ORDER = Order(attempt_id="123456789", remote_id="mt", account="9161234567", amount=Decimal("10.00"),
              credited=Decimal("10.00"), paid_at=datetime(2026, 11, 28, tzinfo=UTC))


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_every_code_in_a_signed_reply_gets_its_class_through_the_adapter(pair, code):
    check, pay, status, reroutable = EXPECTED[code]
    result = "0" if code == 0 else "1"
    adapter = _adapter(pair, {"ERROR": str(code), "RESULT": result, "ERRMSG": "текст"})
    got_check, got_pay = adapter.check(ORDER), adapter.pay(ORDER)
    assert (got_check.outcome, got_check.code) == (check, str(code))
    assert (got_pay.outcome, got_pay.reroutable) == (pay, reroutable and pay == D)
    assert _adapter(pair, {"ERROR": str(code)}).status(ORDER).outcome == status


def test_the_reply_fields_reach_the_result(pair):
    adapter = _adapter(pair, {"ERROR": "0", "RESULT": "0", "TRANSID": "1000000000042", "ADDINFO": "Иванов И.%20И.",
                              "AUTHCODE": "77"})
    result = adapter.pay(ORDER)
    assert result.upstream_id == "1000000000042"
    assert result.extra["addinfo"] == "Иванов И. И."  # values are URL-unescaped (the protocol percent-encodes reply values)
    assert result.extra["authcode"] == "77"


def test_a_reply_for_another_session_is_not_trusted(pair):
    adapter = _adapter(pair, {"SESSION": "999", "ERROR": "0", "RESULT": "0"})
    assert adapter.check(ORDER).code == "bad_reply"
    assert adapter.pay(ORDER).outcome == U


def test_a_reply_signed_with_an_unexpected_key_serial_is_not_trusted(pair):
    adapter = _adapter(pair, {"ERROR": "0", "RESULT": "0"})
    adapter.config = GatewayConfig(**{**adapter.config.__dict__, "params": {**adapter.config.params,
                                                                              "peer_key_serial": "78"}})
    assert (adapter.pay(ORDER).outcome, adapter.pay(ORDER).code) == (U, "bad_reply")


def test_a_reply_without_error_is_not_trusted(pair):
    assert _adapter(pair, {"RESULT": "0"}).pay(ORDER).outcome == U
    assert _adapter(pair, {"ERROR": "x"}).check(ORDER).outcome == R


def test_unusable_keys_are_a_local_config_refusal_and_nothing_is_sent():
    sent = []
    config = GatewayConfig(code="cyberplat", base_url="http://gw.test", private_key_pem="junk", peer_public_key_pem="y")
    adapter = CyberPlatAdapter(config, client=httpx.Client(transport=httpx.MockTransport(
        lambda request: sent.append(request) or httpx.Response(200))))
    result = adapter.pay(ORDER)
    assert (result.outcome, result.code) == (C, "local:sign")
    assert sent == []


@pytest.mark.parametrize("status_code, check, pay", [(500, R, U), (502, R, U), (403, C, C)])
def test_http_errors_from_the_gateway_map_per_operation(pair, status_code, check, pay):
    adapter = _adapter(pair, {})
    adapter.client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(status_code)))
    assert adapter.check(ORDER).outcome == check
    assert adapter.pay(ORDER).outcome == pay
