"""pyserial handler for kitsim://KIND[/NAME]: a port whose other end is an in-process simulator.

serial_for_url("kitsim://ccnet/left") talks to device("ccnet", "left"); the bytes written go to the
simulator's receive() and its answer is what read() returns, with pyserial's timeout rules.
"""

from __future__ import annotations

import threading
import time
import urllib.parse

from serial.serialutil import PortNotOpenError, SerialBase, SerialException

from . import device


class Serial(SerialBase):
    BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)

    def open(self):
        if self.is_open:
            raise SerialException("port is already open")
        if self._port is None:
            raise SerialException("port must be configured before it can be used")
        parts = urllib.parse.urlsplit(self._port)
        if parts.scheme != "kitsim" or parts.netloc not in ("ccnet", "printer"):
            raise SerialException(f"expected kitsim://ccnet/NAME or kitsim://printer/NAME, got {self._port!r}")
        name = parts.path.strip("/") or "default"
        self.device = device(parts.netloc, name)
        self._rx = bytearray()
        self._cond = threading.Condition()
        self.is_open = True

    def close(self):
        self.is_open = False
        super().close()

    def _reconfigure_port(self):
        pass

    @property
    def in_waiting(self):
        if not self.is_open:
            raise PortNotOpenError()
        return len(self._rx)

    def write(self, data):
        if not self.is_open:
            raise PortNotOpenError()
        data = bytes(data)
        answer = self.device.receive(data)
        if answer:
            with self._cond:
                self._rx += answer
                self._cond.notify_all()
        return len(data)

    def read(self, size=1):
        if not self.is_open:
            raise PortNotOpenError()
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        with self._cond:
            while len(self._rx) < size:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._cond.wait(remaining)
            out = bytes(self._rx[:size])
            del self._rx[:size]
        return out

    def reset_input_buffer(self):
        with self._cond:
            self._rx.clear()

    def reset_output_buffer(self):
        pass

    def flush(self):
        pass

    def _update_dtr_state(self):
        pass

    def _update_rts_state(self):
        pass
