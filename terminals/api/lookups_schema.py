"""OpenAPI parts of the look-ups (/phone, /checks) and of the config's catalogue fields.

Kept beside terminals/api/lookups.py; openapi.py merges them into SCHEMA.
"""

from ..errors import Code
from .openapi import (
    AMOUNT,
    BLOCKED,
    CONFIG,
    INVALID,
    PAYMENT_IN,
    POSITIVE_AMOUNT,
    SIGNED,
    SIGNED_ERRORS,
    _error_response,
    _json,
    _ref,
    _text,
)

PHONE = {
    "type": "object",
    "required": ["number", "operator", "inn", "region", "provider", "source"],
    "properties": {
        "number": {"type": "string", "pattern": "^79[0-9]{9}$", "example": "79161234567"},
        "operator": {"type": "string", "example": "ПАО \"Мобильные ТелеСистемы\""},
        "inn": {"type": "string", "example": "7740000076"},
        "region": {"type": "string", "example": "г. Москва и Московская область"},
        "provider": {"type": ["string", "null"], "example": "mts",
                     "description": "Our provider for the operator's INN; null when none is mapped or enabled."},
        "source": {"type": "string", "enum": ["plan", "ported"]},
    },
}

CHECK_IN = {
    "type": "object",
    "required": ["provider", "account", "amount"],
    "properties": {
        "provider": _text(64, example="mts"),
        "account": _text(64, example="9161234567"),
        "amount": {**POSITIVE_AMOUNT, "description": "The cash the customer means to pay; greater than zero."},
        "fields": PAYMENT_IN["properties"]["fields"],
    },
}

CHECK_OUT = {
    "type": "object",
    "required": ["ok", "code", "message", "details"],
    "properties": {
        "ok": {"type": ["boolean", "null"],
               "description": "true: would be paid; false: would not (code says why); null: unknown now."},
        "code": {"type": "string", "enum": ["ok", "account_not_found", "account_format", "blacklisted",
                                            "provider_disabled", "unknown_provider", "unavailable"]},
        "message": {"type": "string"},
        "details": {"type": "object", "description": "account_format: field; gateway answers: gateway_code "
                                                     "and what the gateway wants shown."},
    },
}

FIELD = {"type": "object", "required": ["name", "label", "format", "example", "required"], "properties": {
    "name": {"type": "string", "description": "account: the payment's account; others go in fields."},
    "label": {"type": "string"}, "label_en": {"type": "string"},
    "format": {"type": "string", "description": "Regex, full match."}, "example": {"type": "string"},
    "mask": {"type": "string"}, "required": {"type": "boolean"}}}

LOOKUP_SCHEMAS = {"Phone": PHONE, "CheckIn": CHECK_IN, "Check": CHECK_OUT, "AccountField": FIELD}

LOOKUP_PATHS = {
    "/phone/{number}": {"get": {
        "summary": "The operator of a Russian mobile number (ported numbers first, then the numbering plan).",
        "operationId": "getPhone",
        "security": SIGNED,
        "parameters": [{"name": "number", "in": "path", "required": True,
                        "schema": {"type": "string", "example": "+79161234567",
                                   "pattern": r"^(\+7|8|7)? ?\(?9[0-9]{2}\)? ?[0-9]{3}-?[0-9]{2}-?[0-9]{2}$"},
                        "description": "+79161234567, 89161234567 or 9161234567, also written as "
                                       "+7 (916) 123-45-67. The server ignores spaces, brackets and dashes "
                                       "anywhere in up to 32 characters."}],
        "responses": {
            "200": _json(_ref("Phone"), "Known number."),
            **INVALID,
            "404": _error_response(Code.NUMBER_UNKNOWN),
            **BLOCKED,
            **SIGNED_ERRORS,
        },
    }},
    "/checks": {"post": {
        "summary": "Check an account online before taking the cash (cached for KIT_CHECK_CACHE_SECONDS).",
        "operationId": "postCheck",
        "security": SIGNED,
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("CheckIn")}}},
        "responses": {
            "200": _json(_ref("Check"), "The answer: ok true, false or null."),
            **INVALID,
            **BLOCKED,
            **SIGNED_ERRORS,
        },
    }},
}

_provider = CONFIG["properties"]["providers"]["items"]["properties"]
_provider.update({
    "legal_name": {"type": "string", "description": "The supplier named on the fiscal receipt."},
    "inn": {"type": "string"},
    "fields": {"type": "array", "items": _ref("AccountField"), "description": "account first, then the rest."},
    "check_required": {"type": "boolean", "description": "Ask /checks before taking the cash."},
    "offline": {"type": "object", "properties": {"allowed": {"type": "boolean"},
                                                 "max_amount": {**AMOUNT, "type": ["string", "null"]}}},
})
CONFIG["properties"]["terminal"]["properties"]["dealer_inn"] = {"type": "string"}
CONFIG["properties"]["categories"] = {"type": "array", "description": "In the order the kiosk shows them.",
                                      "items": {"type": "object", "properties": {
                                          "code": {"type": "string"}, "name": {"type": "string"},
                                          "icon": {"type": "string"}, "position": {"type": "integer"}}}}
