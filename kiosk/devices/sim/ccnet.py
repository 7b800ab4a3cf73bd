"""A CCNET bill validator in software, speaking real bytes: receive(host bytes) -> device bytes.

It moves one step per POLL (each transient state is reported at least once), keeps a data reply
until the host ACKs it (a POLL without the ACK gets the same reply again, as a real unit does),
answers NAK to a frame with a bad CRC and ILLEGAL COMMAND where the command is not allowed.
Scripting (insert a note, reject, jam, cassette, power cut, wire faults) is by method calls, from the
same process or through the control socket of serve.py.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from decimal import Decimal

from ..ccnet_frames import (
    ILLEGAL_COMMAND,
    Cmd,
    FrameError,
    FrameSplitter,
    RejectCode,
    State,
    build_bill_table,
    build_identification,
    frame,
    mask,
    parse,
    unmask,
)

# Common "RUS" firmware layout; 200 and 2000 sit at 12 and 13 on updated firmware.
RUB_TABLE = {2: 10, 3: 50, 4: 100, 5: 500, 6: 1000, 7: 5000, 12: 200, 13: 2000}
ONE_SHOT = (State.BILL_STACKED, State.BILL_RETURNED, State.REJECTING)
IN_UNIT = (State.ACCEPTING, State.ESCROW_POSITION, State.HOLDING, State.RETURNING)
INFO_ALLOWED = {State.POWER_UP, State.POWER_UP_BILL_IN_VALIDATOR, State.POWER_UP_BILL_IN_STACKER,
                State.INITIALIZE, State.UNIT_DISABLED}
FAULTS = {State.DROP_CASSETTE_FULL, State.DROP_CASSETTE_OUT_OF_POSITION, State.VALIDATOR_JAMMED,
          State.DROP_CASSETTE_JAMMED, State.CHEATED, State.PAUSE, State.GENERIC_FAILURE}


class CcnetSimulator:
    kind = "ccnet"

    def __init__(self, *, table: dict[int, int | Decimal] | None = None, currency: str = "RUS",
                 part_number: str = "SM-RU1353", serial_number: str = "41K000001",
                 cassette_capacity: int = 1000, escrow_timeout_polls: int = 50, init_polls: int = 2):
        self.lock = threading.RLock()
        self.table = {t: Decimal(v) for t, v in (table or RUB_TABLE).items()}
        self.currency = currency
        self.part_number = part_number
        self.serial_number = serial_number
        self.cassette_capacity = cassette_capacity
        self.escrow_timeout_polls = escrow_timeout_polls
        self.init_polls = init_polls
        self.splitter = FrameSplitter()
        # Counts survive power cuts and resets: they are what physically happened to the notes.
        self.stacked: Counter[Decimal] = Counter()
        self.returned: Counter[Decimal] = Counter()
        self.rejected = 0
        self.limbo = 0  # notes that reached the cassette while the unit had no power to report them
        self.in_cassette = 0
        self.bad_frames = 0
        self.repeats = 0
        self.illegal = 0
        self.commands: list[int] = []
        self.queue: deque[tuple[int | None, Decimal, int | None]] = deque()
        self.silent = False
        self.powered = True
        self.corrupt_out = 0
        self.corrupt_in = 0
        self.acks_to_lose = 0
        self.inject: deque[bytes] = deque()
        self.scripted: deque[bytes] = deque()
        self.busy_units = 0
        self.fault: bytes | None = None  # a sticky state (jam, cassette, failure) shown instead of the rest
        self._power_up(State.POWER_UP)

    # -- state -------------------------------------------------------------------------
    def _power_up(self, state: State) -> None:
        self.state = state
        self.shown = False
        self.note: int | None = None  # bill type inside the unit
        self.reject_code: int | None = None
        self.enabled: frozenset[int] = frozenset()
        self.escrow: frozenset[int] = frozenset()
        self.security: frozenset[int] = frozenset()
        self.pending: bytes | None = None
        self.last_sent: bytes | None = None
        self.countdown = 0

    def _enter(self, state: State) -> None:
        self.state = state
        self.shown = False
        self.countdown = 0

    def _ready_state(self) -> State:
        return State.IDLING if self.enabled else State.UNIT_DISABLED

    def _value(self, bill_type: int | None) -> Decimal:
        return self.table.get(bill_type, Decimal(0)) if bill_type is not None else Decimal(0)

    def _stack_now(self) -> None:
        value = self._value(self.note)
        self.stacked[value] += 1
        self.in_cassette += 1

    def _return_now(self) -> None:
        self.returned[self._value(self.note)] += 1

    def _tick(self) -> None:
        """Advance one step, only out of a state the host has already seen."""
        if not self.shown:
            return
        s = self.state
        if s == State.INITIALIZE:
            self.countdown += 1
            if self.countdown >= self.init_polls:
                self._enter(self._ready_state())
        elif s == State.UNIT_DISABLED and self.enabled:
            self._enter(State.IDLING)
        elif s == State.IDLING and self.queue:
            bill_type, _value, code = self.queue.popleft()
            self.note, self.reject_code = bill_type, code
            self._enter(State.ACCEPTING)
        elif s == State.ACCEPTING:
            if self.reject_code is None and (self.note is None or self.note not in self.enabled):
                self.reject_code = RejectCode.INHIBIT if self.note is not None else RejectCode.IDENTIFICATION
            if self.reject_code is not None:
                self.rejected += 1
                self._enter(State.REJECTING)
            elif self.note in self.escrow:
                self._enter(State.ESCROW_POSITION)
            else:
                self._enter(State.STACKING)
        elif s in (State.ESCROW_POSITION, State.HOLDING):
            self.countdown += 1
            if self.countdown > self.escrow_timeout_polls:
                self._enter(State.RETURNING)
        elif s == State.STACKING:
            self._stack_now()
            self._enter(State.BILL_STACKED)
        elif s == State.RETURNING:
            self._return_now()
            self._enter(State.BILL_RETURNED)

    def _payload(self) -> bytes:
        if self.fault is not None:
            return self.fault
        s = self.state
        if s in (State.ESCROW_POSITION, State.BILL_STACKED, State.BILL_RETURNED):
            return bytes([s, self.note])
        if s == State.REJECTING:
            return bytes([s, self.reject_code])
        return bytes([s])

    def _after_poll_ack(self) -> None:
        if self.fault is None and self.state in ONE_SHOT:
            self.note = None
            self.reject_code = None
            if self.in_cassette >= self.cassette_capacity:
                self.fault = bytes([State.DROP_CASSETTE_FULL])
            self._enter(self._ready_state())

    # -- the wire ----------------------------------------------------------------------
    def receive(self, data: bytes) -> bytes:
        """Bytes from the host in, the device's answer out (possibly empty)."""
        with self.lock:
            if not self.powered:
                return b""
            frames, _garbage = self.splitter.feed(data)
            return b"".join(self._on_frame(raw) for raw in frames)

    def _send(self, payload: bytes) -> bytes:
        good = frame(payload)
        self.last_sent = good
        return self._wire(good)

    def _wire(self, good: bytes) -> bytes:
        if self.inject:
            return self.inject.popleft()
        if self.corrupt_out:
            self.corrupt_out -= 1
            return good[:-1] + bytes([good[-1] ^ 0x5A])
        return good

    def _on_frame(self, raw: bytes) -> bytes:
        if self.corrupt_in:
            self.corrupt_in -= 1
            raw = raw[:-1] + bytes([raw[-1] ^ 0xA5])
        try:
            f = parse(raw, address=None)
        except FrameError:
            self.bad_frames += 1
            return b"" if self.silent else self._wire(frame(bytes([Cmd.NAK])))
        if f.address != 0x03 or not f.payload or self.silent:
            return b""
        cmd, data = f.payload[0], f.payload[1:]
        self.commands.append(cmd)
        if cmd == Cmd.ACK:
            if self.acks_to_lose:
                self.acks_to_lose -= 1
                return b""
            if self.pending is not None:
                self.pending = None
                self._after_poll_ack()
            return b""
        if cmd == Cmd.NAK:
            return self._wire(self.last_sent) if self.last_sent else b""
        handler = {
            Cmd.POLL: self._poll, Cmd.RESET: self._reset, Cmd.GET_STATUS: self._get_status,
            Cmd.SET_SECURITY: self._set_security, Cmd.ENABLE_BILL_TYPES: self._enable,
            Cmd.STACK: self._stack, Cmd.RETURN: self._return, Cmd.HOLD: self._hold,
            Cmd.IDENTIFICATION: self._identification, Cmd.GET_BILL_TABLE: self._bill_table,
        }.get(cmd)
        if handler is None:
            return self._illegal()
        return handler(data)

    def _ack(self) -> bytes:
        return self._send(bytes([Cmd.ACK]))

    def _illegal(self) -> bytes:
        self.illegal += 1
        return self._send(bytes([ILLEGAL_COMMAND]))

    def _poll(self, _data: bytes) -> bytes:
        if self.pending is not None:
            self.repeats += 1
            return self._send(self.pending)
        if self.scripted:
            payload = self.scripted.popleft()
        elif self.busy_units:
            payload = bytes([State.DEVICE_BUSY, self.busy_units])
            self.busy_units = 0
        else:
            self._tick()
            payload = self._payload()
            self.shown = True
        self.pending = payload
        return self._send(payload)

    def _reset(self, _data: bytes) -> bytes:
        if self.state == State.POWER_UP_BILL_IN_STACKER:
            # The note finishes its way into the cassette: money the host was never told about.
            self._stack_now()
            self.limbo += 1
        elif self.state == State.POWER_UP_BILL_IN_VALIDATOR or (self.note is not None and self.state in IN_UNIT):
            self._return_now()
        reply = self._ack()
        fault = self.fault if self.fault is not None and self.fault[0] != State.PAUSE else None
        self._power_up(State.INITIALIZE)
        self.fault = fault
        return reply

    def _get_status(self, _data: bytes) -> bytes:
        return self._send(mask(self.enabled) + mask(self.security))

    def _set_security(self, data: bytes) -> bytes:
        if len(data) != 3:
            return self._illegal()
        self.security = unmask(data)
        return self._ack()

    def _enable(self, data: bytes) -> bytes:
        if len(data) != 6 or self.state in (State.POWER_UP, State.POWER_UP_BILL_IN_VALIDATOR,
                                            State.POWER_UP_BILL_IN_STACKER):
            return self._illegal()
        self.enabled, self.escrow = unmask(data[:3]), unmask(data[3:])
        if self.state == State.UNIT_DISABLED and self.enabled:
            self._enter(State.IDLING)
        elif self.state == State.IDLING and not self.enabled:
            self._enter(State.UNIT_DISABLED)
        return self._ack()

    def _in_escrow(self) -> bool:
        return self.fault is None and self.state in (State.ESCROW_POSITION, State.HOLDING)

    def _stack(self, _data: bytes) -> bytes:
        if not self._in_escrow():
            return self._illegal()
        self._enter(State.STACKING)
        return self._ack()

    def _return(self, _data: bytes) -> bytes:
        if not self._in_escrow():
            return self._illegal()
        self._enter(State.RETURNING)
        return self._ack()

    def _hold(self, _data: bytes) -> bytes:
        if not self._in_escrow():
            return self._illegal()
        self._enter(State.HOLDING)
        return self._ack()

    def _info_allowed(self) -> bool:
        return self.fault is not None or self.state in INFO_ALLOWED

    def _identification(self, _data: bytes) -> bytes:
        if not self._info_allowed():
            return self._illegal()
        return self._send(build_identification(self.part_number, self.serial_number))

    def _bill_table(self, _data: bytes) -> bytes:
        if not self._info_allowed():
            return self._illegal()
        return self._send(build_bill_table({t: (v, self.currency) for t, v in self.table.items()}))

    # -- scripting ---------------------------------------------------------------------
    def type_for(self, value: int | Decimal) -> int | None:
        for t, v in sorted(self.table.items()):
            if v == Decimal(value):
                return t
        return None

    def insert(self, value: int | Decimal | str, reject: int | None = None) -> None:
        """A customer pushes a note in; `reject` makes the unit refuse it with that code."""
        with self.lock:
            value = Decimal(value)
            self.queue.append((self.type_for(value), value, reject))

    def jam(self, where: str = "validator") -> None:
        with self.lock:
            self.fault = bytes([State.VALIDATOR_JAMMED if where == "validator" else State.DROP_CASSETTE_JAMMED])

    def fail(self, code: int) -> None:
        with self.lock:
            self.fault = bytes([State.GENERIC_FAILURE, code])

    def clear_fault(self) -> None:
        """The technician clears the jam or failure; a note stuck inside goes back to the customer."""
        with self.lock:
            self.fault = None
            if self.note is not None and self.state in IN_UNIT + (State.STACKING,):
                self._return_now()
                self.note = None
            self._enter(State.INITIALIZE)

    def remove_cassette(self) -> None:
        with self.lock:
            if self.note is not None and self.state in IN_UNIT:
                self._return_now()
                self.note = None
                self._enter(self._ready_state())
            self.fault = bytes([State.DROP_CASSETTE_OUT_OF_POSITION])

    def insert_cassette(self) -> None:
        """An empty cassette goes in; the unit re-initialises."""
        with self.lock:
            self.in_cassette = 0
            self.fault = None
            self._enter(State.INITIALIZE)

    def fill_cassette(self) -> None:
        with self.lock:
            self.in_cassette = self.cassette_capacity
            self.fault = bytes([State.DROP_CASSETTE_FULL])

    def power_cut(self, restore: bool = True) -> None:
        """Power goes; when it returns the unit reports the power-up state that matches its note."""
        with self.lock:
            if self.note is not None and self.state == State.STACKING:
                state = State.POWER_UP_BILL_IN_STACKER
            elif self.note is not None and self.state in IN_UNIT:
                state = State.POWER_UP_BILL_IN_VALIDATOR
            else:
                state = State.POWER_UP
            note, fault = self.note, self.fault
            self._power_up(state)
            self.note = note if state != State.POWER_UP else None
            self.fault = fault if fault and fault[0] in (State.DROP_CASSETTE_OUT_OF_POSITION,
                                                         State.DROP_CASSETTE_FULL) else None
            self.splitter = FrameSplitter()
            self.powered = restore

    def power_on(self) -> None:
        with self.lock:
            self.powered = True

    def busy(self, units: int) -> None:
        with self.lock:
            self.busy_units = units

    def script_reply(self, payload: bytes) -> None:
        """The next POLL answers with this payload (a well-framed, possibly unexpected state)."""
        with self.lock:
            self.scripted.append(bytes(payload))

    def inject_bytes(self, raw: bytes) -> None:
        """The next reply on the wire is these bytes, as they are (garbage, a truncated frame)."""
        with self.lock:
            self.inject.append(bytes(raw))

    def corrupt(self, replies: int = 0, commands: int = 0) -> None:
        """Spoil the CRC of the next `replies` frames sent and of the next `commands` frames received."""
        with self.lock:
            self.corrupt_out += replies
            self.corrupt_in += commands

    def lose_acks(self, n: int = 1) -> None:
        """The next `n` ACKs from the host never arrive (a spoilt line or a crash right after the ACK)."""
        with self.lock:
            self.acks_to_lose += n

    def set_silent(self, silent: bool = True) -> None:
        with self.lock:
            self.silent = silent

    def counts(self) -> dict:
        with self.lock:
            by_value = Counter({f"{v.normalize():f}": n for v, n in self.stacked.items()})
            return {"stacked": sum(self.stacked.values()),
                    "stacked_amount": f"{sum((v * n for v, n in self.stacked.items()), Decimal(0)):.2f}",
                    "by_value": dict(by_value),
                    "returned": sum(self.returned.values()),
                    "rejected": self.rejected, "limbo": self.limbo, "in_cassette": self.in_cassette,
                    "state": f"0x{self._payload()[0]:02x}", "repeats": self.repeats,
                    "bad_frames": self.bad_frames, "illegal": self.illegal}
