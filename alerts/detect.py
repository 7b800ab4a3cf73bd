"""Which alert conditions hold, read from a heartbeat's content: pure functions, no database.

The content is the heartbeat's JSON body as the API received it (see docs/alerts.md for the
fields read). A rule is *checked* only when the part it reads is present, so a heartbeat that
leaves out `queue` neither opens nor closes the queue alert.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from .catalogue import Code

VALIDATOR_FAILED = {"failure", "failed", "error", "jam", "jammed", "out_of_service"}
PAPER_LOW = {"low", "near_end"}
PAPER_OUT = {"out", "end"}


@dataclass
class Evaluation:
    """`active`: code -> detail for each condition that holds; `checked`: every code this content decides."""

    active: dict = field(default_factory=dict)
    checked: set = field(default_factory=set)

    def rule(self, code: Code, holds: bool, **detail) -> None:
        self.checked.add(code)
        if holds:
            self.active[code] = detail


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _when(value) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo is not None else None


def _word(value) -> str:
    return value.strip().lower() if isinstance(value, str) else ""


def _flag(state: dict, key: str) -> bool:
    value = state.get(key)
    return value is True or _word(value) in {"open", "opened", "true", "yes"}


def _notes_in_cassette(cash: dict) -> int | None:
    by_denomination = cash.get("by_denomination")
    if isinstance(by_denomination, dict):
        counts = [_int(v) for v in by_denomination.values()]
        if counts and all(c is not None and c >= 0 for c in counts):
            return sum(counts)
    return _int(cash.get("notes"))


def evaluate(content: dict, *, received_at: datetime, encashment_open: bool = False) -> Evaluation:
    """The conditions `content` shows at `received_at`; `encashment_open` is the terminal's stored state."""
    ev = Evaluation()
    # Any heartbeat at all means the terminal is not silent.
    ev.rule(Code.OFFLINE, False)
    devices = content.get("devices") if isinstance(content.get("devices"), dict) else {}
    devices = {k: v for k, v in devices.items() if isinstance(v, dict)}
    cash = content.get("cash") if isinstance(content.get("cash"), dict) else None

    validator = devices.get("bill_validator")
    cassette_full_reported = False
    if validator is not None:
        state = _word(validator.get("state"))
        error = validator.get("error") if isinstance(validator.get("error"), str) else ""
        ev.rule(Code.VALIDATOR_FAILURE, state in VALIDATOR_FAILED or bool(error.strip()),
                state=state, error=error[:200])
        cassette = _word(validator.get("cassette"))
        removed = cassette == "removed" or state == "cassette_removed"
        ev.rule(Code.CASSETTE_REMOVED, removed and not encashment_open)
        cassette_full_reported = cassette == "full" or state == "cassette_full"

    capacity = _int(cash.get("cassette_capacity")) if cash is not None else None
    notes = _notes_in_cassette(cash) if cash is not None else None
    if capacity and capacity > 0 and notes is not None:
        full = cassette_full_reported or notes >= capacity
        near = notes * 100 >= capacity * settings.KIT_ALERT_CASSETTE_NEAR_FULL_PERCENT
        ev.rule(Code.CASSETTE_FULL, full, notes=notes, capacity=capacity)
        ev.rule(Code.CASSETTE_NEAR_FULL, near and not full, notes=notes, capacity=capacity)
    elif validator is not None:
        ev.rule(Code.CASSETTE_FULL, cassette_full_reported)

    printer = devices.get("printer")
    if printer is not None:
        paper = _word(printer.get("paper"))
        ev.rule(Code.PAPER_OUT, paper in PAPER_OUT)
        ev.rule(Code.PAPER_LOW, paper in PAPER_LOW)
        ev.rule(Code.PRINTER_COVER_OPEN, _flag(printer, "cover_open") or _word(printer.get("cover")) == "open")

    # The door is reported by some kiosks only: as a device of its own or a key of the cabinet's.
    door_states = []
    if "door" in devices:
        door_states.append(_word(devices["door"].get("state")) == "open" or _flag(devices["door"], "open"))
    door_states += [_flag(d, "door") for name, d in devices.items() if name != "door" and "door" in d]
    if door_states:
        ev.rule(Code.DOOR_OPEN, any(door_states))

    if "queue" in content:
        queue = content["queue"] if isinstance(content["queue"], dict) else {}
        count = _int(queue.get("count")) or 0
        oldest = _when(queue.get("oldest_at"))
        limit = timedelta(minutes=settings.KIT_ALERT_QUEUE_MINUTES)
        stale = count > 0 and oldest is not None and received_at - oldest > limit
        ev.rule(Code.QUEUE_STALE, stale, count=count, oldest_at=oldest.isoformat() if oldest else None)

    if "rejected" in content:
        rejected = content["rejected"] if isinstance(content["rejected"], list) else []
        items = [r for r in rejected if isinstance(r, dict)]
        ev.rule(Code.PAYMENTS_REJECTED, bool(items), count=len(items),
                txns=[str(r.get("txn"))[:20] for r in items[:10]],
                codes=sorted({str(r.get("code"))[:40] for r in items if r.get("code")})[:10])

    if "time" in content:
        kiosk_time = _when(content["time"])
        if kiosk_time is not None:
            skew = (kiosk_time - received_at).total_seconds()
            ev.rule(Code.CLOCK_SKEW, abs(skew) > settings.KIT_ALERT_CLOCK_SKEW_SECONDS, seconds=int(skew))
    return ev
