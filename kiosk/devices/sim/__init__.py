"""Device simulators: a CCNET bill validator, an ESC/POS printer, a fiscal registrar.

In one process they are reached through pyserial URLs (`kitsim://ccnet/NAME`, `kitsim://printer/NAME`,
registered by register()); serve.py puts one behind a pty or a TCP port for another process.
"""

from __future__ import annotations

import threading

import serial

_DEVICES: dict[tuple[str, str], object] = {}
_LOCK = threading.Lock()
PACKAGE = "kiosk.devices.sim"


def register() -> None:
    """Make serial_for_url know the kitsim:// scheme (protocol_kitsim.py in this package)."""
    if PACKAGE not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(PACKAGE)


def make(kind: str, **options):
    if kind == "ccnet":
        from .ccnet import CcnetSimulator

        return CcnetSimulator(**options)
    if kind == "printer":
        from .printer import PrinterSimulator

        return PrinterSimulator(**options)
    raise ValueError(f"no simulator of kind {kind!r}")


def device(kind: str, name: str = "default", **options):
    """The simulator named `name` of `kind` in this process, made on first use."""
    with _LOCK:
        key = (kind, name)
        if key not in _DEVICES:
            _DEVICES[key] = make(kind, **options)
        return _DEVICES[key]


def install(kind: str, name: str, sim) -> None:
    with _LOCK:
        _DEVICES[(kind, name)] = sim


def forget() -> None:
    """Drop every named simulator (tests start from fresh devices)."""
    with _LOCK:
        _DEVICES.clear()
