"""The heartbeat's `update` part (parsed before anything is stored, like the rest of the heartbeat)."""

from terminals.errors import ApiError, Code

from .models import TerminalUpdate


def update_report(value) -> dict:
    """The heartbeat's `update` part -> terminal_update_record's keywords; ApiError `invalid` otherwise."""
    if not isinstance(value, dict):
        raise ApiError(Code.INVALID, "The heartbeat is malformed.", fields={"update": "an object {version, state, reason}"})
    version, state, reason = value.get("version"), value.get("state"), value.get("reason", "")
    errors = {}
    if not (isinstance(version, str) and len(version) <= 27):
        errors["update.version"] = "a version string of up to 27 characters"
    if state not in TerminalUpdate.State.values:
        errors["update.state"] = "one of " + ", ".join(TerminalUpdate.State.values)
    if not (isinstance(reason, str) and len(reason) <= 255):
        errors["update.reason"] = "a string of up to 255 characters"
    if errors:
        raise ApiError(Code.INVALID, "The heartbeat is malformed.", fields=errors)
    return {"version": version, "state": state, "reason": reason}
