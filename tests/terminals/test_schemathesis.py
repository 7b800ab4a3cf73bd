"""Schemathesis against the served OpenAPI schema, every request signed by the kiosk's own code.

Schema-valid requests (positive) must be taken: refused only for a rule the schema states
in words (fee + credited = amount) or for the server's state (an unknown enrollment code,
a txn not there, a txn used for another payment, an unknown number). Schema-invalid ones
(negative) must be refused with a 4xx in the error shape. Nothing may answer 5xx, and every
answer must match what the schema says of it. The number of examples is bounded so the
whole file runs in seconds.
"""

import json
import os
import time
from urllib.parse import urlencode

import pytest
import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, note, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core import NotSet
from schemathesis.transport.prepare import prepare_path
from werkzeug.urls import iri_to_uri

from kiosk.signing import signed_headers
from terminals.errors import STATUS, Code
from terminals.logs import WORDED as LOG_WORDED

pytestmark = pytest.mark.django_db

SCHEMA_PATH = "/api/terminal/v1/openapi.json"
# Small enough for every CI run; KIT_SCHEMATHESIS_SCALE=20 makes a deeper run by hand.
SCALE = int(os.environ.get("KIT_SCHEMATHESIS_SCALE", "1"))
EXAMPLES = {schemathesis.GenerationMode.POSITIVE: 25 * SCALE, schemathesis.GenerationMode.NEGATIVE: 15 * SCALE}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]

# What a schema-valid request may still be refused for, per operation: the server's state, or a
# rule the schema can only give in words (its `description`).
STATE_REFUSALS = {
    "enroll": {Code.ENROLLMENT_DENIED},
    "postPayment": {Code.TXN_CONFLICT},
    "getPayment": {Code.NOT_FOUND},
    "getPhone": {Code.NUMBER_UNKNOWN},
    "postEncashment": {Code.CONFLICT},
    "postLogs": {Code.CONFLICT},
    "getReleaseManifest": {Code.NOT_FOUND},
    "getReleaseArchive": {Code.NOT_FOUND, Code.RANGE_NOT_SATISFIABLE},
}
WORDED_RULES = {("credited", "fee + credited must equal amount"),
                ("total", "must be the sum of the notes (face value x count)"),
                ("closed_at", "not before opened_at"),
                # POST /logs: base64 the schema states; what the decoded bytes must be, only its description.
                *(("log", reason) for reason in LOG_WORDED)}


@pytest.fixture
def app():
    """Django's WSGI app; request_started/finished must not close the test's connection."""
    from django.core import signals
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def signing(terminal):
    """Enroll terminal 1001 with a fresh key and sign every Schemathesis request with it."""
    from kiosk.signing import public_key_b64
    from terminals.services import enrollment_code_issue, terminal_enroll

    key = Ed25519PrivateKey.generate()
    _, code = enrollment_code_issue(terminal=terminal)
    terminal_enroll(number=terminal.number, code=code, public_key=public_key_b64(key))

    def before_call(context, case, kwargs):
        kwargs["data"] = body = encoded(case.body)  # the exact bytes signed are the bytes sent
        path = iri_to_uri(case.operation.schema.get_full_path(prepare_path(case.path, case.path_parameters)))
        if case.query:
            path += "?" + urlencode(case.query, doseq=True)
        if case.operation.definition.raw.get("security") != []:
            case.headers = {**(case.headers or {}),
                            **signed_headers(key, terminal.number, case.method, path, body, int(time.time()))}

    schemathesis.hook(before_call)
    try:
        yield key
    finally:
        schemathesis.hooks.GLOBAL_HOOK_DISPATCHER.unregister(before_call)


def encoded(body) -> bytes:
    if isinstance(body, NotSet):
        return b""
    if isinstance(body, bytes):
        return body
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


def error_of(response) -> Code | None:
    """The error code of a refusal, after checking the documented error shape."""
    if response.status_code < 400:
        return None
    doc = json.loads(response.content)
    assert set(doc) <= {"error", "server_time"}, doc
    assert set(doc["error"]) <= {"code", "message", "fields", "server_time"}, doc
    code = Code(doc["error"]["code"])
    assert STATUS[code] == response.status_code, doc
    assert isinstance(doc["error"]["message"], str) and doc["error"]["message"], doc
    if response.status_code == 503:
        assert int(response.headers["retry-after"][0]) > 0
    return code


def assert_taken(operation_id: str, response):
    """A schema-valid request: refused only for the server's state or a rule given in words."""
    code = error_of(response)
    if code is None:
        return
    doc = json.loads(response.content)
    if code == Code.INVALID:
        stated = set(doc["error"].get("fields", {}).items()) - WORDED_RULES
        assert not stated, f"{operation_id}: the schema could have stated {stated}"
        return
    assert code in STATE_REFUSALS.get(operation_id, set()), f"{operation_id}: refused with {code}: {doc}"


def assert_batch_items_taken(response):
    for result in json.loads(response.content)["results"]:
        if result["http_status"] >= 400:
            err = result["body"]["error"]
            code = Code(err["code"])
            assert STATUS[code] == result["http_status"], result
            if code == Code.INVALID:
                assert not set(err.get("fields", {}).items()) - WORDED_RULES, result
            else:
                assert code in STATE_REFUSALS["postPayment"], result


def run(operation, mode, app):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES[mode], deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def one(case):
        response = case.call(app=app)
        note(f"{case.method} {case.path} {case.path_parameters} {case.headers} {case.body!r} -> "
             f"{response.status_code} {response.text}")
        assert response.status_code < 500, response.text
        if mode == schemathesis.GenerationMode.POSITIVE:
            case.validate_response(response, checks=CHECKS)
            assert_taken(operation.definition.raw["operationId"], response)
            if operation.definition.raw["operationId"] == "postPaymentBatch" and response.status_code == 200:
                assert_batch_items_taken(response)
        else:
            case.validate_response(response, checks=[not_a_server_error])
            error_of(response)

    one()


@pytest.fixture
def schema(app, signing):
    return schemathesis.openapi.from_wsgi(SCHEMA_PATH, app)


def operations(schema):
    return [result.ok() for result in schema.get_all_operations()]


def test_schema_valid_signed_requests_are_taken_and_answered_as_the_schema_says(schema, app):
    ops = operations(schema)
    assert {op.label for op in ops} == {
        "POST /enroll", "POST /payments", "POST /payments/batch", "GET /payments/{txn}", "GET /config",
        "POST /heartbeat", "GET /phone/{number}", "POST /checks", "POST /encashments", "POST /logs",
        "GET /releases/{version}/manifest", "GET /releases/{version}/archive"}  # the schema itself is left out
    for operation in ops:
        run(operation, schemathesis.GenerationMode.POSITIVE, app)


def test_schema_invalid_signed_requests_are_refused_with_a_4xx_in_the_error_shape(schema, app):
    for operation in operations(schema):
        run(operation, schemathesis.GenerationMode.NEGATIVE, app)
