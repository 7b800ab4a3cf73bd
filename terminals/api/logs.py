"""POST /logs: a bundle of the kiosk program's own log (for a `collect_logs` command, or on its own)."""

from datetime import UTC

from django.conf import settings

from ..errors import ApiError, Code
from ..logs import LogBundle, LogConflict, LogInvalid, LogTooLarge, decode_log, log_record
from . import parse, render
from .fleet import _count, _kiosk_id
from .views import api


def log_bundle(doc: dict) -> LogBundle:
    """The posted bundle, checked; ApiError(INVALID) naming every bad field, TOO_LARGE for a text over the limit."""
    errors = {}
    kiosk_id = _kiosk_id(doc.get("id"))
    if kiosk_id is None:
        errors["id"] = "required: the kiosk's UUID of this bundle (36 characters)"
    command_id = doc.get("command")
    if command_id is not None:
        command_id = _count(command_id, 2**62)
        if command_id is None:
            errors["command"] = "the id of the collect_logs command answered (an integer), or null"
    truncated = doc.get("truncated", False)
    if not isinstance(truncated, bool):
        errors["truncated"] = "true or false: whether older lines were left out"
    raw, text, data, too_large = doc.get("log"), None, None, None
    if not isinstance(raw, str):
        errors["log"] = "required: base64 of the gzip-compressed UTF-8 text"
    else:
        try:
            text, data = decode_log(raw, limit=settings.KIT_TERMINAL_LOGS_MAX_BYTES)
        except LogTooLarge as exc:
            too_large = str(exc)
        except LogInvalid as exc:
            errors["log"] = str(exc)
    if errors:
        raise ApiError(Code.INVALID, "The log bundle is malformed.", fields=errors)
    if too_large:
        raise ApiError(Code.TOO_LARGE, "The log is too large.", fields={"log": too_large})
    return LogBundle(kiosk_id=kiosk_id, command_id=command_id, truncated=truncated, text=text, gzip=data)


def log_body(row) -> dict:
    """The answer to a posted bundle: the same for every replay of the same body."""
    return {"id": str(row.kiosk_id), "number": row.pk, "command": row.command_id, "size": row.size,
            "lines": row.lines, "truncated": row.truncated, "sha256": row.sha256,
            "received_at": row.received_at.astimezone(UTC).isoformat(timespec="seconds")}


@api(methods=("POST",), blocked_ok=True)
def logs(request, terminal):
    bundle = log_bundle(parse.json_body(request))
    try:
        row, created = log_record(terminal=terminal, bundle=bundle)
    except LogConflict:
        raise ApiError(Code.CONFLICT, "This log bundle id was already posted with other content.") from None
    return render.ok(log_body(row), 201 if created else 200)
