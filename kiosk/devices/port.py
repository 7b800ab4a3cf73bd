"""Opening a device port by URL: /dev/ttyUSB0, a pty path, socket://host:port, kitsim://... ."""

from __future__ import annotations

import serial


def open_port(url: str, **settings) -> serial.SerialBase:
    """serial.serial_for_url with the kiosk's simulator scheme registered when the URL asks for it."""
    if url.startswith("kitsim://"):
        from .sim import register

        register()
    return serial.serial_for_url(url, **settings)
