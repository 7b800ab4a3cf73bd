"""Content-Security-Policy on every page; forwarded headers believed only from a configured proxy."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("path,username", [
    ("/accounts/login/", None), ("/", "dealer"), ("/gateways/health/", "support"), ("/reconcile/", "admin"),
    ("/admin/", "admin"), ("/accounts/2fa/", "dealer"), ("/no-such-page/", None),
])
def test_every_html_page_carries_a_strict_csp(client, world, path, username):
    if username:
        client.post("/accounts/login/", {"username": username, "password": "kit-demo"})
    resp = client.get(path)
    assert resp["Content-Type"].startswith("text/html")
    csp = directives(resp["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in " ".join(sum(csp.values(), []))


@pytest.mark.django_db
def test_no_page_template_has_an_inline_script_or_handler():
    import re

    offenders = []
    for path in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+=\"", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gunicorn(env_extra: dict) -> tuple[subprocess.Popen, int]:
    """gunicorn started the way `make run` starts it (from the checkout, reading its gunicorn.conf.py)."""
    port = _free_port()
    env = {**os.environ, "KIT_ENV_FILE": "/nonexistent", "KIT_TLS": "1", **env_extra}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "kit.wsgi",
         "-b", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
            return proc, port
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("gunicorn did not start")


@pytest.mark.slow
@pytest.mark.parametrize("behind_proxy,redirected", [("0", True), ("1", False)])
def test_a_spoofed_forwarded_proto_is_believed_only_behind_a_proxy(behind_proxy, redirected):
    proc, port = _gunicorn({"KIT_BEHIND_PROXY": behind_proxy})
    try:
        resp = httpx.get(f"http://127.0.0.1:{port}/accounts/login/", headers={"X-Forwarded-Proto": "https"})
        if redirected:
            assert resp.status_code == 301
            assert resp.headers["Location"] == f"https://127.0.0.1:{port}/accounts/login/"
        else:
            assert resp.status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
