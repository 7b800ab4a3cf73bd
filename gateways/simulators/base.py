"""What every simulator shares: outcome rules by the account's last four digits, the
simulator's own book (`SimRecord`), its switches (down, latency) and its keys.

The rules are the same for every simulator so demos and tests can show every path:

| last 4 | behaviour |
|---|---|
| 0001 | pay declined definitively (account not found) |
| 0002 | pay accepted, but the reply never comes back in time; status then says success |
| 0003 | pay accepted but pending; status "in progress" for the first two polls, then success |
| 0004 | a transient error (not registered) twice, then success |
| 0005 | the check says the account does not exist |
| 0006 | CyberPlat declines with a re-routable code; the other simulators accept it |
| 0007 | CyberPlat answers "same payment within the hour", then status shows it done; others accept |
| else | success |
"""

import time
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction

from .models import SimRecord, SimulatorState
from .transport import sim_delay


class Magic(StrEnum):
    DECLINE = "decline"
    TIMEOUT = "timeout"
    PENDING = "pending"
    TRANSIENT = "transient"
    NO_ACCOUNT = "no_account"
    REROUTE = "reroute"
    DUPLICATE = "duplicate"
    OK = "ok"


_BY_SUFFIX = {"0001": Magic.DECLINE, "0002": Magic.TIMEOUT, "0003": Magic.PENDING, "0004": Magic.TRANSIENT,
              "0005": Magic.NO_ACCOUNT, "0006": Magic.REROUTE, "0007": Magic.DUPLICATE}

PENDING_POLLS = 2      # 0003: status says "in progress" this many times, then success
TRANSIENT_FAILS = 2    # 0004: this many transient errors, then success


def magic(account: str) -> Magic:
    return _BY_SUFFIX.get(account[-4:], Magic.OK)


def timeout_sleep() -> float:
    """How long a 0002 pay reply is held back: past any demo read timeout."""
    return float(getattr(settings, "KIT_SIM_TIMEOUT_SLEEP", 8.0))


_states: dict[str, tuple[float, SimulatorState]] = {}  # code -> (monotonic time read, state)


def state(code: str) -> SimulatorState:
    """The simulator's switches, keys and params, as a request reads them (never mutate it).

    Re-read at most every KIT_CATALOGUE_TTL seconds per process (0, as in tests: every
    request), like the catalogue: a latency or key change in the admin shows within seconds.
    """
    now, ttl = time.monotonic(), settings.KIT_CATALOGUE_TTL
    seen = _states.get(code)
    if seen is not None and ttl > 0 and now - seen[0] < ttl:
        return seen[1]
    obj, _ = SimulatorState.objects.get_or_create(code=code)
    _states[code] = (now, obj)
    return obj


def with_latency(code: str, response, extra_seconds: float = 0.0, *, sim: SimulatorState | None = None):
    """Apply the simulator's configured latency (plus `extra_seconds`) to a reply.

    `sim`: the state the request already read (saves a query); else it is read here.
    """
    if sim is not None:
        latency = sim.latency_ms or 0
    else:
        latency = SimulatorState.objects.filter(code=code).values_list("latency_ms", flat=True).first() or 0
    return sim_delay(response, latency / 1000.0 + extra_seconds)


def counter(code: str, name: str) -> int:
    """Bump and return a named per-simulator counter (e.g. transient failures for an account).

    Kept in a SimRecord with state "counter" so it survives across processes.
    """
    key = f"counter:{name}"[:64]
    with transaction.atomic():
        try:
            with transaction.atomic():
                rec = SimRecord.objects.create(code=code, key=key, account="", state="counter", polls=1)
                return 1
        except IntegrityError:
            rec = SimRecord.objects.select_for_update().get(code=code, key=key)
        rec.polls += 1
        rec.save(update_fields=["polls", "updated_at"])
        return rec.polls


def accepted(code: str):
    """The simulator's book of accepted payments (tests count these)."""
    return SimRecord.objects.filter(code=code).exclude(state="counter")


def basic_auth_ok(code: str, request, login: str) -> bool:
    """HTTP Basic auth for a simulator: `login` and the password it issued (its params).

    A simulator without a password of its own accepts nobody: it never looks at our secrets.
    """
    import base64
    import binascii
    import hmac

    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:], validate=True).decode("utf-8").partition(":")
    except (binascii.Error, ValueError):
        return False
    if login and not hmac.compare_digest(user.encode(), login.encode()):
        return False
    issued = str(state(code).params.get("password") or "")
    return bool(issued) and hmac.compare_digest(password.encode(), issued.encode())


def book_pay(code: str, key: str, rec: SimRecord | None, values: dict) -> tuple[SimRecord, bool]:
    """Write a pay into the simulator's book under `key` (the gateway's idempotency key).

    Returns (row, True), or (the row a concurrent pay with the same key wrote, False): the
    caller then answers that pay's result, or its protocol's "id reused" code when the
    content differs.
    """
    try:
        with transaction.atomic():
            if rec is None:
                return SimRecord.objects.create(code=code, key=key, **values), True
            SimRecord.objects.filter(pk=rec.pk).update(**values)
            rec.refresh_from_db()
            return rec, True
    except IntegrityError:
        return SimRecord.objects.get(code=code, key=key), False


def book_status(code: str, key: str) -> SimRecord | None:
    """A status query on the book: the paid/pending/declined row for `key` (None: never paid).

    A pending payment advances one poll; after PENDING_POLLS polls it is paid (magic 0003).
    """
    with transaction.atomic():
        rec = SimRecord.objects.select_for_update().filter(code=code, key=key).exclude(state="checked").first()
        if rec is not None and rec.state == "pending":
            rec.polls += 1
            if rec.polls > PENDING_POLLS:
                rec.state = "paid"
            rec.save(update_fields=["polls", "state", "updated_at"])
    return rec
