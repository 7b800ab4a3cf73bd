"""The kiosk's configuration file (TOML): where the server is, who we are, the devices, the limits.

Read with the standard library's tomllib; every value has a default except the server URL and the
terminal number. See docs/kiosk/README.md for a commented example.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

PIN_ITERATIONS = 200_000


class ConfigError(ValueError):
    """The file is missing, not TOML, or a value is wrong: the message names the key."""


@dataclass(frozen=True)
class OfflineLimits:
    """How much the kiosk takes while it cannot reach the server (per provider the server's config decides
    whether offline is allowed at all and the per-payment maximum; these cap the whole unsent queue)."""

    max_payment: Decimal = Decimal("15000.00")
    max_queue_amount: Decimal = Decimal("100000.00")
    max_queue_count: int = 500
    max_age_hours: float = 24.0
    providers: dict[str, dict] = field(default_factory=dict)  # code -> {"allowed": bool, "max_amount": "…"}


@dataclass(frozen=True)
class Config:
    path: Path
    server_url: str
    terminal: str
    key_file: Path
    data_dir: Path
    validator: str = "kitsim://ccnet/main"
    printer: str = "kitsim://printer/main"
    printer_encoding: str = "cp866"
    printer_codepage: int | None = None
    fiscal: str = "none"  # "none": non-fiscal slips on the printer; "sim": the simulated registrar
    cassette_capacity: int = 1000
    language: str = "ru"
    listen_host: str = "127.0.0.1"
    listen_port: int = 8765
    walk_away_seconds: float = 90.0
    receipt_seconds: float = 20.0
    service_pin_hash: str = ""
    heartbeat_seconds: float = 60.0
    send_interval: float = 2.0
    backoff_base: float = 2.0
    backoff_max: float = 300.0
    request_timeout: float = 10.0
    poll_interval: float = 0.15
    offline: OfflineLimits = field(default_factory=OfflineLimits)
    theme: dict = field(default_factory=dict)
    ads: list[dict] = field(default_factory=list)
    update_root: Path = Path("/opt/kit-kiosk")  # releases/<version>/ and the `current` link (docs/kiosk/updates.md)
    update_check_seconds: float = 60.0
    # The program's own log (kiosk/logs.py): a rotating file, sent to the server by `collect_logs`.
    log_file: Path | None = None  # None: data_dir/logs/kiosk.log
    log_max_bytes: int = 1024 * 1024
    log_backups: int = 3

    def __post_init__(self):
        if self.log_file is None:
            object.__setattr__(self, "log_file", self.data_dir / "logs" / "kiosk.log")

    @property
    def store_path(self) -> Path:
        return self.data_dir / "kiosk.sqlite3"


def _get(table: dict, key: str, kind, default, where: str):
    if key not in table:
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is Decimal:
        try:
            value = Decimal(str(value))
        except InvalidOperation:
            raise ConfigError(f"{where}.{key}: an amount like \"5000.00\"") from None
        return value
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ConfigError(f"{where}.{key}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def load(path: str | Path) -> Config:
    """Read and check the file; relative paths in it are relative to the file's directory."""
    path = Path(path).resolve()
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not TOML: {exc}") from None
    server = doc.get("server", {})
    kiosk = doc.get("kiosk", {})
    devices = doc.get("devices", {})
    offline = doc.get("offline", {})
    updates = doc.get("updates", {})
    logs = doc.get("logs", {})
    base = path.parent

    def rel(value: str) -> Path:
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else (base / p).resolve()

    url = _get(server, "url", str, "", "server")
    terminal = _get(server, "terminal", str, "", "server")
    if not url.startswith(("http://", "https://")):
        raise ConfigError("server.url: required, http(s)://host[:port]")
    if not terminal.isdigit() or len(terminal) > 20:
        raise ConfigError("server.terminal: required, the terminal number (digits, as a string)")
    data_dir = rel(_get(kiosk, "data_dir", str, "var/kiosk-data", "kiosk"))
    key_file = rel(_get(server, "key_file", str, str(data_dir / "terminal.key"), "server"))
    language = _get(kiosk, "language", str, "ru", "kiosk")
    if language not in ("ru", "en"):
        raise ConfigError("kiosk.language: \"ru\" or \"en\"")
    listen = _get(kiosk, "listen", str, "127.0.0.1:8765", "kiosk")
    host, _, port = listen.rpartition(":")
    if not port.isdigit():
        raise ConfigError("kiosk.listen: host:port")
    if (host or "127.0.0.1") not in ("127.0.0.1", "localhost", "[::1]"):
        # The screens and the service menu are for the kiosk's own browser, never the network.
        raise ConfigError("kiosk.listen: a loopback address (127.0.0.1:PORT)")
    fiscal = _get(devices, "fiscal", str, "none", "devices")
    if fiscal not in ("none", "sim"):
        raise ConfigError("devices.fiscal: \"none\" or \"sim\"")
    providers = offline.get("providers", {})
    if not isinstance(providers, dict):
        raise ConfigError("offline.providers: a table of provider code -> {allowed, max_amount}")
    limits = OfflineLimits(
        max_payment=_get(offline, "max_payment", Decimal, OfflineLimits.max_payment, "offline"),
        max_queue_amount=_get(offline, "max_queue_amount", Decimal, OfflineLimits.max_queue_amount, "offline"),
        max_queue_count=_get(offline, "max_queue_count", int, OfflineLimits.max_queue_count, "offline"),
        max_age_hours=_get(offline, "max_age_hours", float, OfflineLimits.max_age_hours, "offline"),
        providers={str(k): dict(v) for k, v in providers.items()},
    )
    log_max_bytes = _get(logs, "max_bytes", int, Config.log_max_bytes, "logs")
    if not 64 * 1024 <= log_max_bytes <= 64 * 1024 * 1024:
        raise ConfigError("logs.max_bytes: bytes of one log file before it rotates, 65536 to 67108864")
    log_backups = _get(logs, "backups", int, Config.log_backups, "logs")
    if not 0 <= log_backups <= 20:
        raise ConfigError("logs.backups: rotated log files kept, 0 to 20")
    theme = doc.get("theme", {})
    ads = doc.get("ads", [])
    if not isinstance(theme, dict) or not isinstance(ads, list):
        raise ConfigError("theme must be a table and ads an array of tables")
    return Config(
        path=path, server_url=url.rstrip("/"), terminal=terminal, key_file=key_file, data_dir=data_dir,
        validator=_get(devices, "validator", str, Config.validator, "devices"),
        printer=_get(devices, "printer", str, Config.printer, "devices"),
        printer_encoding=_get(devices, "printer_encoding", str, "cp866", "devices"),
        printer_codepage=_get(devices, "printer_codepage", int, None, "devices"),
        fiscal=fiscal,
        cassette_capacity=_get(devices, "cassette_capacity", int, 1000, "devices"),
        language=language, listen_host=host or "127.0.0.1", listen_port=int(port),
        walk_away_seconds=_get(kiosk, "walk_away_seconds", float, 90.0, "kiosk"),
        receipt_seconds=_get(kiosk, "receipt_seconds", float, 20.0, "kiosk"),
        service_pin_hash=_get(kiosk, "service_pin_hash", str, "", "kiosk"),
        heartbeat_seconds=_get(kiosk, "heartbeat_seconds", float, 60.0, "kiosk"),
        send_interval=_get(kiosk, "send_interval", float, 2.0, "kiosk"),
        backoff_base=_get(kiosk, "backoff_base", float, 2.0, "kiosk"),
        backoff_max=_get(kiosk, "backoff_max", float, 300.0, "kiosk"),
        request_timeout=_get(server, "timeout", float, 10.0, "server"),
        poll_interval=_get(devices, "poll_interval", float, 0.15, "devices"),
        offline=limits, theme=theme, ads=[a for a in ads if isinstance(a, dict)],
        update_root=rel(_get(updates, "root", str, "/opt/kit-kiosk", "updates")),
        update_check_seconds=_get(updates, "check_seconds", float, 60.0, "updates"),
        log_file=rel(logs["file"]) if _get(logs, "file", str, "", "logs") else None,
        log_max_bytes=log_max_bytes, log_backups=log_backups,
    )


def pin_hash(pin: str, salt: str | None = None, iterations: int = PIN_ITERATIONS) -> str:
    """pbkdf2_sha256$ITERATIONS$SALT$HEX: what kiosk.service_pin_hash holds (`python -m kiosk pin-hash`)."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def pin_matches(pin: str, stored: str) -> bool:
    try:
        algo, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if algo != "pbkdf2_sha256" or not iterations.isdigit():
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), int(iterations)).hex()
    return hmac.compare_digest(candidate, digest)
