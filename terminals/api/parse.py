"""Parsing request bodies into typed values; anything malformed is ApiError(INVALID) with `fields`.

Strings are checked for what the database cannot store (NUL, lone surrogates) so bad input
is a 400 here, never a 500 later.
"""

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from payments.services import PaymentRequest

from ..errors import ApiError, Code

TXN_RE = re.compile(r"[0-9]{1,20}")
AMOUNT_RE = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")
TERMINAL_RE = re.compile(r"[0-9]{1,20}")
# Control characters and UTF-16 surrogates: neither PostgreSQL text nor UTF-8 takes them all.
BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
MAX_FIELDS = 32
MAX_OFFSET = timedelta(hours=15, minutes=59)
BATCH_MAX = 500


def json_body(request) -> dict:
    """The request body as a JSON object (UTF-8, no NaN/Infinity, no duplicate keys, bounded numbers).

    Content-Type must say application/json (parameters such as charset aside): a body sent
    without it is refused with 415 rather than guessed at.
    """
    ctype = request.META.get("CONTENT_TYPE", "")
    if ctype.split(";", 1)[0].strip().lower() != "application/json":
        raise ApiError(Code.UNSUPPORTED_MEDIA_TYPE, fields={"content_type": "must be application/json"})
    raw = request.body
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(Code.INVALID, "The body is not UTF-8.", fields={"body": "not UTF-8"}) from None
    try:
        doc = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except DuplicateKey as exc:
        # A proxy or a kiosk library may read the first of two equal keys, we would read the last.
        raise ApiError(Code.INVALID, "The body has a key twice.",
                       fields={"body": f"duplicate key {str(exc)[:64]!r}"}) from None
    except (ValueError, RecursionError):
        raise ApiError(Code.INVALID, "The body is not valid JSON.", fields={"body": "not JSON"}) from None
    if not isinstance(doc, dict):
        raise ApiError(Code.INVALID, "The body must be a JSON object.", fields={"body": "not an object"})
    return doc


class DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list) -> dict:
    doc = dict(pairs)
    if len(doc) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return doc


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def text(value, *, max_len: int, allow_empty: bool = False) -> str | None:
    """The value as a clean string, or None when it is not one (the caller names the field)."""
    if not isinstance(value, str) or len(value) > max_len or (not value and not allow_empty):
        return None
    if BAD_CHARS.search(value):
        return None
    return value


def amount(value) -> Decimal | None:
    """A money string of the contract's format, as Decimal; None when it is not one."""
    if not isinstance(value, str) or not AMOUNT_RE.fullmatch(value):
        return None
    return Decimal(value)


def timestamp(value) -> datetime | None:
    """ISO 8601 with an offset; None when it is not one (or has no offset)."""
    if not isinstance(value, str) or len(value) > 40 or BAD_CHARS.search(value):
        return None
    try:
        dt = datetime.fromisoformat(value)
        if dt.tzinfo is None or dt.utcoffset() is None:
            return None
        dt.astimezone(UTC)  # years 1 and 9999 with an offset overflow here, not in the database
    except (ValueError, OverflowError):
        return None
    if abs(dt.utcoffset()) > MAX_OFFSET:
        return None  # PostgreSQL refuses offsets beyond 15:59 (Python takes up to 23:59)
    if not 2000 <= dt.year <= 2999:
        return None
    return dt


def integer(value) -> int | None:
    """A JSON integer as JSON Schema counts one (2.0 is 2, true is not); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def extra_fields(value) -> dict | None:
    """The provider's extra fields: an object of up to 32 string keys and string values."""
    if not isinstance(value, dict) or len(value) > MAX_FIELDS:
        return None
    for k, v in value.items():
        if text(k, max_len=64) is None or text(v, max_len=255, allow_empty=True) is None:
            return None
    return value


def payment(doc) -> PaymentRequest:
    """One payment object -> PaymentRequest; ApiError(INVALID) naming every bad field."""
    if not isinstance(doc, dict):
        raise ApiError(Code.INVALID, "A payment must be a JSON object.", fields={"payment": "not an object"})
    errors = {}
    txn = doc.get("txn")
    if not isinstance(txn, str) or not TXN_RE.fullmatch(txn):
        errors["txn"] = "required: 1 to 20 digits, as a string"
    provider = text(doc.get("provider"), max_len=64)
    if provider is None:
        errors["provider"] = "required: a provider code (string, up to 64 characters)"
    account = text(doc.get("account"), max_len=64)
    if account is None:
        errors["account"] = "required: a string of up to 64 characters"
    cash = amount(doc.get("amount"))
    if cash is None or cash <= 0:
        errors["amount"] = "required: a positive amount string like 100.00"
    paid_at = timestamp(doc.get("paid_at"))
    if paid_at is None:
        errors["paid_at"] = "required: ISO 8601 date and time with an offset"
    fields = doc.get("fields", {})
    if fields is None:
        fields = {}
    if extra_fields(fields) is None:
        errors["fields"] = "an object of up to 32 string keys with string values"
    fee = credited = None
    if "fee" in doc or "credited" in doc:
        fee, credited = amount(doc.get("fee")), amount(doc.get("credited"))
        if fee is None:
            errors["fee"] = "an amount string like 1.50, given together with credited"
        if credited is None:
            errors["credited"] = "an amount string like 98.50, given together with fee"
        if fee is not None and credited is not None and cash is not None and fee + credited != cash:
            errors["credited"] = "fee + credited must equal amount"
    if errors:
        raise ApiError(Code.INVALID, "The payment is malformed.", fields=errors)
    return PaymentRequest(txn=txn, provider_code=provider, account=account, amount=cash, paid_at=paid_at,
                          fields=fields, fee=fee, credited=credited)


def batch(doc: dict) -> list:
    items = doc.get("payments")
    if not isinstance(items, list):
        raise ApiError(Code.INVALID, "payments must be a list.", fields={"payments": "required: a list"})
    if len(items) > BATCH_MAX:
        raise ApiError(Code.INVALID, f"At most {BATCH_MAX} payments in a batch.",
                       fields={"payments": f"at most {BATCH_MAX} items"})
    return items


def enrollment(doc: dict) -> tuple[str, str, str]:
    from ..signing import public_key_valid

    errors = {}
    number = doc.get("terminal")
    if not isinstance(number, str) or not TERMINAL_RE.fullmatch(number):
        errors["terminal"] = "required: the terminal number (digits, as a string)"
    code = text(doc.get("code"), max_len=64)
    if code is None:
        errors["code"] = "required: the one-time enrollment code"
    public_key = doc.get("public_key")
    if not isinstance(public_key, str) or not public_key_valid(public_key):
        errors["public_key"] = "required: base64 of the raw 32-byte Ed25519 public key"
    if errors:
        raise ApiError(Code.INVALID, "The enrollment request is malformed.", fields=errors)
    return number, code, public_key


MAX_DENOMINATIONS = 32
MAX_REJECTED = 500


def heartbeat(doc: dict) -> dict:
    """The heartbeat's parts as heartbeat_record's keywords; absent parts are None (kept as they are)."""
    errors = {}
    out = {"software_version": None, "devices": None, "cash_notes": None, "cash_amount": None,
           "cash_by_denomination": None, "cassette_capacity": None, "queue_count": None,
           "queue_oldest_at": None, "rejected": None}
    if "software_version" in doc:
        out["software_version"] = text(doc["software_version"], max_len=40, allow_empty=True)
        if out["software_version"] is None:
            errors["software_version"] = "a string of up to 40 characters"
    if "devices" in doc:
        out["devices"] = _devices(doc["devices"])
        if out["devices"] is None:
            errors["devices"] = "an object of up to 32 devices, each an object of short scalar values"
    if "cash" in doc:
        cash = doc["cash"]
        if not isinstance(cash, dict):
            errors["cash"] = "an object {notes, amount, by_denomination, cassette_capacity}"
        else:
            notes = _count(cash.get("notes", 0))
            if notes is None:
                errors["cash.notes"] = "a count of notes (integer, 0 to 1000000)"
            else:
                out["cash_notes"] = notes
            total = amount(cash.get("amount", "0"))
            if total is None:
                errors["cash.amount"] = "an amount string like 1500.00"
            else:
                out["cash_amount"] = total
            if "by_denomination" in cash:
                out["cash_by_denomination"] = _denominations(cash["by_denomination"])
                if out["cash_by_denomination"] is None:
                    errors["cash.by_denomination"] = ("an object of up to 32 face values (digits, e.g. \"100\") "
                                                      "-> note counts (integer, 0 to 1000000)")
            if "cassette_capacity" in cash:
                capacity = _count(cash["cassette_capacity"])
                if capacity is None:
                    errors["cash.cassette_capacity"] = "the cassette's capacity in notes (integer, 0 to 1000000)"
                else:
                    out["cassette_capacity"] = capacity
    if "queue" in doc:
        queue = doc["queue"]
        count = _count(queue.get("count", 0)) if isinstance(queue, dict) else None
        if count is None:
            errors["queue"] = "an object {count: integer 0 to 1000000, oldest_at: ISO 8601 or null}"
        else:
            out["queue_count"] = count
            oldest = queue.get("oldest_at")
            when = None if oldest is None else timestamp(oldest)
            if oldest is not None and when is None:
                errors["queue.oldest_at"] = "ISO 8601 date and time with an offset, or null"
            elif out["queue_count"] and when is None:
                errors["queue.oldest_at"] = "required when count is above 0"
            else:
                out["queue_oldest_at"] = when if out["queue_count"] else None
    if "rejected" in doc:
        out["rejected"] = _rejected(doc["rejected"])
        if out["rejected"] is None:
            errors["rejected"] = (f"a list of up to {MAX_REJECTED} objects {{txn: digits, http_status: 400-599, "
                                  "code: string}")
    if errors:
        raise ApiError(Code.INVALID, "The heartbeat is malformed.", fields=errors)
    return out


def _count(value) -> int | None:
    """A count from 0 to 1,000,000 (an integer as JSON Schema counts one), else None."""
    n = integer(value)
    return n if n is not None and 0 <= n <= 1_000_000 else None


def _denominations(value) -> dict | None:
    if not isinstance(value, dict) or len(value) > MAX_DENOMINATIONS:
        return None
    for face, n in value.items():
        if not (isinstance(face, str) and face.isascii() and face.isdigit() and len(face) <= 6) or _count(n) is None:
            return None
    return {face: _count(value[face]) for face in sorted(value, key=int)}


def _rejected(value) -> list | None:
    if not isinstance(value, list) or len(value) > MAX_REJECTED:
        return None
    out = []
    for item in value:
        if not isinstance(item, dict):
            return None
        txn, status, code = item.get("txn"), item.get("http_status"), item.get("code", "")
        if not isinstance(txn, str) or not TXN_RE.fullmatch(txn):
            return None
        status = integer(status)  # 400.0 is the integer 400, as JSON Schema counts it
        if status is None or not 400 <= status <= 599:
            return None
        if text(code, max_len=64, allow_empty=True) is None:
            return None
        out.append({"txn": txn, "http_status": status, "code": code})
    return out


def _devices(value) -> dict | None:
    if not isinstance(value, dict) or len(value) > 32:
        return None
    for name, state in value.items():
        if text(name, max_len=64) is None or not isinstance(state, dict) or len(state) > 16:
            return None
        for k, v in state.items():
            if text(k, max_len=64) is None:
                return None
            if isinstance(v, str):
                if text(v, max_len=255, allow_empty=True) is None:
                    return None
            elif isinstance(v, bool) or v is None:
                continue
            elif integer(v) is not None:
                if abs(integer(v)) > 10**12:
                    return None
                state[k] = integer(v)
            else:
                return None
    return value
