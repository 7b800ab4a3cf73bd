"""The kiosk's own log: a rotating file (data_dir/logs/kiosk.log by default), every record masked of secrets
before it is written, and its tail sent to the server for a `collect_logs` command (POST /logs).

The log should never hold a secret in the first place (the private key, the service PIN, an enrollment
code, a signature); the masking is the second line of defence, applied again to what is sent (the file
may have been written by an older version, or by hand).
"""

from __future__ import annotations

import base64
import gzip
import logging
import logging.handlers
import re
import uuid
from pathlib import Path

log = logging.getLogger(__name__)

# What is sent when the command carries no limit (the server's default, KIT_TERMINAL_LOGS_MAX_BYTES).
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
# The base64 sent stays below the server's 2.5 MB body limit (DATA_UPLOAD_MAX_MEMORY_SIZE) with room for the rest.
WIRE_MAX = 2_400_000
FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"

MASK = "***"
# Names whose value is a secret: `pin=1234`, `"password": "x"`, `X-KIT-Signature: abc`, `service_pin_hash = "…"`.
_SECRET_NAME = (r"(?:[A-Za-z0-9]+[_-])*(?:pin|password|passwd|passphrase|secret|token|api[_-]?key|private[_-]?key"
                r"|signature|authorization|cookie|session(?:id)?|otp)(?:[_-][A-Za-z0-9]+)*")
_NAMED = re.compile(r"(?i)(?<![A-Za-z0-9_-])(" + _SECRET_NAME + r")(['\"]?\s*[:=]\s*(?:Bearer\s+)?['\"]?)"
                    r"([^\s'\",;&}\]]+)")
# "PIN 1234", "pin: 1234" in prose.
_PIN_WORDS = re.compile(r"(?i)\b(pin(?:\s+code)?\s*:?\s+)(\d{4,12})\b")
# Words (lower case) of a line that may hold one of the two above: the costly patterns run only on those.
_HINTS = ("pin", "pass", "secret", "token", "key", "signature", "authoriz", "cookie", "session", "otp")
# A PEM block (a private key written out by mistake), whole or cut off at the end of the text.
_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.*?(?:-----END \1-----|\Z)", re.S)
# A one-time enrollment code as the dealer gets it: 1234-5678-9012 (not inside a longer number: see _code).
_ENROLL_CODE = re.compile(r"\d{4}[- ]\d{4}[- ]\d{4}(?![0-9-])")
# A long base64 token with both cases (a key, a signature; see _token); hex hashes and paths are left alone.
_TOKEN = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")
# Control characters the server refuses in a log (tab, line feed and carriage return stay).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# These two start with a character class, not a look-behind, so the regex engine skips ahead fast; what
# precedes a match is checked in _code / _token instead (4 MiB of log is masked in about 0.3 s, not 1.5 s).


def _code(m: re.Match) -> str:
    before = m.string[m.start() - 1] if m.start() else ""
    return m.group(0) if before.isdigit() or before == "-" else "****-****-****"


def _token(m: re.Match) -> str:
    value = m.group(0)
    before = m.string[m.start() - 1] if m.start() else ""
    if before.isalnum() or before in "+/" or value.lower() == value or value.upper() == value:
        return value
    return MASK


def mask(text: str) -> str:
    """The text with anything that looks like a secret replaced by ***."""
    text = _PEM.sub(lambda m: f"-----BEGIN {m.group(1)}----- {MASK}", text)
    low = text.lower()
    if any(word in low for word in _HINTS):
        lines = text.splitlines(keepends=True)
        for n, line in enumerate(lines):
            low = line.lower()
            if any(word in low for word in _HINTS):
                line = _NAMED.sub(lambda m: m.group(1) + m.group(2) + MASK, line)
                lines[n] = _PIN_WORDS.sub(lambda m: m.group(1) + MASK, line)
        text = "".join(lines)
    return _TOKEN.sub(_token, _ENROLL_CODE.sub(_code, text))


def clean(text: str) -> str:
    """Control characters (an escape sequence from a device, a NUL) as `?`: the server takes none of them."""
    return _CONTROL.sub("?", text)


class MaskingFormatter(logging.Formatter):
    """Formats as usual, then masks secrets and control characters out of the whole record (traceback too)."""

    def format(self, record: logging.LogRecord) -> str:
        return clean(mask(super().format(record)))


def file_handler(path: Path, *, max_bytes: int, backups: int) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(MaskingFormatter(FORMAT))
    handler.set_name("kiosk-file")
    return handler


def log_to_file(cfg) -> logging.Handler:
    """Add the rotating log file of `cfg` to the root logger (once per process); returns its handler."""
    root = logging.getLogger()
    for handler in root.handlers:
        if handler.get_name() == "kiosk-file":
            return handler
    handler = file_handler(cfg.log_file, max_bytes=cfg.log_max_bytes, backups=cfg.log_backups)
    root.addHandler(handler)
    return handler


def log_files(path: Path, backups: int) -> list[Path]:
    """The log file and its rotated copies, oldest first (kiosk.log.3, .2, .1, kiosk.log)."""
    return [path.with_name(f"{path.name}.{n}") for n in range(backups, 0, -1)] + [path]


def tail(paths: list[Path], limit: int) -> tuple[bytes, bool]:
    """The last `limit` bytes of the files joined (oldest first), cut to whole lines; and whether older
    lines were left out."""
    chunks: list[bytes] = []
    need, truncated, cut = limit, False, False
    for path in reversed(paths):
        try:
            size = path.stat().st_size
        except OSError:
            continue
        if need <= 0:
            if size > 0:
                truncated = True
                break
            continue
        try:
            with path.open("rb") as f:
                if size > need:
                    # One byte more: a line feed there means the kept part starts with a whole line.
                    f.seek(size - need - 1)
                    data = f.read(need + 1)
                    cut, data, truncated = data[:1] != b"\n", data[1:], True
                else:
                    data = f.read(need)
        except OSError as exc:
            log.warning("logs: %s not read: %s", path, exc)
            continue
        chunks.append(data)
        need -= len(data)
        if cut:
            break
    raw = b"".join(reversed(chunks))
    if cut and b"\n" in raw[:-1]:
        raw = raw[raw.index(b"\n") + 1:]  # the first line was cut: start at the next whole one
    return raw, truncated


def collect(path: Path, backups: int, limit: int) -> tuple[str, bool]:
    """The newest lines of the log, at most `limit` bytes of UTF-8, masked and clean; (text, truncated)."""
    raw, truncated = tail(log_files(path, backups), limit)
    text = clean(mask(raw.decode("utf-8", errors="replace")))
    data = text.encode("utf-8")
    if len(data) > limit:  # a mask longer than what it hid, or a replaced byte now three
        data = data[len(data) - limit:]
        data = data[data.index(b"\n") + 1:] if b"\n" in data[:-1] else data
        text, truncated = data.decode("utf-8", errors="ignore"), True
    return text, truncated


def bundle(text: str, *, truncated: bool, command: int | None, wire_max: int = WIRE_MAX) -> dict:
    """The body of POST /logs; older lines are dropped (halving) until the base64 fits in `wire_max`."""
    while True:
        encoded = base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=6)).decode("ascii")
        if len(encoded) <= wire_max or not text:
            break
        text = text[len(text) // 2:]
        text = text[text.find("\n") + 1:] if "\n" in text[:-1] else text
        truncated = True
    doc = {"id": str(uuid.uuid4()), "truncated": truncated, "log": encoded}
    if command is not None:
        doc["command"] = command
    return doc


def _kb(n: int) -> int:
    return (n + 1023) // 1024


def send_logs(*, cfg, client, link, command: int | None = None, max_bytes=None) -> tuple[bool, str]:
    """Post the tail of the kiosk's log (for command `command`); (ok, the acknowledgement's message)."""
    import httpx

    limit = DEFAULT_MAX_BYTES
    if isinstance(max_bytes, int) and not isinstance(max_bytes, bool) and max_bytes > 0:
        limit = max_bytes
    for handler in logging.getLogger().handlers:
        handler.flush()
    text, truncated = collect(cfg.log_file, cfg.log_backups, limit)
    doc = bundle(text, truncated=truncated, command=command)
    size, sent = len(text.encode("utf-8")), len(doc["log"])
    try:
        response = client.post_logs(doc)
    except (httpx.HTTPError, OSError) as exc:
        link.fail()
        log.warning("logs: server not reached: %s", exc)
        return False, f"server not reached: {exc}"[:255]
    if response.status_code in (200, 201):
        link.ok()
        log.info("logs: sent %d bytes of log as %d bytes of base64 (older lines left out: %s)", size, sent,
                 doc["truncated"])
        older = ", older lines left out" if doc["truncated"] else ""
        return True, f"sent {_kb(len(doc['log']) * 3 // 4)} KB ({_kb(size)} KB of log{older})"
    if response.status_code >= 500:
        link.fail()
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = ""
    log.error("logs: refused %d: %s", response.status_code, response.text[:300])
    return False, f"refused: {response.status_code} {code}".strip()[:255]
