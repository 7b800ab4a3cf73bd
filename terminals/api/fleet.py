"""Encashments posted by the kiosk, and the acknowledgements of remote commands in its heartbeat."""

import uuid
from datetime import UTC
from decimal import Decimal

from kit.money import fmt

from ..commands import MAX_ACKS, Ack
from ..encashments import MAX_NOTES, MAX_TXNS, EncashmentConflict, EncashmentRequest, encashment_record
from ..errors import ApiError, Code
from ..models import RUBLE_NOTES
from . import parse, render
from .views import api

UUID_CHARS = set("0123456789abcdefABCDEF-")


def _count(value, maximum: int) -> int | None:
    """A JSON integer 0..maximum (2.0 counts as 2, true does not), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 0 <= value <= maximum:
        return value
    return None


def _kiosk_id(value) -> uuid.UUID | None:
    if not isinstance(value, str) or len(value) != 36 or not set(value) <= UUID_CHARS:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def encashment_request(doc: dict) -> EncashmentRequest:
    """The posted encashment, checked; ApiError(INVALID) naming every bad field."""
    errors = {}
    kiosk_id = _kiosk_id(doc.get("id"))
    if kiosk_id is None:
        errors["id"] = "required: the kiosk's UUID of this encashment (36 characters)"
    opened_at = parse.timestamp(doc.get("opened_at"))
    if opened_at is None:
        errors["opened_at"] = "required: ISO 8601 date and time with an offset"
    closed_at = parse.timestamp(doc.get("closed_at"))
    if closed_at is None:
        errors["closed_at"] = "required: ISO 8601 date and time with an offset"
    elif opened_at is not None and closed_at < opened_at:
        errors["closed_at"] = "not before opened_at"
    notes: dict[str, int] = {}
    raw_notes = doc.get("notes")
    if not isinstance(raw_notes, dict) or len(raw_notes) > len(RUBLE_NOTES):
        errors["notes"] = "required: an object face value -> number of notes, e.g. {\"100\": 12}"
    else:
        for face, count in raw_notes.items():
            if not (isinstance(face, str) and face.isascii() and face.isdigit() and len(face) <= 4
                    and int(face) in RUBLE_NOTES and str(int(face)) == face):
                errors["notes"] = f"{face[:8]!r} is not a ruble note (one of {', '.join(map(str, RUBLE_NOTES))})"
                break
            n = _count(count, MAX_NOTES)
            if n is None:
                errors["notes"] = f"the count of {face} must be an integer 0 to {MAX_NOTES}"
                break
            notes[face] = n
    total = parse.amount(doc.get("total"))
    if total is None:
        errors["total"] = "required: an amount string like 2700.00"
    elif "notes" not in errors and total != sum((Decimal(int(k)) * v for k, v in notes.items()), Decimal(0)):
        errors["total"] = "must be the sum of the notes (face value x count)"
    txns = doc.get("txns")
    if not isinstance(txns, list) or len(txns) > MAX_TXNS or not all(
            isinstance(t, str) and parse.TXN_RE.fullmatch(t) for t in txns):
        errors["txns"] = f"required: a list of up to {MAX_TXNS} transaction numbers (digits, as strings)"
    if errors:
        raise ApiError(Code.INVALID, "The encashment is malformed.", fields=errors)
    return EncashmentRequest(kiosk_id=kiosk_id, opened_at=opened_at, closed_at=closed_at, notes=notes,
                             total=total, txns=tuple(txns))


def acks(doc: dict) -> list[Ack]:
    """The heartbeat's `acks`: [{id, ok, message?}]; absent means none."""
    value = doc.get("acks", [])
    error = f"a list of up to {MAX_ACKS} objects {{id: integer, ok: boolean, message: string up to 255}}"
    if not isinstance(value, list) or len(value) > MAX_ACKS:
        raise ApiError(Code.INVALID, "The heartbeat is malformed.", fields={"acks": error})
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise ApiError(Code.INVALID, "The heartbeat is malformed.", fields={"acks": error})
        pk = _count(item.get("id"), 2**62)
        message = item.get("message", "")
        message = "" if message is None else parse.text(message, max_len=255, allow_empty=True)
        if pk is None or not isinstance(item.get("ok"), bool) or message is None:
            raise ApiError(Code.INVALID, "The heartbeat is malformed.", fields={"acks": error})
        out.append(Ack(id=pk, ok=item["ok"], message=message))
    return out


def encashment_body(row) -> dict:
    """The answer to a posted encashment: the same for every replay of the same body."""
    return {"id": str(row.kiosk_id), "number": row.pk, "total": fmt(row.total),
            "notes": row.notes, "notes_count": row.notes_count,
            "received_at": row.received_at.astimezone(UTC).isoformat(timespec="seconds")}


@api(methods=("POST",), blocked_ok=True)
def encashments(request, terminal):
    req = encashment_request(parse.json_body(request))
    try:
        row, created = encashment_record(terminal=terminal, request=req)
    except EncashmentConflict:
        raise ApiError(Code.CONFLICT, "This encashment id was already posted with other content.") from None
    return render.ok(encashment_body(row), 201 if created else 200)
