"""The heartbeat's `update` part (parsed before anything is stored, like the rest of the heartbeat)."""

from terminals.api.parse import text
from terminals.errors import ApiError, Code

from .models import TerminalUpdate


def update_report(value) -> dict:
    """The heartbeat's `update` part -> terminal_update_record's keywords; ApiError `invalid` otherwise."""
    if not isinstance(value, dict):
        raise ApiError(Code.INVALID, "The heartbeat is malformed.", fields={"update": "an object {version, state, reason}"})
    version, state, reason = value.get("version"), value.get("state"), value.get("reason", "")
    errors = {}
    # Control characters (a NUL would also be refused by PostgreSQL) are refused like everywhere in the API.
    if text(version, max_len=27, allow_empty=True) is None:
        errors["update.version"] = "a version string of up to 27 characters, no control characters"
    if state not in TerminalUpdate.State.values:
        errors["update.state"] = "one of " + ", ".join(TerminalUpdate.State.values)
    if text(reason, max_len=255, allow_empty=True) is None:
        errors["update.reason"] = "a string of up to 255 characters, no control characters"
    if errors:
        raise ApiError(Code.INVALID, "The heartbeat is malformed.", fields=errors)
    return {"version": version, "state": state, "reason": reason}
