"""The payment flow's table: its states, the only moves between them, and the shared device and link state."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from enum import Enum


class S(str, Enum):
    IDLE = "idle"
    ACCOUNT = "account"
    INSERTING = "inserting"
    FINISHING = "finishing"
    RECEIPT = "receipt"
    OUT_OF_SERVICE = "out_of_service"


# The only moves there are. INSERTING -> IDLE only while no note is in (cancel, walk-away at zero).
MOVES: dict[S, frozenset[S]] = {
    S.IDLE: frozenset({S.ACCOUNT, S.OUT_OF_SERVICE}),
    S.ACCOUNT: frozenset({S.IDLE, S.INSERTING, S.OUT_OF_SERVICE}),
    S.INSERTING: frozenset({S.FINISHING, S.IDLE}),
    S.FINISHING: frozenset({S.RECEIPT}),
    S.RECEIPT: frozenset({S.IDLE, S.OUT_OF_SERVICE}),
    S.OUT_OF_SERVICE: frozenset({S.IDLE}),
}


class MoveRefused(RuntimeError):
    def __init__(self, old: S, new: S):
        super().__init__(f"{old.value} -> {new.value} is not a move of the payment flow")
        self.old, self.new = old, new


class Link:
    """Whether the server answered lately: the last call that reached it decides."""

    def __init__(self):
        self.last_ok = 0.0
        self.last_fail = 0.0

    def ok(self) -> None:
        self.last_ok = time.monotonic()

    def fail(self) -> None:
        self.last_fail = time.monotonic()

    @property
    def online(self) -> bool:
        return self.last_ok > 0 and self.last_ok >= self.last_fail


@dataclass
class Devices:
    """What the device thread last saw; the screens and the heartbeat read it."""

    validator: str = "starting"  # ok / error / cassette_removed / cassette_full / jammed / failure
    validator_error: str = ""
    printer: str = "ok"
    paper: str = "ok"
    fiscal: str = "ok"
    fiscal_error: str = ""
    identification: str = ""
    changed: threading.Event = field(default_factory=threading.Event)


# Out-of-service reasons (stable codes; the screen translates them).
OOS_VALIDATOR, OOS_PRINTER, OOS_FISCAL, OOS_OFFLINE, OOS_BLOCKED, OOS_UNCONFIRMED, OOS_NO_CONFIG = (
    "validator", "printer", "fiscal", "offline_limits", "blocked", "not_confirmed", "no_config")
OOS_UPDATING = "updating"

