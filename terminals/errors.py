"""The terminal API's stable error codes (kiosks key on them) and the exception that carries one."""

from enum import StrEnum


class Code(StrEnum):
    """Every error code the terminal API answers with, and nothing else."""

    INVALID = "invalid"  # 400: malformed body or field; `fields` says which
    TOO_LARGE = "too_large"  # 413: body over the size limit (or a log over its limit once decompressed)
    UNKNOWN_TERMINAL = "unknown_terminal"  # 401: no such terminal, not enrolled, or header missing
    BAD_SIGNATURE = "bad_signature"  # 401: signature or nonce header missing, malformed or wrong
    STALE_TIMESTAMP = "stale_timestamp"  # 401: timestamp missing or more than 300 s off; carries server_time
    REPLAYED_NONCE = "replayed_nonce"  # 401: nonce seen from this terminal in the last 600 s
    ENROLLMENT_DENIED = "enrollment_denied"  # 403: wrong, used, expired or locked enrollment code
    TERMINAL_BLOCKED = "terminal_blocked"  # 403: blocked terminal (payment posts and heartbeats excepted)
    NOT_FOUND = "not_found"  # 404
    NUMBER_UNKNOWN = "number_unknown"  # 404: GET /phone/<number>: neither the plan nor the ported numbers know it
    METHOD_NOT_ALLOWED = "method_not_allowed"  # 405
    TXN_CONFLICT = "txn_conflict"  # 409: the txn was used for another payment
    CONFLICT = "conflict"  # 409: the id was used for another encashment or log bundle
    LENGTH_REQUIRED = "length_required"  # 411: a chunked body (send Content-Length)
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"  # 415: a body without Content-Type: application/json
    INTERNAL = "internal"  # 500: our fault, never the request's; the kiosk retries later
    UNAVAILABLE = "unavailable"  # 503: the database is unreachable; retry after Retry-After seconds
    RANGE_NOT_SATISFIABLE = "range_not_satisfiable"  # 416: a release archive's Range beyond its end


STATUS: dict[Code, int] = {
    Code.INVALID: 400,
    Code.TOO_LARGE: 413,
    Code.UNKNOWN_TERMINAL: 401,
    Code.BAD_SIGNATURE: 401,
    Code.STALE_TIMESTAMP: 401,
    Code.REPLAYED_NONCE: 401,
    Code.ENROLLMENT_DENIED: 403,
    Code.TERMINAL_BLOCKED: 403,
    Code.NOT_FOUND: 404,
    Code.NUMBER_UNKNOWN: 404,
    Code.METHOD_NOT_ALLOWED: 405,
    Code.TXN_CONFLICT: 409,
    Code.CONFLICT: 409,
    Code.LENGTH_REQUIRED: 411,
    Code.UNSUPPORTED_MEDIA_TYPE: 415,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
    Code.RANGE_NOT_SATISFIABLE: 416,
}

MESSAGES: dict[Code, str] = {
    Code.INVALID: "The request is malformed.",
    Code.TOO_LARGE: "The request body is too large.",
    Code.UNKNOWN_TERMINAL: "Unknown or not enrolled terminal.",
    Code.BAD_SIGNATURE: "The request signature is missing or does not verify.",
    Code.STALE_TIMESTAMP: "The request timestamp is too far from the server time.",
    Code.REPLAYED_NONCE: "This nonce was already used.",
    Code.ENROLLMENT_DENIED: "Enrollment refused: the code is wrong, used, expired or locked.",
    Code.TERMINAL_BLOCKED: "The terminal is blocked.",
    Code.NOT_FOUND: "Not found.",
    Code.NUMBER_UNKNOWN: "Neither the numbering plan nor the ported numbers know this number.",
    Code.METHOD_NOT_ALLOWED: "Method not allowed.",
    Code.TXN_CONFLICT: "This transaction number was already used for another payment.",
    Code.CONFLICT: "This id was already used with other content.",
    Code.LENGTH_REQUIRED: "Send the body with a Content-Length (chunked bodies are not accepted).",
    Code.UNSUPPORTED_MEDIA_TYPE: "The body must be JSON sent as Content-Type: application/json.",
    Code.INTERNAL: "Internal error; try again later.",
    Code.UNAVAILABLE: "The service is briefly unavailable; retry after the Retry-After seconds.",
    Code.RANGE_NOT_SATISFIABLE: "The Range starts beyond the end of the archive.",
}


class ApiError(Exception):
    """Raised anywhere in the API; rendered as {"error": {"code", "message", "fields"?}}."""

    def __init__(self, code: Code, message: str | None = None, *, fields: dict | None = None,
                 extra: dict | None = None):
        self.code = code
        self.status = STATUS[code]
        self.message = message or MESSAGES[code]
        self.fields = fields
        self.extra = extra or {}
        super().__init__(f"{code}: {self.message}")

    def body(self) -> dict:
        error = {"code": str(self.code), "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        error.update(self.extra)
        return {"error": error, **self.extra}


class EnrollmentDenied(Exception):
    """Wrong, used, expired or locked enrollment code (the reason is logged, never told)."""
