"""Serve a simulator on a pty or a TCP port, with a JSON-lines control socket, in its own process.

    python -m kiosk.devices.sim ccnet --pty [--link /tmp/ccnet] [--control 127.0.0.1:0]
    python -m kiosk.devices.sim printer --tcp 127.0.0.1:0

The first line on stdout is JSON: {"port": <what to give serial_for_url>, "control": "host:port"}.
A control request is one JSON line {"op": "insert", "args": [100]}; the answer is
{"ok": true, "result": ...} or {"ok": false, "error": "..."}. The kiosk's kill tests kill the kiosk,
never this process, so the simulator's counts are the truth about the money inside.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import subprocess
import sys
import threading
import tty
from decimal import Decimal

from . import make

CONTROL_OPS = {
    "ccnet": {"insert", "jam", "fail", "clear_fault", "remove_cassette", "insert_cassette", "fill_cassette",
              "power_cut", "power_on", "busy", "corrupt", "lose_acks", "set_silent", "counts"},
    "printer": {"set_status", "counts", "text", "last_document"},
}


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


def control_answer(sim, line: bytes) -> dict:
    try:
        request = json.loads(line)
        op = request["op"]
        if op not in CONTROL_OPS[sim.kind]:
            return {"ok": False, "error": f"unknown op {op!r}"}
        args = request.get("args", [])
        if sim.kind == "ccnet" and op in ("insert", "fail") and args and isinstance(args[0], str):
            args = [int(args[0], 0) if op == "fail" else args[0], *args[1:]]
        return {"ok": True, "result": _jsonable(getattr(sim, op)(*args, **request.get("kwargs", {})))}
    except Exception as exc:  # a bad request is answered, never kills the device
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def serve_control(sim, server: socket.socket) -> None:
    while True:
        conn, _ = server.accept()
        threading.Thread(target=_control_client, args=(sim, conn), daemon=True).start()


def _control_client(sim, conn: socket.socket) -> None:
    with conn, conn.makefile("rwb") as f:
        for line in f:
            f.write(json.dumps(control_answer(sim, line)).encode() + b"\n")
            f.flush()


def serve_pty(sim, link: str | None = None) -> tuple[str, threading.Thread]:
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    if link:
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(path, link)

    def loop():
        # Our own slave fd stays open, so the master never reads EIO when a client closes the port.
        while True:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                continue
            data = os.read(master, 4096)
            answer = sim.receive(data)
            if answer:
                os.write(master, answer)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    thread.slave_fd = slave
    return (link or path), thread


def serve_tcp(sim, host: str, port: int) -> tuple[str, threading.Thread]:
    server = socket.create_server((host, port))
    address = server.getsockname()

    def loop():
        while True:
            conn, _ = server.accept()
            with conn:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                while True:
                    try:
                        data = conn.recv(4096)
                    except OSError:
                        break
                    if not data:
                        break
                    answer = sim.receive(data)
                    if answer:
                        conn.sendall(answer)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return f"socket://{address[0]}:{address[1]}", thread


def _hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.devices.sim", description="serve a device simulator")
    parser.add_argument("kind", choices=sorted(CONTROL_OPS))
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--pty", action="store_true", help="serve on a new pseudo-terminal")
    where.add_argument("--tcp", metavar="HOST:PORT", help="serve on a TCP port (socket:// URL)")
    parser.add_argument("--link", help="with --pty: a stable symlink to the pty")
    parser.add_argument("--control", default="127.0.0.1:0", metavar="HOST:PORT", help="control socket")
    parser.add_argument("--info", help="also write the first line to this file")
    args = parser.parse_args(argv)
    sim = make(args.kind)
    if args.pty:
        port, thread = serve_pty(sim, args.link)
    else:
        port, thread = serve_tcp(sim, *_hostport(args.tcp))
    control = socket.create_server(_hostport(args.control))
    chost, cport = control.getsockname()[:2]
    threading.Thread(target=serve_control, args=(sim, control), daemon=True).start()
    line = json.dumps({"port": port, "control": f"{chost}:{cport}", "pid": os.getpid()})
    if args.info:
        with open(args.info + ".tmp", "w") as f:
            f.write(line + "\n")
        os.replace(args.info + ".tmp", args.info)
    print(line, flush=True)
    try:
        thread.join()
    except KeyboardInterrupt:
        pass
    return 0


class SimControl:
    """Client of a served simulator's control socket."""

    def __init__(self, address: str, timeout: float = 5.0):
        self.sock = socket.create_connection(_hostport(address), timeout=timeout)
        self.file = self.sock.makefile("rwb")

    def call(self, op: str, *args, **kwargs):
        self.file.write(json.dumps({"op": op, "args": list(args), "kwargs": kwargs}).encode() + b"\n")
        self.file.flush()
        answer = json.loads(self.file.readline())
        if not answer["ok"]:
            raise RuntimeError(answer["error"])
        return answer["result"]

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def spawn(kind: str, *, pty: bool = True, env: dict | None = None) -> tuple[subprocess.Popen, dict]:
    """Start a served simulator in a child process; returns (process, its first line as a dict)."""
    cmd = [sys.executable, "-m", "kiosk.devices.sim", kind] + (["--pty"] if pty else ["--tcp", "127.0.0.1:0"])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, cwd=os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise RuntimeError(f"simulator {kind} did not start")
    return proc, json.loads(line)
