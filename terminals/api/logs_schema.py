"""OpenAPI part of POST /logs (terminals/api/logs.py); openapi.py merges it into SCHEMA."""

from ..errors import Code
from ..logs import CONTROL_CHARS, CUT_SHORT, NOT_GZIP, NOT_UTF8, TRAILING, encode_log
from .fleet_schema import ENCASHMENT_IN
from .openapi import INVALID, SIGNED, SIGNED_ERRORS, _error_response, _json, _ref

# Base64 (RFC 4648, the standard alphabet, padded): what the server decodes.
BASE64 = "^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
# A one-line log as the kiosk sends it.
EXAMPLE = encode_log("2026-11-28 12:00:00,000 INFO kiosk.app: kit-kiosk 0.1, terminal 1001\n")

LOG_IN = {
    "type": "object",
    "description": ("Rules the schema cannot state: `log` must be base64 of one gzip stream (RFC 1952) of "
                    "UTF-8 text with no control characters but tab, line feed and carriage return ("
                    + "; ".join(f"`{m}`" for m in (NOT_GZIP, CUT_SHORT, TRAILING, NOT_UTF8, CONTROL_CHARS))
                    + " otherwise, 400 `invalid`), at most KIT_TERMINAL_LOGS_MAX_BYTES (4 MiB by default) once "
                    "decompressed (otherwise 413 `too_large`). The same body again is answered 200 with the first "
                    "answer; other content under the same id is 409 `conflict`."),
    "required": ["id", "log"],
    "properties": {
        "id": {**ENCASHMENT_IN["properties"]["id"],
               "description": "The kiosk's id of this bundle: the idempotency key (per terminal)."},
        "command": {"type": ["integer", "null"], "minimum": 0, "maximum": 2**62,
                    "description": ("The collect_logs command this answers; absent or null when the kiosk sends "
                                    "on its own. An id that is not one of this terminal's collect_logs commands "
                                    "is not linked (the log is kept).")},
        "truncated": {"type": "boolean", "default": False,
                      "description": "true: older lines were left out to stay within the limit."},
        "log": {"type": "string", "pattern": BASE64, "contentEncoding": "base64",
                "contentMediaType": "application/gzip", "example": EXAMPLE,
                "description": "The log text (oldest line first, newest last), gzip-compressed, then base64."},
    },
}

LOG_OUT = {
    "type": "object",
    "required": ["id", "number", "command", "size", "lines", "truncated", "sha256", "received_at"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "number": {"type": "integer", "description": "The server's number of the bundle."},
        "command": {"type": ["integer", "null"], "description": "The collect_logs command it was linked to."},
        "size": {"type": "integer", "description": "Bytes of text (decompressed)."},
        "lines": {"type": "integer"},
        "truncated": {"type": "boolean"},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "Of the decompressed text."},
        "received_at": {"type": "string", "format": "date-time"},
    },
}

LOG_SCHEMAS = {"LogIn": LOG_IN, "Log": LOG_OUT}

LOG_PATHS = {
    "/logs": {"post": {
        "summary": "Post a bundle of the kiosk's own log (for a collect_logs command, or on its own).",
        "operationId": "postLogs",
        "security": SIGNED,
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("LogIn")}}},
        "responses": {
            "201": _json(_ref("Log"), "Recorded now."),
            "200": _json(_ref("Log"), "Already recorded with the same content: the first answer."),
            **INVALID,
            "409": _error_response(Code.CONFLICT),
            **SIGNED_ERRORS,
        },
    }},
}
