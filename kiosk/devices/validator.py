"""The bill-validator seam: typed events and the interface a protocol driver implements.

The kiosk program sees only this module. CCNET (ccnet.py) is one implementation; a second protocol
(ID003, for instance) would map its own states onto the same events.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from .ccnet_frames import Identification, Note


class Decision(Enum):
    """What the caller wants done with a note in escrow."""

    STACK = "stack"
    RETURN = "return"
    HOLD = "hold"


@dataclass(frozen=True)
class Event:
    """Something the validator reported. `raw` is the reply frame it came from (for the log)."""

    raw: bytes = field(default=b"", repr=False, compare=False)

    @property
    def name(self) -> str:
        return type(self).__name__

    #: True for the states that mean the unit cannot take money until someone acts.
    out_of_service = False


@dataclass(frozen=True)
class PowerUp(Event):
    """The unit has just been powered. A bill in the stacker may be money in limbo: never credited here."""

    bill_in_validator: bool = False
    bill_in_stacker: bool = False

    @property
    def incident(self) -> bool:
        return self.bill_in_stacker


@dataclass(frozen=True)
class Initializing(Event):
    pass


@dataclass(frozen=True)
class Idling(Event):
    pass


@dataclass(frozen=True)
class Accepting(Event):
    pass


@dataclass(frozen=True)
class Stacking(Event):
    pass


@dataclass(frozen=True)
class Returning(Event):
    pass


@dataclass(frozen=True)
class Disabled(Event):
    pass


@dataclass(frozen=True)
class Holding(Event):
    pass


@dataclass(frozen=True)
class Busy(Event):
    ms: int = 0


@dataclass(frozen=True)
class NoteRejected(Event):
    code: int = 0
    reason: str = ""


@dataclass(frozen=True)
class NoteEscrowed(Event):
    note: Note | None = None
    bill_type: int = -1


@dataclass(frozen=True)
class NoteStacked(Event):
    """The money event: the note is in the cassette. Credit the customer on this and only on this."""

    note: Note | None = None
    bill_type: int = -1


@dataclass(frozen=True)
class NoteReturned(Event):
    note: Note | None = None
    bill_type: int = -1


@dataclass(frozen=True)
class UnknownNoteStacked(Event):
    """A note of a type missing from the bill table went into the cassette: an incident, never a credit."""

    bill_type: int = -1
    out_of_service = True


@dataclass(frozen=True)
class CassetteFull(Event):
    out_of_service = True


@dataclass(frozen=True)
class CassetteRemoved(Event):
    out_of_service = True


@dataclass(frozen=True)
class Jammed(Event):
    where: str = "validator"  # or "cassette"
    out_of_service = True


@dataclass(frozen=True)
class Cheated(Event):
    out_of_service = True


@dataclass(frozen=True)
class Paused(Event):
    pass


@dataclass(frozen=True)
class Failure(Event):
    code: int = 0
    reason: str = ""
    out_of_service = True


@dataclass(frozen=True)
class UnknownState(Event):
    """A state byte outside the tables: logged with its bytes, treated as out of service, never a credit."""

    state: int = 0
    data: bytes = b""
    out_of_service = True


class ValidatorError(Exception):
    """The validator cannot be talked to: timeouts, frames that stay bad after retries, refused commands."""

    def __init__(self, message: str, raw: bytes = b""):
        super().__init__(f"{message}" + (f" [{raw.hex(' ')}]" if raw else ""))
        self.raw = bytes(raw)


class ValidatorTimeout(ValidatorError):
    """No (complete) reply within the response window, after the bounded retries."""


class IllegalCommand(ValidatorError):
    """The device answered ILLEGAL COMMAND: the command is not allowed in its present state."""


EventHandler = Callable[[Event], "Decision | None"]


@dataclass(frozen=True)
class ValidatorInfo:
    identification: Identification
    bill_table: dict[int, Note]


class BillValidator(ABC):
    """A cash acceptor: start it, enable some denominations, poll it, decide on notes in escrow.

    poll(handler) hands each new event to `handler` and confirms the device's reply only after
    `handler` returned: an exception in the handler leaves the reply unconfirmed, so the device
    reports the same event again on the next poll.
    """

    bill_table: dict[int, Note]

    @abstractmethod
    def start(self) -> ValidatorInfo:
        """Reset the unit, read its identification and bill table; leaves it disabled."""

    @abstractmethod
    def enable(self, values: Iterable[Decimal | int] | None = None, *, escrow: bool = True) -> set[int]:
        """Accept the notes whose face value is in `values` (all of the table's currency when None)."""

    @abstractmethod
    def disable(self) -> None:
        """Take no more notes."""

    @abstractmethod
    def poll(self, handler: EventHandler | None = None) -> Event:
        """One POLL: the event the device reports now (handed to `handler` if it is new)."""

    @abstractmethod
    def stack(self) -> None:
        """Move the note in escrow into the cassette."""

    @abstractmethod
    def return_note(self) -> None:
        """Give the note in escrow back to the customer."""

    @abstractmethod
    def hold(self) -> None:
        """Keep the note in escrow a while longer."""

    @abstractmethod
    def close(self) -> None:
        ...
