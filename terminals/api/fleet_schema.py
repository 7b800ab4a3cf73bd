"""OpenAPI parts of the encashments and of the remote commands (heartbeat acks in, commands out).

Kept beside terminals/api/fleet.py; openapi.py merges them into SCHEMA.
"""

from ..commands import MAX_ACKS
from ..encashments import MAX_NOTES, MAX_TXNS
from ..errors import Code
from ..models import RUBLE_NOTES, TerminalCommand
from .openapi import (
    AMOUNT,
    HEARTBEAT_IN,
    HEARTBEAT_OUT,
    INVALID,
    PAID_AT,
    SIGNED,
    SIGNED_ERRORS,
    TXN,
    _error_response,
    _json,
    _ref,
    _text,
)

ENCASHMENT_IN = {
    "type": "object",
    "description": ("Rules the schema cannot state: total must equal the sum of face value x count; "
                    "closed_at not before opened_at. Txns the server does not know yet are kept and "
                    "linked when their payments arrive. The same body again is answered 200 with the "
                    "first answer; other content under the same id is 409 `conflict`."),
    "required": ["id", "opened_at", "closed_at", "notes", "total", "txns"],
    "properties": {
        "id": {"type": "string", "format": "uuid", "minLength": 36, "maxLength": 36,
               "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
               "description": "The kiosk's id of this encashment: the idempotency key (per terminal)."},
        "opened_at": {**PAID_AT, "description": "When the collector opened the encashment."},
        "closed_at": {**PAID_AT, "description": "When the cassette was back and the kiosk closed it."},
        "notes": {"type": "object", "maxProperties": len(RUBLE_NOTES), "example": {"100": 12, "500": 3},
                  "description": "Face value (a ruble note) -> number of notes.",
                  "propertyNames": {"enum": [str(n) for n in RUBLE_NOTES]},
                  "additionalProperties": {"type": "integer", "minimum": 0, "maximum": MAX_NOTES}},
        "total": {**AMOUNT, "example": "2700.00", "description": "The sum of the notes."},
        "txns": {"type": "array", "maxItems": MAX_TXNS, "items": TXN,
                 "description": "Every finished payment of the kiosk not yet in an encashment."},
    },
}

ENCASHMENT_OUT = {
    "type": "object",
    "required": ["id", "number", "total", "notes", "notes_count", "received_at"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "number": {"type": "integer", "description": "The server's number of the encashment."},
        "total": AMOUNT,
        "notes": {"type": "object", "additionalProperties": {"type": "integer"}},
        "notes_count": {"type": "integer"},
        "received_at": {"type": "string", "format": "date-time"},
    },
}

ACK = {
    "type": "object",
    "required": ["id", "ok"],
    "properties": {
        "id": {"type": "integer", "minimum": 0, "maximum": 2**62,
               "description": "A command id from a heartbeat reply; an unknown id is ignored (and logged)."},
        "ok": {"type": "boolean", "description": "true: done; false: failed (say why in message)."},
        "message": {**_text(255, allow_empty=True), "type": ["string", "null"]},
    },
}

COMMAND = {
    "type": "object",
    "required": ["id", "kind", "args"],
    "properties": {
        "id": {"type": "integer", "description": "Acknowledge it in the next heartbeat; run each id at most once."},
        "kind": {"type": "string", "enum": list(TerminalCommand.Kind.values)},
        "args": {"type": "object", "description": (
            "update: {\"release\": \"<version>\", \"sha256\", \"size\", ...}; collect_logs: {\"max_bytes\": N} "
            "(the server's limit of a log's text, POST /logs); the others: {}.")},
    },
}

HEARTBEAT_IN["properties"]["acks"] = {
    "type": "array", "maxItems": MAX_ACKS, "items": _ref("CommandAck"),
    "description": "Acknowledgements of commands executed (or refused) since the last heartbeat."}
HEARTBEAT_OUT["properties"]["commands"] = {
    "type": "array", "items": _ref("Command"),
    "description": "Commands not yet acknowledged and not expired, oldest first (sent again until acknowledged)."}

FLEET_SCHEMAS = {"EncashmentIn": ENCASHMENT_IN, "Encashment": ENCASHMENT_OUT, "CommandAck": ACK,
                 "Command": COMMAND}

FLEET_PATHS = {
    "/encashments": {"post": {
        "summary": "Post a closed encashment (cash collection): notes by face value and the txns it covers.",
        "operationId": "postEncashment",
        "security": SIGNED,
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("EncashmentIn")}}},
        "responses": {
            "201": _json(_ref("Encashment"), "Recorded now."),
            "200": _json(_ref("Encashment"), "Already recorded with the same content: the first answer."),
            **INVALID,
            "409": _error_response(Code.CONFLICT),
            **SIGNED_ERRORS,
        },
    }},
}
