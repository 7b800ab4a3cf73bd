"""ESC/POS receipt printer: a thin layer over a pyserial port, with DLE EOT status around each print.

Not python-escpos: its Serial class opens serial.Serial(port=...) (no socket:// or kitsim:// URLs),
its code-page handling goes through capability profiles that are wrong on many clone printers, and
it brings image and QR dependencies a text cheque does not need. The dozen commands used here are
written out below.
"""

from __future__ import annotations

import logging
import textwrap
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import serial

from .port import open_port

log = logging.getLogger("kiosk.devices.escpos")

ESC, GS, DLE, EOT, LF = 0x1B, 0x1D, 0x10, 0x04, 0x0A
INIT = bytes([ESC, 0x40])
# Epson numbering: 17 is PC866 (Cyrillic #2), 46 WPC1251. Other makers number their tables
# differently (Custom: 23 for 866), so the number is a setting next to the Python codec.
CODEPAGES = {"cp866": 17, "cp1251": 46, "cp437": 0}
ALIGN = {"left": 0, "center": 1, "right": 2}
# Typography the printer's tables lack, in plain characters they all have.
PLAIN = str.maketrans({"—": "-", "–": "-", "«": '"', "»": '"', "“": '"', "”": '"', "₽": "руб.", "\u00a0": " "})


def select_codepage(n: int) -> bytes:
    return bytes([ESC, 0x74, n])


def bold(on: bool) -> bytes:
    return bytes([ESC, 0x45, 1 if on else 0])


def size(double: bool) -> bytes:
    return bytes([GS, 0x21, 0x11 if double else 0x00])


def align(where: str) -> bytes:
    return bytes([ESC, 0x61, ALIGN[where]])


def feed_and_cut(full: bool = False, feed: int = 4) -> bytes:
    """GS V 65/66 n: feed n lines then cut (full or partial)."""
    return bytes([GS, 0x56, 65 if full else 66, feed])


def dle_eot(n: int) -> bytes:
    return bytes([DLE, EOT, n])


# -- status ------------------------------------------------------------------------------
def valid_status_byte(b: int) -> bool:
    """Every DLE EOT answer has the pattern 0xx1xx10: bit 7 clear, bit 4 set, bit 1 set, bit 0 clear."""
    return b & 0x93 == 0x12


@dataclass(frozen=True)
class PrinterStatus:
    """The four DLE EOT answers decoded. `raw` is the four bytes as read (empty when it did not answer)."""

    answered: bool = True
    offline: bool = False
    waiting_recovery: bool = False
    feed_pressed: bool = False
    cover_open: bool = False
    paper_fed_by_button: bool = False
    paper_end_stop: bool = False
    error: bool = False
    recoverable_error: bool = False
    cutter_error: bool = False
    unrecoverable_error: bool = False
    auto_recoverable_error: bool = False
    paper: str = "ok"  # ok / near_end / out
    raw: bytes = field(default=b"", compare=False)

    @property
    def ready(self) -> bool:
        return not self.problems()

    def problems(self) -> list[str]:
        """Stable codes of what stops printing now (paper near end is a warning, not a problem)."""
        if not self.answered:
            return ["no_answer"]
        out = []
        if self.paper == "out" or self.paper_end_stop:
            out.append("paper_out")
        if self.cover_open:
            out.append("cover_open")
        if self.cutter_error:
            out.append("cutter_error")
        if self.unrecoverable_error:
            out.append("unrecoverable_error")
        if self.recoverable_error or self.auto_recoverable_error or self.error:
            out.append("error")
        if self.offline and not out:
            out.append("offline")
        return out

    def summary(self) -> str:
        return ", ".join(self.problems()) or ("paper near end" if self.paper == "near_end" else "ok")


def decode_status(printer: int, offline: int, error: int, paper: int) -> PrinterStatus:
    """DLE EOT 1 (printer), 2 (offline cause), 3 (error cause), 4 (roll paper) bytes -> PrinterStatus."""
    for b in (printer, offline, error, paper):
        if not valid_status_byte(b):
            raise ValueError(f"0x{b:02X} is not a DLE EOT status byte")
    if paper & 0x60:
        paper_state = "out"
    elif paper & 0x0C:
        paper_state = "near_end"
    else:
        paper_state = "ok"
    return PrinterStatus(
        offline=bool(printer & 0x08), waiting_recovery=bool(printer & 0x20), feed_pressed=bool(printer & 0x40),
        cover_open=bool(offline & 0x04), paper_fed_by_button=bool(offline & 0x08),
        paper_end_stop=bool(offline & 0x20), error=bool(offline & 0x40),
        recoverable_error=bool(error & 0x04), cutter_error=bool(error & 0x08),
        unrecoverable_error=bool(error & 0x20), auto_recoverable_error=bool(error & 0x40),
        paper=paper_state, raw=bytes([printer, offline, error, paper]))


NO_ANSWER = PrinterStatus(answered=False)


# -- slips -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    text: str = ""
    bold: bool = False
    double: bool = False
    align: str = "left"


def render(lines: list[Line], *, encoding: str = "cp866", codepage: int | None = None,
           width: int = 42, full_cut: bool = False) -> list[bytes]:
    """The slip as ESC/POS byte chunks: [set-up, one chunk per printed line..., feed and cut]."""
    n = CODEPAGES.get(encoding, 17) if codepage is None else codepage
    chunks = [INIT + select_codepage(n)]
    for line in lines:
        room = width // 2 if line.double else width
        wrapped = textwrap.wrap(line.text, room, break_on_hyphens=False) or [""]
        for part in wrapped:
            text = "".join(ch for ch in part.translate(PLAIN) if ch >= " ")
            chunks.append(align(line.align) + bold(line.bold) + size(line.double)
                          + text.encode(encoding, "replace") + bytes([LF]))
    chunks.append(bold(False) + size(False) + align("left") + feed_and_cut(full_cut))
    return chunks


# -- the printer -------------------------------------------------------------------------
class PrinterError(Exception):
    def __init__(self, message: str, status: PrinterStatus = NO_ANSWER, sent: int = 0):
        super().__init__(f"{message} ({status.summary()})")
        self.status = status
        self.sent = sent


class PrinterNotReady(PrinterError):
    """Status before printing says no: nothing was sent."""


class PrintFailed(PrinterError):
    """Printing started and did not finish: the cheque must be taken as not printed."""


@dataclass(frozen=True)
class PrintResult:
    before: PrinterStatus
    after: PrinterStatus
    sent: int


class ReceiptPrinter(ABC):
    @abstractmethod
    def status(self) -> PrinterStatus: ...

    @abstractmethod
    def print_lines(self, lines: list[Line]) -> PrintResult:
        """Print a slip; PrinterNotReady before anything is sent, PrintFailed if it stopped mid-way."""

    @abstractmethod
    def close(self) -> None: ...


class EscPosPrinter(ReceiptPrinter):
    def __init__(self, port: str | serial.SerialBase, *, encoding: str = "cp866", codepage: int | None = None,
                 width: int = 42, baudrate: int = 19200, timeout: float = 0.5, check_every: int = 4,
                 full_cut: bool = False):
        self.port = open_port(port, baudrate=baudrate, timeout=timeout, write_timeout=max(timeout, 2.0)) \
            if isinstance(port, str) else port
        self.encoding = encoding
        self.codepage = CODEPAGES.get(encoding, 17) if codepage is None else codepage
        self.width = width
        self.timeout = timeout
        self.check_every = check_every
        self.full_cut = full_cut

    def _query(self, n: int) -> int | None:
        try:
            self.port.reset_input_buffer()
            self.port.write(dle_eot(n))
            self.port.flush()
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                self.port.timeout = max(deadline - time.monotonic(), 0.001)
                b = self.port.read(1)
                if not b:
                    break
                if valid_status_byte(b[0]):
                    return b[0]
                log.warning("escpos: DLE EOT %d answered with a non-status byte %02x", n, b[0])
        except (serial.SerialException, OSError) as exc:
            log.warning("escpos: status query failed: %s", exc)
        return None

    def status(self) -> PrinterStatus:
        raw = [self._query(n) for n in (1, 2, 3, 4)]
        if any(b is None for b in raw):
            log.warning("escpos: printer did not answer DLE EOT: %s", raw)
            return NO_ANSWER
        return decode_status(*raw)

    def _write(self, data: bytes) -> None:
        self.port.write(data)
        self.port.flush()

    def print_lines(self, lines: list[Line]) -> PrintResult:
        before = self.status()
        if not before.ready:
            raise PrinterNotReady("printer not ready", before)
        chunks = render(lines, encoding=self.encoding, codepage=self.codepage, width=self.width,
                        full_cut=self.full_cut)
        sent = 0
        for i, chunk in enumerate(chunks):
            try:
                self._write(chunk)
            except (serial.SerialException, OSError) as exc:
                log.error("escpos: write failed after %d bytes: %s", sent, exc)
                raise PrintFailed(f"write failed: {exc}", self.status(), sent) from exc
            sent += len(chunk)
            if self.check_every and i and i % self.check_every == 0 and i < len(chunks) - 1:
                mid = self.status()
                if not mid.ready:
                    log.error("escpos: printing stopped after %d bytes: %s", sent, mid.summary())
                    raise PrintFailed("printing stopped", mid, sent)
        after = self.status()
        if not after.ready:
            log.error("escpos: status after printing: %s", after.summary())
            raise PrintFailed("status after printing", after, sent)
        return PrintResult(before=before, after=after, sent=sent)

    def close(self) -> None:
        try:
            self.port.close()
        except (serial.SerialException, OSError):
            pass
