"""An ESC/POS printer in software: takes the bytes, renders text, answers DLE EOT from a script.

python-escpos's Dummy answers a status query with the last byte written, so it cannot say "paper
out"; this one keeps every byte it got (`raw`), the lines it printed with their style, and the
documents cut so far, and its paper, cover and error state can be set by a test.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

# Code-table numbers (ESC t n) this simulated model knows, with the codec that renders them.
CODE_TABLES = {0: "cp437", 17: "cp866", 23: "cp866", 46: "cp1251"}


@dataclass
class PrintedLine:
    text: str
    bold: bool = False
    double: bool = False
    align: int = 0


class PrinterSimulator:
    kind = "printer"

    def __init__(self, *, paper: str = "ok", code_tables: dict[int, str] | None = None):
        self.lock = threading.RLock()
        self.code_tables = dict(code_tables or CODE_TABLES)
        self.paper = paper  # ok / near_end / out
        self.cover_open = False
        self.offline = False
        self.cutter_error = False
        self.unrecoverable = False
        self.silent = False
        self.paper_left: int | None = None  # printable bytes until the roll ends (None: endless)
        self.raw = bytearray()
        self.lines: list[PrintedLine] = []
        self.documents: list[list[PrintedLine]] = []
        self.lost_bytes = 0
        self.status_queries = 0
        self._pending = bytearray()
        self._line = bytearray()
        self._document_start = 0
        self._reset_modes()

    def _reset_modes(self) -> None:
        self.table = 0
        self.bold = False
        self.double = False
        self.align = 0

    # -- status ------------------------------------------------------------------------
    def _stopped(self) -> bool:
        return self.paper == "out" or self.cover_open or self.offline or self.cutter_error or self.unrecoverable

    def status_byte(self, n: int) -> int:
        b = 0x12
        if n == 1 and self._stopped():
            b |= 0x08
        elif n == 2:
            b |= (0x04 if self.cover_open else 0) | (0x20 if self.paper == "out" else 0) | \
                (0x40 if self.cutter_error or self.unrecoverable else 0)
        elif n == 3:
            b |= (0x08 if self.cutter_error else 0) | (0x20 if self.unrecoverable else 0)
        elif n == 4:
            b |= {"ok": 0, "near_end": 0x0C, "out": 0x6C}[self.paper]
        return b

    def set_status(self, *, paper: str | None = None, cover_open: bool | None = None,
                   offline: bool | None = None, cutter_error: bool | None = None,
                   unrecoverable: bool | None = None, silent: bool | None = None,
                   paper_left: int | None = -1) -> None:
        with self.lock:
            for name, value in (("paper", paper), ("cover_open", cover_open), ("offline", offline),
                                ("cutter_error", cutter_error), ("unrecoverable", unrecoverable),
                                ("silent", silent)):
                if value is not None:
                    setattr(self, name, value)
            if paper_left != -1:
                self.paper_left = paper_left

    # -- the byte stream ---------------------------------------------------------------
    def receive(self, data: bytes) -> bytes:
        with self.lock:
            self.raw += data
            self._pending += data
            return self._run()

    def _run(self) -> bytes:
        out = bytearray()
        buf = self._pending
        while buf:
            b = buf[0]
            need = 1
            if b == 0x10:
                need = 3
                if len(buf) < need:
                    break
                if buf[1] == 0x04:
                    self.status_queries += 1
                    if not self.silent:
                        out.append(self.status_byte(buf[2]))
            elif b == 0x1B:
                if len(buf) < 2:
                    break
                need = 2 if buf[1] == 0x40 else 3
                if len(buf) < need:
                    break
                self._esc(buf[1], buf[2] if need == 3 else 0)
            elif b == 0x1D:
                if len(buf) < 3:
                    break
                need = 4 if buf[1] == 0x56 and buf[2] in (65, 66) else 3
                if len(buf) < need:
                    break
                self._gs(buf[1], buf[2])
            elif b == 0x0A:
                self._newline()
            elif b >= 0x20:
                self._printable(b)
            del buf[:need]
        return bytes(out)

    def _printable(self, b: int) -> None:
        if self._stopped():
            self.lost_bytes += 1
            return
        if self.paper_left is not None:
            if self.paper_left <= 0:
                self.paper = "out"
                self.lost_bytes += 1
                return
            self.paper_left -= 1
        self._line.append(b)

    def _esc(self, cmd: int, arg: int) -> None:
        if cmd == 0x40:
            self._reset_modes()
        elif cmd == 0x74:
            self.table = arg
        elif cmd == 0x45:
            self.bold = bool(arg & 1)
        elif cmd == 0x21:
            self.bold = bool(arg & 0x08)
            self.double = bool(arg & 0x30)
        elif cmd == 0x61:
            self.align = arg % 48 if arg >= 48 else arg
        elif cmd == 0x64:
            for _ in range(arg):
                self._newline()

    def _gs(self, cmd: int, arg: int) -> None:
        if cmd == 0x21:
            self.double = bool(arg)
        elif cmd == 0x56:
            self._newline(force=False)
            if not self._stopped():
                self.documents.append(self._document)
            self._document_start = len(self.lines)

    @property
    def _document(self) -> list[PrintedLine]:
        return self.lines[self._document_start:]

    def _newline(self, force: bool = True) -> None:
        if not self._line and not force:
            return
        if self._stopped() and not self._line:
            return
        codec = self.code_tables.get(self.table, "cp437")
        self.lines.append(PrintedLine(self._line.decode(codec, "replace"), self.bold, self.double, self.align))
        self._line.clear()

    # -- reading back ------------------------------------------------------------------
    def text(self) -> str:
        with self.lock:
            return "\n".join(line.text for line in self.lines)

    def last_document(self) -> str:
        with self.lock:
            return "\n".join(line.text for line in self.documents[-1]) if self.documents else ""

    def counts(self) -> dict:
        with self.lock:
            return {"documents": len(self.documents), "lines": len(self.lines), "bytes": len(self.raw),
                    "lost_bytes": self.lost_bytes, "paper": self.paper, "status_queries": self.status_queries}
