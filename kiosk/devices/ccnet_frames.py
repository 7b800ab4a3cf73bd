"""CCNET on the wire: CRC-16/KERMIT, frames, command and state codes, bill table and identification.

Pure bytes, no I/O: the driver (ccnet.py) and the simulator (sim/ccnet.py) share it, so a frame the
driver builds is parsed by the same code the simulator uses and the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum

SYNC = 0x02
ADDRESS_VALIDATOR = 0x03
SHORT_MAX = 250  # LNG is one byte up to 250; a longer frame has LNG 0 and a 2-byte length after it


class Cmd(IntEnum):
    ACK = 0x00
    NAK = 0xFF
    RESET = 0x30
    GET_STATUS = 0x31
    SET_SECURITY = 0x32
    POLL = 0x33
    ENABLE_BILL_TYPES = 0x34
    STACK = 0x35
    RETURN = 0x36
    IDENTIFICATION = 0x37
    HOLD = 0x38
    GET_BILL_TABLE = 0x41


ILLEGAL_COMMAND = 0x30  # the device's reply byte; same value as RESET, the direction tells them apart


class State(IntEnum):
    POWER_UP = 0x10
    POWER_UP_BILL_IN_VALIDATOR = 0x11
    POWER_UP_BILL_IN_STACKER = 0x12
    INITIALIZE = 0x13
    IDLING = 0x14
    ACCEPTING = 0x15
    STACKING = 0x17
    RETURNING = 0x18
    UNIT_DISABLED = 0x19
    HOLDING = 0x1A
    DEVICE_BUSY = 0x1B
    REJECTING = 0x1C
    DROP_CASSETTE_FULL = 0x41
    DROP_CASSETTE_OUT_OF_POSITION = 0x42
    VALIDATOR_JAMMED = 0x43
    DROP_CASSETTE_JAMMED = 0x44
    CHEATED = 0x45
    PAUSE = 0x46
    GENERIC_FAILURE = 0x47
    ESCROW_POSITION = 0x80
    BILL_STACKED = 0x81
    BILL_RETURNED = 0x82


# States whose POLL reply carries a second byte (busy time, reject/failure code, bill type).
STATES_WITH_DATA = frozenset({State.DEVICE_BUSY, State.REJECTING, State.GENERIC_FAILURE,
                              State.ESCROW_POSITION, State.BILL_STACKED, State.BILL_RETURNED})


class RejectCode(IntEnum):
    INSERTION = 0x60
    MAGNETIC = 0x61
    REMAINED_IN_HEAD = 0x62
    MULTIPLYING = 0x63
    CONVEYING = 0x64
    IDENTIFICATION = 0x65
    VERIFICATION = 0x66
    OPTIC = 0x67
    INHIBIT = 0x68
    CAPACITANCE = 0x69
    OPERATION = 0x6A
    LENGTH = 0x6C
    UV = 0x6D
    BARCODE_UNRECOGNISED = 0x92
    BARCODE_WRONG_LENGTH = 0x93
    BARCODE_UNKNOWN_START = 0x94
    BARCODE_UNKNOWN_STOP = 0x95


class FailureCode(IntEnum):
    STACK_MOTOR = 0x50
    TRANSPORT_MOTOR_SPEED = 0x51
    TRANSPORT_MOTOR = 0x52
    ALIGNING_MOTOR = 0x53
    INITIAL_CASSETTE_STATUS = 0x54
    OPTIC_CANAL = 0x55
    MAGNETIC_CANAL = 0x56
    CAPACITANCE_CANAL = 0x5F


def crc16(data: bytes) -> int:
    """CRC-16/KERMIT: reflected polynomial 0x8408, initial value 0, no final XOR."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def frame(payload: bytes, address: int = ADDRESS_VALIDATOR) -> bytes:
    """A whole frame around `payload` (command + data, or reply data), CRC low byte first."""
    total = len(payload) + 5
    if total <= SHORT_MAX:
        head = bytes([SYNC, address, total])
    else:
        # Long form: LNG 0, then the total length big-endian (it counts the two extra bytes too).
        total += 2
        head = bytes([SYNC, address, 0]) + total.to_bytes(2, "big")
    body = head + payload
    return body + crc16(body).to_bytes(2, "little")


def command(cmd: int, data: bytes = b"", address: int = ADDRESS_VALIDATOR) -> bytes:
    return frame(bytes([cmd]) + data, address)


class FrameError(Exception):
    """A frame that cannot be taken: wrong CRC, impossible length, wrong address. `raw` holds its bytes."""

    def __init__(self, reason: str, raw: bytes):
        super().__init__(f"{reason}: {raw.hex(' ')}")
        self.reason = reason
        self.raw = bytes(raw)


@dataclass(frozen=True)
class Frame:
    address: int
    payload: bytes
    raw: bytes


def frame_length(head: bytes) -> int | None:
    """Total frame length from its first bytes (3, or 5 for the long form); None if more are needed."""
    if len(head) < 3:
        return None
    if head[2] != 0:
        return head[2]
    if len(head) < 5:
        return None
    return int.from_bytes(head[3:5], "big")


def parse(raw: bytes, address: int | None = ADDRESS_VALIDATOR) -> Frame:
    """Check one complete frame and return its payload; FrameError otherwise."""
    if len(raw) < 6 or raw[0] != SYNC:
        raise FrameError("too short or no SYNC", raw)
    total = frame_length(raw)
    if total is None or total < 6 or total != len(raw):
        raise FrameError("length byte disagrees with the frame", raw)
    if crc16(raw[:-2]) != int.from_bytes(raw[-2:], "little"):
        raise FrameError("bad CRC", raw)
    if address is not None and raw[1] != address:
        raise FrameError(f"address 0x{raw[1]:02X} is not 0x{address:02X}", raw)
    start = 5 if raw[2] == 0 else 3
    return Frame(address=raw[1], payload=bytes(raw[start:-2]), raw=bytes(raw))


class FrameSplitter:
    """Cuts a byte stream into frames: bytes before SYNC are garbage, a frame is taken once complete."""

    def __init__(self):
        self.buffer = bytearray()

    def feed(self, data: bytes) -> tuple[list[bytes], bytes]:
        """Add `data`; return (complete frames, garbage skipped)."""
        self.buffer += data
        frames: list[bytes] = []
        garbage = bytearray()
        while self.buffer:
            if self.buffer[0] != SYNC:
                garbage.append(self.buffer.pop(0))
                continue
            total = frame_length(bytes(self.buffer[:5]))
            if total is None:
                break
            if total < 6 or total > 0xFFFF:
                garbage.append(self.buffer.pop(0))
                continue
            if len(self.buffer) < total:
                break
            frames.append(bytes(self.buffer[:total]))
            del self.buffer[:total]
        return frames, bytes(garbage)

    def pending(self) -> bytes:
        return bytes(self.buffer)


# -- masks -------------------------------------------------------------------------------
def mask(bill_types) -> bytes:
    """3-byte mask, most significant byte first: byte 1 bit 7 is type 23, byte 3 bit 0 is type 0."""
    value = 0
    for t in bill_types:
        if not 0 <= t <= 23:
            raise ValueError(f"bill type {t} is outside 0..23")
        value |= 1 << t
    return value.to_bytes(3, "big")


def unmask(data: bytes) -> frozenset[int]:
    value = int.from_bytes(data[:3], "big")
    return frozenset(t for t in range(24) if value >> t & 1)


# -- bill table --------------------------------------------------------------------------
@dataclass(frozen=True)
class Note:
    """One bill type of the validator's table: position, face value and ISO-like country code."""

    bill_type: int
    value: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.value.normalize():f} {self.currency}"


def parse_bill_record(bill_type: int, record: bytes) -> Note | None:
    """Five bytes: leading digits, 3 ASCII country letters, exponent (bit 7 set: negative). None if empty."""
    if len(record) != 5:
        raise ValueError("a bill-table record is 5 bytes")
    if record[1:4] == b"\x00\x00\x00" or record[0] == 0:
        return None
    exponent = record[4] & 0x7F
    if record[4] & 0x80:
        exponent = -exponent
    value = Decimal(record[0]) * Decimal(10) ** exponent
    country = record[1:4].decode("ascii", "replace")
    return Note(bill_type=bill_type, value=value, currency=country)


def parse_bill_table(data: bytes) -> dict[int, Note]:
    """GET BILL TABLE reply (24 records of 5 bytes) -> {bill type: Note} for the filled slots."""
    if len(data) % 5 or not data:
        raise ValueError(f"a bill table is a multiple of 5 bytes, got {len(data)}")
    table = {}
    for t in range(len(data) // 5):
        note = parse_bill_record(t, data[5 * t:5 * t + 5])
        if note is not None:
            table[t] = note
    return table


def bill_record(value: Decimal | int, currency: str) -> bytes:
    """The 5-byte record for a face value (the simulator writes its table with this)."""
    value = Decimal(value)
    exponent = 0
    while value != value.to_integral_value():
        value *= 10
        exponent -= 1
    while value >= 10 and value % 10 == 0:
        value /= 10
        exponent += 1
    if value > 255:
        raise ValueError(f"{value} cannot be written as one byte x 10^n")
    exp_byte = exponent if exponent >= 0 else 0x80 | -exponent
    return bytes([int(value)]) + currency.encode("ascii")[:3] + bytes([exp_byte])


def build_bill_table(notes: dict[int, tuple[Decimal | int, str]]) -> bytes:
    out = bytearray(120)
    for t, (value, currency) in notes.items():
        out[5 * t:5 * t + 5] = bill_record(value, currency)
    return bytes(out)


# -- identification ----------------------------------------------------------------------
@dataclass(frozen=True)
class Identification:
    part_number: str
    serial_number: str
    asset_number: bytes


def parse_identification(data: bytes) -> Identification:
    """34 bytes: part number 15 ASCII, serial number 12 ASCII, asset number 7 binary."""
    if len(data) < 27:
        raise ValueError(f"identification is 34 bytes, got {len(data)}")
    return Identification(part_number=data[:15].decode("ascii", "replace").strip(" \x00"),
                          serial_number=data[15:27].decode("ascii", "replace").strip(" \x00"),
                          asset_number=bytes(data[27:34]))


def build_identification(part: str, serial: str, asset: bytes = b"\x00" * 7) -> bytes:
    return part.encode("ascii")[:15].ljust(15, b" ") + serial.encode("ascii")[:12].ljust(12, b" ") + \
        asset[:7].ljust(7, b"\x00")
