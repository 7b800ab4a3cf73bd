"""The terminal API's OpenAPI 3 schema, served unsigned at /api/terminal/v1/openapi.json.

Hand-written next to the contract (docs/terminal-api.md); a test validates it and checks
that every route and every error code is described.
"""

from ..errors import MESSAGES, STATUS, Code

# The schema states every rule the parsers (terminals/api/parse.py) enforce that JSON Schema
# can state; the rest is in words ("description"). tests/terminals/test_schemathesis.py sends
# schema-valid requests and fails on any refusal the schema could have stated.
NO_CONTROL = "^[^\\u0000-\\u001f\\u007f]*$"
AMOUNT = {"type": "string", "pattern": r"^[0-9]{1,12}(\.[0-9]{1,2})?$", "example": "100.00"}
POSITIVE_AMOUNT = {**AMOUNT, "not": {"pattern": r"^0+(\.0{1,2})?$"}, "description": "Greater than zero."}
TXN = {"type": "string", "pattern": "^[0-9]{1,20}$", "example": "42"}
ISO_TIME = {"type": "string", "format": "date-time", "example": "2026-11-28T12:00:00+03:00"}
_DAY = (r"(2[0-9]{3}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
        r"|2[0-9]{3}-(0[469]|11)-(0[1-9]|[12][0-9]|30)"
        r"|2[0-9]{3}-02-(0[1-9]|1[0-9]|2[0-8])"
        r"|(2[0-9](0[48]|[2468][048]|[13579][26])|2[048]00)-02-29)")
# RFC 3339 with the server's limits: year 2000-2999, a real calendar day, an offset within
# +-15:59 (PostgreSQL's range). The server also takes other ISO 8601 spellings of the same.
PAID_AT = {"type": "string", "example": "2026-11-28T12:00:00+03:00",
           "pattern": "^" + _DAY + r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?"
                      r"(Z|[+-](0[0-9]|1[0-5]):[0-5][0-9])$"}


def _text(max_len: int, *, allow_empty: bool = False, **extra) -> dict:
    """A string as parse.text() takes it: bounded, no control characters (nor lone surrogates)."""
    return {"type": "string", "minLength": 0 if allow_empty else 1, "maxLength": max_len,
            "pattern": NO_CONTROL, **extra}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _error_response(*codes: Code) -> dict:
    listed = ", ".join(f"`{c}`" for c in codes)
    return {"description": f"Error: {listed}.", "content": {"application/json": {"schema": _ref("Error")}}}


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _unavailable() -> dict:
    return {**_error_response(Code.UNAVAILABLE),
            "headers": {"Retry-After": {"schema": {"type": "integer"},
                                        "description": "Seconds to wait before sending the request again."}}}


COMMON_ERRORS = {
    "405": _error_response(Code.METHOD_NOT_ALLOWED),
    "411": _error_response(Code.LENGTH_REQUIRED),
    "413": _error_response(Code.TOO_LARGE),
    "500": _error_response(Code.INTERNAL),
    "503": _unavailable(),
}
SIGNED_ERRORS = {
    "401": _error_response(Code.UNKNOWN_TERMINAL, Code.BAD_SIGNATURE, Code.STALE_TIMESTAMP, Code.REPLAYED_NONCE),
    **COMMON_ERRORS,
}
BLOCKED = {"403": _error_response(Code.TERMINAL_BLOCKED)}
INVALID = {"400": _error_response(Code.INVALID),
           "415": _error_response(Code.UNSUPPORTED_MEDIA_TYPE)}
SIGNED = [{"kitSignature": [], "kitTerminal": [], "kitTimestamp": [], "kitNonce": []}]

PAYMENT_IN = {
    "type": "object",
    "description": ("Rules the schema cannot state: fee + credited must equal amount; no string may "
                    "hold a lone UTF-16 surrogate. Keys not listed are ignored. A key given twice "
                    "in the body is refused (400)."),
    "required": ["txn", "provider", "account", "amount", "paid_at"],
    "dependentRequired": {"fee": ["credited"], "credited": ["fee"]},
    "properties": {
        "txn": {**TXN, "description": "The terminal's transaction number: its idempotency key."},
        "provider": _text(64, example="mts"),
        "account": _text(64, example="9161234567"),
        "amount": {**POSITIVE_AMOUNT, "description": "Cash taken; greater than zero."},
        "fee": {**AMOUNT, "description": "Printed fee; with credited, must add up to amount."},
        "credited": {**AMOUNT, "description": "Printed sum for the provider; with fee, must add up to amount."},
        "paid_at": {**PAID_AT, "description": "When the customer paid, with an offset (at most +-15:59)."},
        "fields": {"type": ["object", "null"], "maxProperties": 32, "propertyNames": _text(64),
                   "additionalProperties": _text(255, allow_empty=True)},
    },
}

CHEQUE = {
    "type": "object",
    "required": ["number", "terminal", "txn", "provider", "account", "amount", "fee", "credited",
                 "paid_at", "dealer", "support_phone"],
    "properties": {
        "number": {"type": "string", "example": "1001-42"},
        "terminal": {"type": "string", "example": "1001"},
        "txn": TXN,
        "provider": {"type": "string", "description": "Provider name (the code as sent when unknown)."},
        "account": {"type": "string"},
        "amount": AMOUNT, "fee": AMOUNT, "credited": AMOUNT,
        "paid_at": ISO_TIME,
        "dealer": {"type": "string"},
        "support_phone": {"type": "string"},
    },
}

PAYMENT_OUT = {
    "type": "object",
    "required": ["id", "txn", "status", "amount", "fee", "credited", "cheque"],
    "properties": {
        "id": {"type": "integer"},
        "txn": TXN,
        "status": {"type": "string",
                   "enum": ["accepted", "held", "processing", "succeeded", "failed", "cancelled"]},
        "reason": {"type": "string", "description": "Why held, failed or cancelled (stable code).",
                   "enum": ["terminal_blocked", "insufficient_balance", "provider_disabled", "unknown_provider",
                            "account_format", "amount_out_of_limits", "amount_below_minimum",
                            "blacklisted_account", "no_route", "declined"]},
        "flags": {"type": "array", "items": {"type": "string", "enum": ["clock_skew", "fee_mismatch"]}},
        "amount": AMOUNT, "fee": AMOUNT, "credited": AMOUNT,
        "cheque": _ref("Cheque"),
    },
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "enum": [str(c) for c in Code]},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "invalid: field name -> what is wrong with it."},
                "server_time": {**ISO_TIME, "description": "stale_timestamp only."},
            },
        },
        "server_time": {**ISO_TIME, "description": "stale_timestamp only: the server's clock."},
    },
}

COLOUR = {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$", "example": "#1d4ed8"}
IMAGE = {
    "type": ["object", "null"], "required": ["url", "sha256", "content_type", "width", "height"],
    "description": "Fetch `url` (relative to the server, unsigned) once; cache it by `sha256`.",
    "properties": {"url": {"type": "string", "example": "/screens/img/<sha256>"},
                   "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                   "content_type": {"enum": ["image/png", "image/jpeg", "image/gif", "image/webp"]},
                   "width": {"type": "integer"}, "height": {"type": "integer"}},
}
THEME = {
    "type": ["object", "null"], "required": ["id", "name", "layout", "colors", "logo"],
    "description": "The customer screens' look; null: the kiosk program's default.",
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "layout": {"enum": ["tiles", "list", "large"]},
        "colors": {"type": "object", "required": ["background", "text", "accent", "button_text"],
                   "properties": {"background": COLOUR, "text": COLOUR, "accent": COLOUR, "button_text": COLOUR}},
        "logo": IMAGE,
    },
}
AD = {
    "type": "object", "required": ["id", "name", "kind", "text", "image", "position", "schedule"],
    "description": "Shown only inside its schedule: dates inclusive, ISO weekdays (1 = Monday), daily "
                   "[time_from, time_to) in `time_zone`; time_to 00:00 means midnight at the day's end.",
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "kind": {"enum": ["text", "image"]},
        "text": {"type": "string"}, "image": IMAGE, "position": {"enum": ["top", "bottom", "idle"]},
        "schedule": {"type": "object",
                     "required": ["date_from", "date_to", "weekdays", "time_from", "time_to", "time_zone"],
                     "properties": {
                         "date_from": {"type": "string", "format": "date"},
                         "date_to": {"type": "string", "format": "date"},
                         "weekdays": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 7}},
                         "time_from": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
                         "time_to": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
                         "time_zone": {"type": "string", "example": "Europe/Moscow"}}},
    },
}

CONFIG = {
    "type": "object",
    "required": ["terminal", "providers", "theme", "ads", "config_version", "last_txn"],
    "properties": {
        "terminal": {"type": "object", "properties": {
            "number": {"type": "string"}, "address": {"type": "string"}, "dealer": {"type": "string"},
            "support_phone": {"type": "string"}, "time_zone": {"type": "string"},
            "currency": {"type": "string"}, "heartbeat_seconds": {"type": "integer"}}},
        "providers": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "name": {"type": "string"},
            "category": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}},
            "account": {"type": "object", "properties": {
                "label": {"type": "string"}, "format": {"type": "string", "description": "Regex, full match."},
                "example": {"type": "string"}}},
            "limits": {"type": "object", "properties": {"min": AMOUNT, "max": AMOUNT}},
            "fee": {"type": ["object", "null"], "description":
                    "fee = max(amount * percent / 100 + fixed, minimum), at most amount, rounded half-up.",
                    "properties": {"percent": {"type": "string"}, "fixed": AMOUNT, "minimum": AMOUNT,
                                   "valid_to": {**ISO_TIME, "type": ["string", "null"]}}},
            "logo": {"type": ["string", "null"]}}}},
        "theme": _ref("Theme"),
        "ads": {"type": "array", "items": _ref("Ad"),
                "description": "The ads shown at some moment of the next 24 hours, with their whole schedules."},
        "config_version": {"type": "string"},
        "last_txn": {**TXN, "type": ["string", "null"],
                     "description": "Highest txn held from this terminal (by number); null when none."},
    },
}

DEVICE_VALUE = {"anyOf": [_text(255, allow_empty=True), {"type": "integer", "minimum": -10**12, "maximum": 10**12},
                          {"type": "boolean"}, {"type": "null"}]}

HEARTBEAT_IN = {
    "type": "object",
    "description": "All parts optional; a part left out keeps its last value.",
    "properties": {
        "software_version": _text(40, allow_empty=True),
        "time": {**ISO_TIME, "description": "The kiosk's own clock (alert clock_skew past 5 minutes off)."},
        "devices": {"type": "object", "maxProperties": 32, "propertyNames": _text(64), "example": {
            "bill_validator": {"state": "ok", "error": ""}, "printer": {"state": "ok", "paper": "low"}},
            "additionalProperties": {"type": "object", "maxProperties": 16, "propertyNames": _text(64),
                                     "additionalProperties": DEVICE_VALUE}},
        "cash": {"type": "object", "properties": {
            "notes": {"type": "integer", "minimum": 0, "maximum": 1000000}, "amount": AMOUNT,
            "by_denomination": {"type": "object", "maxProperties": 32, "description": "face value -> notes",
                                "propertyNames": {"type": "string", "pattern": "^[0-9]{1,6}$"},
                                "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 1000000},
                                "example": {"100": 12, "500": 3}},
            "cassette_capacity": {"type": "integer", "minimum": 0, "maximum": 1000000,
                                  "description": "how many notes the cassette holds"}}},
        "queue": {"type": "object", "description": "payments taken but not yet accepted by the server",
                  "properties": {"count": {"type": "integer", "minimum": 0, "maximum": 1000000},
                                 "oldest_at": {"anyOf": [PAID_AT, {"type": "null"}],
                                               "description": "paid_at of the oldest; required when count > 0"}},
                  "if": {"required": ["count"], "properties": {"count": {"minimum": 1}}},
                  "then": {"required": ["oldest_at"], "properties": {"oldest_at": PAID_AT}}},
        "rejected": {"type": "array", "maxItems": 500,
                     "description": "payments the server refused with 400/409, kept on the kiosk for support",
                     "items": {"type": "object", "required": ["txn", "http_status"], "properties": {
                         "txn": {"type": "string", "pattern": "^[0-9]{1,20}$"},
                         "http_status": {"type": "integer", "minimum": 400, "maximum": 599},
                         "code": _text(64, allow_empty=True)}}},
    },
}

HEARTBEAT_OUT = {
    "type": "object",
    "required": ["server_time", "config_version", "blocked", "commands"],
    "properties": {
        "server_time": ISO_TIME, "config_version": {"type": "string"}, "blocked": {"type": "boolean"},
        "commands": {"type": "array", "items": {"type": "object"}},
    },
}


def _header_scheme(name, description):
    return {"type": "apiKey", "in": "header", "name": name, "description": description}


SCHEMA = {
    "openapi": "3.1.0",
    "info": {
        "title": "KIT terminal API",
        "version": "1.0.0",
        "description": (
            "Signed JSON API for cash kiosks. Every call except /enroll and /openapi.json carries "
            "X-KIT-Terminal, X-KIT-Timestamp, X-KIT-Nonce and X-KIT-Signature: base64 Ed25519 signature "
            "over METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nhex(sha256(BODY)). See docs/terminal-api.md.\n\n"
            "Error codes: " + "; ".join(f"`{c}` ({STATUS[c]}): {MESSAGES[c]}" for c in Code)
        ),
    },
    "servers": [{"url": "/api/terminal/v1"}],
    "components": {
        "securitySchemes": {
            "kitTerminal": _header_scheme("X-KIT-Terminal", "The terminal number."),
            "kitTimestamp": _header_scheme("X-KIT-Timestamp", "Unix time in seconds; within 300 s of the server."),
            "kitNonce": _header_scheme("X-KIT-Nonce", "16 to 64 characters of [A-Za-z0-9_-], once per 600 s."),
            "kitSignature": _header_scheme("X-KIT-Signature", "base64 Ed25519 signature of the canonical string."),
        },
        "schemas": {
            "Error": ERROR, "PaymentIn": PAYMENT_IN, "Payment": PAYMENT_OUT, "Cheque": CHEQUE,
            "Config": CONFIG, "Theme": THEME, "Ad": AD, "HeartbeatIn": HEARTBEAT_IN, "HeartbeatOut": HEARTBEAT_OUT,
        },
    },
    "paths": {
        "/enroll": {"post": {
            "summary": "Register the terminal's public key with a one-time code (unsigned).",
            "operationId": "enroll",
            "security": [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["terminal", "code", "public_key"],
                "properties": {"terminal": {"type": "string", "pattern": "^[0-9]{1,20}$"},
                               "code": _text(64, example="1234-5678-9012"),
                               "public_key": {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$",
                                              "description": "base64 of the raw 32-byte Ed25519 public key"}}}}}},
            "responses": {
                "200": _json({"type": "object", "required": ["terminal", "server_time"],
                              "properties": {"terminal": {"type": "string"}, "server_time": ISO_TIME}},
                             "Enrolled; the key replaces any old one."),
                **INVALID,
                "403": _error_response(Code.ENROLLMENT_DENIED),
                **COMMON_ERRORS,
            },
        }},
        "/payments": {"post": {
            "summary": "Post a payment (idempotent by txn). Recorded even when held or failed.",
            "operationId": "postPayment",
            "security": SIGNED,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("PaymentIn")}}},
            "responses": {
                "201": _json(_ref("Payment"), "Recorded now (status accepted, held or failed with a reason)."),
                "200": _json(_ref("Payment"), "Already recorded with the same content: as it is now."),
                **INVALID,
                "409": _error_response(Code.TXN_CONFLICT),
                **SIGNED_ERRORS,
            },
        }},
        "/payments/batch": {"post": {
            "summary": "Post up to 500 payments (offline catch-up); each judged as if posted alone.",
            "operationId": "postPaymentBatch",
            "security": SIGNED,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["payments"],
                "properties": {"payments": {"type": "array", "maxItems": 500, "items": _ref("PaymentIn")}}}}}},
            "responses": {
                "200": _json({"type": "object", "required": ["results"], "properties": {"results": {
                    "type": "array", "items": {"type": "object", "required": ["txn", "http_status", "body"],
                                               "properties": {
                                                   "txn": {"type": ["string", "null"]},
                                                   "http_status": {"type": "integer"},
                                                   "body": {"oneOf": [_ref("Payment"), _ref("Error")]}}}}}},
                             "One result per payment, in order."),
                **INVALID,
                **SIGNED_ERRORS,
            },
        }},
        "/payments/{txn}": {"get": {
            "summary": "A payment of this terminal, as it is now.",
            "operationId": "getPayment",
            "security": SIGNED,
            "parameters": [{"name": "txn", "in": "path", "required": True, "schema": TXN}],
            "responses": {
                "200": _json(_ref("Payment"), "The payment and its cheque."),
                "404": _error_response(Code.NOT_FOUND),
                **BLOCKED,
                **SIGNED_ERRORS,
            },
        }},
        "/config": {"get": {
            "summary": "Providers, fee rules, settings, theme and ads for this terminal; last_txn.",
            "operationId": "getConfig",
            "security": SIGNED,
            "parameters": [{"name": "If-None-Match", "in": "header", "required": False,
                            "schema": {"type": "string"}, "description": "The ETag of the config held."}],
            "responses": {
                "200": {**_json(_ref("Config"), "The config."),
                        "headers": {"ETag": {"schema": {"type": "string"}}}},
                "304": {"description": "Not modified since the ETag sent.",
                        "headers": {"ETag": {"schema": {"type": "string"}}}},
                **BLOCKED,
                **SIGNED_ERRORS,
            },
        }},
        "/heartbeat": {"post": {
            "summary": "Report live state (devices, cash box, version); learn blocked and config version.",
            "operationId": "heartbeat",
            "security": SIGNED,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("HeartbeatIn")}}},
            "responses": {
                "200": _json(_ref("HeartbeatOut"), "Stored; blocked terminals get blocked: true."),
                **INVALID,
                **SIGNED_ERRORS,
            },
        }},
        "/openapi.json": {"get": {
            "summary": "This schema (unsigned).",
            "operationId": "openapi",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3 document.",
                                  "content": {"application/json": {"schema": {"type": "object"}}}},
                          "405": _error_response(Code.METHOD_NOT_ALLOWED),
                          "411": _error_response(Code.LENGTH_REQUIRED)},
        }},
    },
}

# The look-ups (terminals/api/lookups.py) describe themselves beside their views.
from .lookups_schema import LOOKUP_PATHS, LOOKUP_SCHEMAS  # noqa: E402

SCHEMA["paths"].update(LOOKUP_PATHS)
SCHEMA["components"]["schemas"].update(LOOKUP_SCHEMAS)

# The encashments and the commands (terminals/api/fleet.py) likewise.
from .fleet_schema import FLEET_PATHS, FLEET_SCHEMAS  # noqa: E402

SCHEMA["paths"].update(FLEET_PATHS)
SCHEMA["components"]["schemas"].update(FLEET_SCHEMAS)

# The kiosk's log bundles (terminals/api/logs.py).
from .logs_schema import LOG_PATHS, LOG_SCHEMAS  # noqa: E402

SCHEMA["paths"].update(LOG_PATHS)
SCHEMA["components"]["schemas"].update(LOG_SCHEMAS)

# The release endpoints and the heartbeat's `update` (updates/api_schema.py).
from updates.api_schema import PATHS as RELEASE_PATHS  # noqa: E402
from updates.api_schema import UPDATE_REPORT  # noqa: E402

SCHEMA["paths"].update(RELEASE_PATHS)
HEARTBEAT_IN["properties"]["update"] = UPDATE_REPORT
