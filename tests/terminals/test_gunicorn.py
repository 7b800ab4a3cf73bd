"""Framing under the real server (gunicorn with the project's gunicorn.conf.py): refusals in JSON."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "kit.wsgi", "-b", f"127.0.0.1:{port}", "-k", "gthread",
                             "--workers", "1", "--threads", "2"], cwd=ROOT, env=os.environ.copy(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def exchange(port: int, raw: bytes) -> tuple[int, dict, dict]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(raw)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body)


@pytest.mark.slow
def test_a_request_line_over_8190_bytes_gets_the_json_error_shape(server):
    path = "/api/terminal/v1/payments/" + "1" * 9000
    status, headers, body = exchange(server, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    assert status == 400
    assert headers["Content-Type"] == "application/json"
    assert body["error"]["code"] == "invalid"
    assert isinstance(body["error"]["message"], str)


@pytest.mark.slow
def test_a_chunked_body_through_gunicorn_is_411_in_json(server):
    doc = b'{"txn": "1"}'
    raw = (b"POST /api/terminal/v1/payments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
           + f"{len(doc):x}\r\n".encode() + doc + b"\r\n0\r\n\r\n")
    status, headers, body = exchange(server, raw)
    assert status == 411
    assert body["error"]["code"] == "length_required"
