"""CCNET bill-validator driver (CashCode SM/MSM/MVU and compatibles) over any pyserial port.

Half-duplex master/slave at 9600 8N1: we send one command and read one reply, never two commands
outstanding. A data reply (POLL, GET STATUS, IDENTIFICATION, GET BILL TABLE) is confirmed with ACK
when its CRC is good and refused with NAK when it is not; the device then sends it again. Every read
has a deadline, every retry loop a bound.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from decimal import Decimal

import serial

from . import validator as ev
from .ccnet_frames import (
    ADDRESS_VALIDATOR,
    ILLEGAL_COMMAND,
    STATES_WITH_DATA,
    SYNC,
    Cmd,
    FailureCode,
    FrameError,
    Identification,
    Note,
    RejectCode,
    State,
    command,
    frame_length,
    mask,
    parse,
    parse_bill_table,
    parse_identification,
    unmask,
)
from .port import open_port

log = logging.getLogger("kiosk.devices.ccnet")

ACK_FRAME = command(Cmd.ACK)
NAK_FRAME = command(Cmd.NAK)
BUSY_WAIT_LIMIT = 5.0  # seconds: a busy report longer than this is capped (the next poll asks again)

SIMPLE_EVENTS: dict[int, Callable[[bytes], ev.Event]] = {
    State.POWER_UP: lambda raw: ev.PowerUp(raw=raw),
    State.POWER_UP_BILL_IN_VALIDATOR: lambda raw: ev.PowerUp(raw=raw, bill_in_validator=True),
    State.POWER_UP_BILL_IN_STACKER: lambda raw: ev.PowerUp(raw=raw, bill_in_stacker=True),
    State.INITIALIZE: lambda raw: ev.Initializing(raw=raw),
    State.IDLING: lambda raw: ev.Idling(raw=raw),
    State.ACCEPTING: lambda raw: ev.Accepting(raw=raw),
    State.STACKING: lambda raw: ev.Stacking(raw=raw),
    State.RETURNING: lambda raw: ev.Returning(raw=raw),
    State.UNIT_DISABLED: lambda raw: ev.Disabled(raw=raw),
    State.HOLDING: lambda raw: ev.Holding(raw=raw),
    State.DROP_CASSETTE_FULL: lambda raw: ev.CassetteFull(raw=raw),
    State.DROP_CASSETTE_OUT_OF_POSITION: lambda raw: ev.CassetteRemoved(raw=raw),
    State.VALIDATOR_JAMMED: lambda raw: ev.Jammed(raw=raw, where="validator"),
    State.DROP_CASSETTE_JAMMED: lambda raw: ev.Jammed(raw=raw, where="cassette"),
    State.CHEATED: lambda raw: ev.Cheated(raw=raw),
    State.PAUSE: lambda raw: ev.Paused(raw=raw),
}


def code_name(enum, code: int) -> str:
    try:
        return enum(code).name.lower()
    except ValueError:
        return f"unknown_0x{code:02x}"


def event_for(payload: bytes, raw: bytes, table: dict[int, Note]) -> ev.Event:
    """The typed event for one POLL reply's payload (state byte + optional data byte)."""
    if not payload:
        return ev.UnknownState(raw=raw, state=-1, data=b"")
    state, data = payload[0], payload[1:]
    if state in SIMPLE_EVENTS and not data:
        return SIMPLE_EVENTS[state](raw)
    if state in STATES_WITH_DATA and len(data) == 1:
        value = data[0]
        if state == State.DEVICE_BUSY:
            return ev.Busy(raw=raw, ms=value * 100)
        if state == State.REJECTING:
            return ev.NoteRejected(raw=raw, code=value, reason=code_name(RejectCode, value))
        if state == State.GENERIC_FAILURE:
            return ev.Failure(raw=raw, code=value, reason=code_name(FailureCode, value))
        note = table.get(value)
        if state == State.ESCROW_POSITION:
            return ev.NoteEscrowed(raw=raw, note=note, bill_type=value)
        if state == State.BILL_STACKED:
            if note is None:
                return ev.UnknownNoteStacked(raw=raw, bill_type=value)
            return ev.NoteStacked(raw=raw, note=note, bill_type=value)
        return ev.NoteReturned(raw=raw, note=note, bill_type=value)
    return ev.UnknownState(raw=raw, state=state, data=bytes(data))


class _BadFrame(Exception):
    def __init__(self, error: FrameError):
        self.error = error


class CcnetValidator(ev.BillValidator):
    """One CCNET validator on one port. Not thread-safe: one caller polls it."""

    def __init__(self, port: str | serial.SerialBase, *, response_timeout: float = 0.5, retries: int = 3,
                 currency: str = "RUS", init_timeout: float = 10.0, poll_interval: float = 0.2,
                 address: int = ADDRESS_VALIDATOR, sleep: Callable[[float], None] = time.sleep,
                 bill_table: dict[int, Note] | None = None):
        self.port = open_port(port, baudrate=9600, bytesize=8, parity="N", stopbits=1,
                              timeout=response_timeout, write_timeout=response_timeout) \
            if isinstance(port, str) else port
        self.response_timeout = response_timeout
        self.retries = retries
        self.currency = currency
        self.init_timeout = init_timeout
        self.poll_interval = poll_interval
        self.address = address
        self.sleep = sleep
        # The table saved from the last start: a note stacked before a restart is reported before
        # the table can be read again (the unit refuses GET BILL TABLE until it is reset).
        self.bill_table: dict[int, Note] = dict(bill_table or {})
        self.identification: Identification | None = None
        self.last_event: ev.Event | None = None
        self.enabled_types: frozenset[int] = frozenset()
        # The payload of the last reply whose event the handler accepted; the same payload again on
        # the next poll is the device repeating a reply whose ACK it missed: confirmed, not handed on.
        self._delivered: bytes | None = None
        self.wire: deque[tuple[str, bytes]] = deque(maxlen=400)

    # -- the link ----------------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        self.wire.append((">", data))
        try:
            self.port.write(data)
            self.port.flush()
        except serial.SerialTimeoutException as exc:
            raise ev.ValidatorTimeout("write timed out", data) from exc
        except (serial.SerialException, OSError) as exc:
            raise ev.ValidatorError(f"port error on write: {exc}", data) from exc

    def _read_frame(self) -> bytes:
        """One frame within the response window; garbage before SYNC is logged and skipped."""
        deadline = time.monotonic() + self.response_timeout
        buf = bytearray()
        garbage = bytearray()
        while True:
            if len(buf) < 3:
                need = 3 - len(buf) if buf else 1
            elif buf[2] == 0 and len(buf) < 5:
                need = 5 - len(buf)
            else:
                total = frame_length(bytes(buf))
                if total is None or total < 6:
                    self._log_garbage(garbage)
                    raise _BadFrame(FrameError("impossible length", bytes(buf)))
                need = total - len(buf)
                if need <= 0:
                    break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._log_garbage(garbage)
                raise ev.ValidatorTimeout("no complete reply in time", bytes(buf))
            self.port.timeout = remaining
            try:
                chunk = self.port.read(need)
            except (serial.SerialException, OSError) as exc:
                raise ev.ValidatorError(f"port error on read: {exc}", bytes(buf)) from exc
            if not buf:
                # Hunting for SYNC: everything before it is line noise.
                for i, byte in enumerate(chunk):
                    if byte == SYNC:
                        buf += chunk[i:]
                        break
                    garbage.append(byte)
            else:
                buf += chunk
        self._log_garbage(garbage)
        raw = bytes(buf)
        self.wire.append(("<", raw))
        return raw

    def _log_garbage(self, garbage: bytearray) -> None:
        if garbage:
            self.wire.append(("?", bytes(garbage)))
            log.warning("ccnet: skipped %d bytes of garbage: %s", len(garbage), garbage.hex(" "))
            garbage.clear()

    def _drain(self) -> bytes:
        """Throw away whatever is still in the input buffer (after a bad frame); logged."""
        try:
            waiting = self.port.in_waiting
            stale = self.port.read(waiting) if waiting else b""
        except (serial.SerialException, OSError):
            return b""
        if stale:
            self.wire.append(("?", stale))
            log.warning("ccnet: dropped %d stale bytes: %s", len(stale), stale.hex(" "))
        return stale

    def _exchange(self, cmd: int, data: bytes = b"") -> tuple[bytes, bytes]:
        """Send one command, return (payload, raw) of a good reply; NAK bad replies, resend on silence.

        At most 1 + retries sends and 1 + retries NAKs; then ValidatorTimeout / ValidatorError.
        """
        frame_out = command(cmd, data, self.address)
        last_error: ev.ValidatorError | None = None
        self._drain()
        for _attempt in range(self.retries + 1):
            self._write(frame_out)
            naks = 0
            while True:
                try:
                    raw = self._read_frame()
                    reply = parse(raw, self.address)
                except ev.ValidatorTimeout as exc:
                    log.warning("ccnet: command 0x%02X: %s", cmd, exc)
                    last_error = exc
                    break  # silence: send the command again
                except (_BadFrame, FrameError) as exc:
                    error = exc.error if isinstance(exc, _BadFrame) else exc
                    log.warning("ccnet: command 0x%02X: bad reply (%s): %s", cmd, error.reason,
                                error.raw.hex(" "))
                    last_error = ev.ValidatorError(f"bad reply: {error.reason}", error.raw)
                    if naks >= self.retries:
                        break
                    naks += 1
                    self.sleep(0.005)
                    self._drain()
                    self._write(NAK_FRAME)
                    continue
                if reply.payload == bytes([Cmd.NAK]):
                    # The device did not like our frame (CRC on the line): send it again.
                    last_error = ev.ValidatorError("device answered NAK", raw)
                    break
                return reply.payload, raw
        assert last_error is not None
        raise last_error

    def _simple(self, cmd: int, data: bytes = b"") -> None:
        """A command answered by ACK alone (RESET, STACK, RETURN, HOLD, ENABLE, SET SECURITY)."""
        payload, raw = self._exchange(cmd, data)
        if payload == bytes([Cmd.ACK]):
            return
        if payload == bytes([ILLEGAL_COMMAND]):
            raise ev.IllegalCommand(f"command 0x{cmd:02X} refused in this state", raw)
        raise ev.ValidatorError(f"unexpected answer to command 0x{cmd:02X}", raw)

    def _data(self, cmd: int) -> tuple[bytes, bytes]:
        """A command with a data reply; the reply is ACKed here (callers that must wait use _exchange)."""
        payload, raw = self._exchange(cmd)
        if payload == bytes([ILLEGAL_COMMAND]):
            raise ev.IllegalCommand(f"command 0x{cmd:02X} refused in this state", raw)
        self._write(ACK_FRAME)
        return payload, raw

    # -- commands ----------------------------------------------------------------------
    def reset(self) -> None:
        self._simple(Cmd.RESET)
        self._delivered = None
        self.enabled_types = frozenset()

    def get_status(self) -> tuple[frozenset[int], frozenset[int]]:
        """(enabled bill types, high-security bill types) as the device reports them."""
        payload, raw = self._data(Cmd.GET_STATUS)
        if len(payload) < 6:
            raise ev.ValidatorError("GET STATUS reply is shorter than 6 bytes", raw)
        return unmask(payload[0:3]), unmask(payload[3:6])

    def set_security(self, bill_types: Iterable[int]) -> None:
        self._simple(Cmd.SET_SECURITY, mask(bill_types))

    def identify(self) -> Identification:
        payload, raw = self._data(Cmd.IDENTIFICATION)
        try:
            self.identification = parse_identification(payload)
        except ValueError as exc:
            raise ev.ValidatorError(str(exc), raw) from exc
        return self.identification

    def read_bill_table(self) -> dict[int, Note]:
        payload, raw = self._data(Cmd.GET_BILL_TABLE)
        try:
            self.bill_table = parse_bill_table(payload)
        except ValueError as exc:
            raise ev.ValidatorError(str(exc), raw) from exc
        return self.bill_table

    def enable_types(self, bill_types: Iterable[int], escrow_types: Iterable[int] = ()) -> None:
        bill_types = frozenset(bill_types)
        self._simple(Cmd.ENABLE_BILL_TYPES, mask(bill_types) + mask(escrow_types))
        self.enabled_types = bill_types

    def enable(self, values: Iterable[Decimal | int] | None = None, *, escrow: bool = True) -> set[int]:
        wanted = None if values is None else {Decimal(v) for v in values}
        types = {t for t, note in self.bill_table.items()
                 if note.currency == self.currency and (wanted is None or note.value in wanted)}
        self.enable_types(types, types if escrow else ())
        return types

    def disable(self) -> None:
        self.enable_types((), ())

    def stack(self) -> None:
        self._simple(Cmd.STACK)

    def return_note(self) -> None:
        self._simple(Cmd.RETURN)

    def hold(self) -> None:
        self._simple(Cmd.HOLD)

    # -- polling -----------------------------------------------------------------------
    def poll(self, handler: ev.EventHandler | None = None,
             acked: Callable[[ev.Event], None] | None = None) -> ev.Event:
        """One POLL. A new event goes to `handler` first; the reply is ACKed only after it returned.

        For NoteEscrowed the handler's Decision is carried out (a note of a type not in the bill
        table, or of another currency, is returned whatever it says). `acked(event)` runs after the
        ACK of a handed-on event was written.
        """
        payload, raw = self._exchange(Cmd.POLL)
        event = event_for(payload, raw, self.bill_table)
        fresh = payload != self._delivered
        decision = None
        if fresh:
            if isinstance(event, ev.UnknownState | ev.UnknownNoteStacked):
                log.error("ccnet: %s in reply %s", event.name, raw.hex(" "))
            if isinstance(event, ev.PowerUp) and event.incident:
                log.error("ccnet: power up with a bill in the stacker: possible money in limbo (%s)",
                          raw.hex(" "))
            if handler is not None:
                decision = handler(event)  # raises: no ACK, the device repeats this reply
        self._write(ACK_FRAME)
        self.last_event = event
        if fresh:
            self._delivered = payload
            if acked is not None:
                acked(event)
        self._act(event, decision if fresh else None)
        return event

    def _act(self, event: ev.Event, decision: ev.Decision | None) -> None:
        if isinstance(event, ev.Busy):
            self.sleep(min(event.ms / 1000, BUSY_WAIT_LIMIT))
        elif isinstance(event, ev.PowerUp):
            self.reset()
        elif isinstance(event, ev.NoteEscrowed) and (decision is not None or event.note is None):
            if event.note is None or event.note.currency != self.currency:
                log.warning("ccnet: returning a note of unknown type %d", event.bill_type)
                decision = ev.Decision.RETURN
            {ev.Decision.STACK: self.stack, ev.Decision.RETURN: self.return_note,
             ev.Decision.HOLD: self.hold}[decision]()

    def start(self, handler: ev.EventHandler | None = None) -> ev.ValidatorInfo:
        """First poll (a stacked note left unconfirmed before a restart is handed on), reset,
        wait for initialisation, read identification and bill table, leave the unit disabled."""
        first = self.poll(handler)
        if not isinstance(first, ev.PowerUp):
            self.reset()
        deadline = time.monotonic() + self.init_timeout
        while True:
            event = self.poll(handler)
            if not isinstance(event, ev.PowerUp | ev.Initializing | ev.Busy):
                break
            if time.monotonic() > deadline:
                raise ev.ValidatorTimeout("the unit did not finish initialising", event.raw)
            self.sleep(self.poll_interval)
        ident = self.identify()
        table = self.read_bill_table()
        self.disable()
        return ev.ValidatorInfo(identification=ident, bill_table=table)

    def close(self) -> None:
        try:
            self.port.close()
        except (serial.SerialException, OSError):
            pass
