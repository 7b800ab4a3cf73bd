"""Kiosk log bundles: what the kiosk posts (POST /logs, for a `collect_logs` command or on its own), kept
gzip-compressed, the newest KIT_TERMINAL_LOGS_KEEP per terminal.

On the wire the text is base64 of one gzip stream of UTF-8 text (decode_log checks all of it, with the
decompressed size bounded by KIT_TERMINAL_LOGS_MAX_BYTES before it is ever held whole). The kiosk's id is
the idempotency key: the same content again answers the first row, other content under it is a conflict.
"""

import base64
import binascii
import gzip
import hashlib
import json
import logging
import re
import uuid
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from .models import Terminal, TerminalCommand, TerminalLog

log = logging.getLogger(__name__)

# What a log text may not hold: control characters other than tab, line feed and carriage return.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# The reasons decode_log refuses a log, as the API names them in `fields.log` (stable: the
# Schemathesis test lists the ones the schema can only give in words).
NOT_BASE64 = "not base64 (A-Z a-z 0-9 + /, padded with = to a multiple of 4)"
NOT_GZIP = "not a gzip stream (base64 of gzip-compressed UTF-8 text)"
CUT_SHORT = "the gzip stream is cut short"
TRAILING = "data after the end of the gzip stream"
NOT_UTF8 = "the text is not UTF-8"
CONTROL_CHARS = "the text holds control characters (only tab, line feed and carriage return are allowed)"
WORDED = (NOT_GZIP, CUT_SHORT, TRAILING, NOT_UTF8, CONTROL_CHARS)


class LogInvalid(ValueError):
    """The log is not base64 of one gzip stream of clean UTF-8 text; the message says which (one of WORDED)."""


class LogTooLarge(ValueError):
    """The log's text is over the limit once decompressed."""


class LogConflict(Exception):
    """The kiosk's id was used for a log bundle with other content."""


def decode_log(value: str, *, limit: int) -> tuple[str, bytes]:
    """(text, the gzip bytes) of a posted log; LogInvalid or LogTooLarge.

    Never decompresses more than limit + 1 bytes, so a small body that inflates to gigabytes costs nothing.
    """
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise LogInvalid(NOT_BASE64) from None
    if not raw:
        raise LogInvalid(NOT_GZIP)
    inflate = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer, checked (CRC-32, size)
    try:
        data = inflate.decompress(raw, limit + 1)
    except zlib.error:
        raise LogInvalid(NOT_GZIP) from None
    if len(data) > limit:
        raise LogTooLarge(f"over {limit} bytes of text once decompressed")
    if not inflate.eof:
        raise LogInvalid(CUT_SHORT)
    if inflate.unused_data:
        raise LogInvalid(TRAILING)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LogInvalid(NOT_UTF8) from None
    if CONTROL.search(text):
        raise LogInvalid(CONTROL_CHARS)
    return text, raw


def encode_log(text: str) -> str:
    """The wire form of `text` (what the kiosk sends): base64 of its gzip."""
    return base64.b64encode(gzip.compress(text.encode("utf-8"), mtime=0)).decode("ascii")


@dataclass(frozen=True)
class LogBundle:
    """A posted log bundle, checked."""

    kiosk_id: uuid.UUID
    command_id: int | None
    truncated: bool
    text: str
    gzip: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def content_hash(self) -> str:
        """Of the content, not of its compression: the same text compressed otherwise is the same body."""
        doc = {"id": str(self.kiosk_id), "command": self.command_id, "truncated": self.truncated,
               "sha256": self.sha256}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _lines(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def log_record(*, terminal: Terminal, bundle: LogBundle) -> tuple[TerminalLog, bool]:
    """Record the bundle once per kiosk id; returns (row, created). LogConflict for other content under an id.

    A command id that is not one of this terminal's `collect_logs` commands is not linked (logged):
    the log is kept all the same. The terminal's bundles beyond the newest KIT_TERMINAL_LOGS_KEEP go.
    """
    digest = bundle.content_hash()
    command = None
    if bundle.command_id is not None:
        command = TerminalCommand.objects.filter(pk=bundle.command_id, terminal=terminal,
                                                 kind=TerminalCommand.Kind.COLLECT_LOGS).first()
        if command is None:
            log.warning("terminal %s: logs for command %s, which is not its collect_logs command (kept unlinked)",
                        terminal.number, bundle.command_id)
    try:
        with transaction.atomic():
            row = TerminalLog.objects.create(
                terminal=terminal, command=command, kiosk_id=bundle.kiosk_id, size=len(bundle.text.encode("utf-8")),
                lines=_lines(bundle.text), truncated=bundle.truncated, sha256=bundle.sha256, content_hash=digest,
                gzip=bundle.gzip)
            pruned = logs_prune(terminal_id=terminal.pk)
    except IntegrityError:
        row = TerminalLog.objects.filter(terminal=terminal, kiosk_id=bundle.kiosk_id).first()
        if row is None:  # pragma: no cover - an integrity error of another kind
            raise
        if row.content_hash != digest:
            raise LogConflict(str(bundle.kiosk_id)) from None
        return row, False
    log.info("terminal %s: log bundle %s, %s bytes, %s lines%s; %s old bundle(s) pruned", terminal.number,
             row.kiosk_id, row.size, row.lines, f", command {command.pk}" if command else "", pruned)
    return row, True


def logs_prune(*, terminal_id: int) -> int:
    """Delete the terminal's bundles beyond the newest KIT_TERMINAL_LOGS_KEEP; returns how many went."""
    keep = list(TerminalLog.objects.filter(terminal_id=terminal_id).order_by("-id")
                .values_list("id", flat=True)[:max(1, settings.KIT_TERMINAL_LOGS_KEEP)])
    deleted, _ = TerminalLog.objects.filter(terminal_id=terminal_id).exclude(id__in=keep).delete()
    return deleted


def log_text(row: TerminalLog) -> str:
    """The bundle's text (as the kiosk sent it: already checked to be clean UTF-8)."""
    return gzip.decompress(bytes(row.gzip)).decode("utf-8")
