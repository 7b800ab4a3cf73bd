"""Property: no input makes the API answer 500, and every refusal has the error shape.

Requests are signed correctly (unless the fuzzed header is a signature header), so they
reach the parsers and handlers, not only the 401 path.
"""

import json
import time
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from terminals.errors import Code

pytestmark = pytest.mark.django_db

CODES = {str(c) for c in Code}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)

txns = st.one_of(st.from_regex(r"\A[0-9]{1,20}\Z"), st.text(max_size=25), st.integers())
amounts = st.one_of(st.from_regex(r"\A[0-9]{1,12}(\.[0-9]{1,2})?\Z"), st.text(max_size=20), st.integers(),
                    st.floats(allow_nan=False, allow_infinity=False), st.just("0.00"), st.just("99999999999999"))
times = st.one_of(st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()), st.text(max_size=30))


def field(valid):
    return st.one_of(valid, json_values)


payments = st.fixed_dictionaries({}, optional={
    "txn": field(txns),
    "provider": field(st.sampled_from(["mts", "rostelecom", "nope", ""])),
    "account": field(st.sampled_from(["9161234567", "771234560001", "12", "9" * 65])),
    "amount": field(amounts),
    "fee": field(amounts),
    "credited": field(amounts),
    "paid_at": field(times),
    "fields": field(st.dictionaries(st.text(max_size=70), st.text(max_size=300), max_size=3)),
})
heartbeats = st.fixed_dictionaries({}, optional={
    "software_version": field(st.text(max_size=45)),
    "devices": field(st.dictionaries(st.text(max_size=10), st.dictionaries(st.text(max_size=10), json_values,
                                                                           max_size=3), max_size=3)),
    "cash": field(st.fixed_dictionaries({}, optional={"notes": field(st.integers()), "amount": field(amounts)})),
})
enrollments = st.fixed_dictionaries({}, optional={
    "terminal": field(st.sampled_from(["1001", "9999", ""])),
    "code": field(st.text(max_size=20)),
    "public_key": field(st.sampled_from(["A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=", "AAAA", "!!"])),
})


def encoded(doc_strategy):
    return doc_strategy.map(lambda d: json.dumps(d).encode())


bodies = {
    "/payments": st.one_of(encoded(payments), encoded(json_values), st.binary(max_size=200)),
    "/payments/batch": st.one_of(encoded(st.fixed_dictionaries({"payments": st.lists(payments | json_values,
                                                                                       max_size=5)})),
                                 encoded(json_values), st.binary(max_size=200)),
    "/heartbeat": st.one_of(encoded(heartbeats), encoded(json_values), st.binary(max_size=200)),
    "/enroll": st.one_of(encoded(enrollments), encoded(json_values), st.binary(max_size=200)),
    "/config": st.one_of(st.just(b""), st.binary(max_size=50)),
}

# httpx's WSGI transport takes ASCII header values only; non-ASCII ones are tested below with
# Django's test client, which puts any latin-1 text in the WSGI environ as gunicorn would.
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
header_noise = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(["X-KIT-Terminal", "X-KIT-Timestamp", "X-KIT-Nonce", "X-KIT-Signature",
                               "Content-Type", "If-None-Match"]), header_text),
)


@st.composite
def requests(draw):
    path = draw(st.sampled_from([*bodies, "/payments/{txn}"]))
    if path == "/payments/{txn}":
        # ASCII only: httpx's WSGI transport puts a decoded, not latin-1, PATH_INFO in the environ
        # (non-ASCII paths are tested below with Django's test client).
        txn = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=25))
        return "GET", "/payments/" + quote(txn, safe=""), draw(st.just(b"") | st.binary(max_size=20))
    method = "GET" if path == "/config" else draw(st.sampled_from(["POST", "POST", "POST", "GET", "PUT"]))
    return method, path, draw(bodies[path])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(request=requests(), noise=header_noise)
def test_no_input_makes_a_500_and_every_refusal_has_the_error_shape(kiosk, request, noise):
    method, path, body = request
    headers = dict([noise]) if noise else None
    response = kiosk.request(method, path, body, sign=path != "/enroll", headers=headers)
    assert response.status_code < 500, (method, path, body, noise, response.text)
    if response.status_code == 304:
        assert response.content == b""
        return
    doc = response.json()
    if response.status_code >= 400:
        assert set(doc) <= {"error", "server_time"}
        assert doc["error"]["code"] in CODES
        assert isinstance(doc["error"]["message"], str)
    if path == "/payments/batch" and response.status_code == 200:
        for result in doc["results"]:
            assert result["http_status"] < 500
            if result["http_status"] >= 400:
                assert result["body"]["error"]["code"] in CODES


@pytest.mark.parametrize("header", ["HTTP_X_KIT_TERMINAL", "HTTP_X_KIT_TIMESTAMP", "HTTP_X_KIT_NONCE",
                                    "HTTP_X_KIT_SIGNATURE", "CONTENT_TYPE"])
@pytest.mark.parametrize("value", ["\x80\xff", "١٢٣", "１００１", "\x00", "é" * 100])
def test_non_ascii_header_values_are_refused_cleanly(kiosk, client, header, value):
    from kiosk.signing import signed_headers

    body = b"{}"
    signed = signed_headers(kiosk.key, "1001", "POST", "/api/terminal/v1/heartbeat", body, int(time.time()))
    environ = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in signed.items()}
    environ[header] = value
    response = client.generic("POST", "/api/terminal/v1/heartbeat", body,
                              content_type=environ.pop("CONTENT_TYPE", "application/json"), **environ)
    expected = (415,) if header == "CONTENT_TYPE" else (400, 401)  # not application/json
    assert response.status_code in expected
    assert response.json()["error"]["code"] in CODES


@pytest.mark.parametrize("path", ["/api/terminal/v1/payments/%C4%80", "/api/terminal/v1/payments/%FF",
                                  "/api/terminal/v1/payments/%D9%A1%D9%A2"])
def test_a_non_ascii_txn_in_the_path_is_not_found(kiosk, client, path):
    from kiosk.signing import signed_headers

    signed = signed_headers(kiosk.key, "1001", "GET", path, b"", int(time.time()))
    response = client.get(path, **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in signed.items()})
    # Broken UTF-8 (%FF) is re-escaped by Django, so the signed path cannot match: a clean 401.
    expected = ("bad_signature", 401) if path.endswith("%FF") else ("not_found", 404)
    assert (response.json()["error"]["code"], response.status_code) == expected
