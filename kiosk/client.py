"""The signed terminal API client (httpx). Pass `transport` to run it against an app in-process."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .signing import new_nonce, public_key_b64, signed_headers

API_PREFIX = "/api/terminal/v1"


class KioskClient:
    """One terminal talking to the platform. Every call but enroll() and openapi() is signed."""

    def __init__(self, base_url: str, terminal: str, key: Ed25519PrivateKey | None = None, *,
                 transport: httpx.BaseTransport | None = None, timeout: float = 10.0,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
                 unavailable_retries: int = 2, max_retry_wait: float = 60.0):
        self.terminal = terminal
        self.key = key
        self.clock = clock
        # The kiosk's own clock may drift; after a stale_timestamp it corrects by the server's time.
        self.clock_offset = 0.0
        # A 503 `unavailable` (the server's database is away) is retried after its Retry-After,
        # this many times, waiting at most max_retry_wait each; then the caller gets the 503 and
        # keeps the payment in its offline store.
        self.sleep = sleep
        self.unavailable_retries = unavailable_retries
        self.max_retry_wait = max_retry_wait
        self.http = httpx.Client(base_url=base_url.rstrip("/"), transport=transport, timeout=timeout,
                                 headers={"User-Agent": "KIT-kiosk/0.1"})

    def close(self) -> None:
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the raw request -------------------------------------------------------------
    @staticmethod
    def encode(doc: Any) -> bytes:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def now(self) -> int:
        return int(self.clock() + self.clock_offset)

    def request(self, method: str, path: str, body: bytes = b"", *, sign: bool = True,
                headers: dict[str, str] | None = None, timestamp: int | None = None,
                nonce: str | None = None, content_type: str | None = "application/json") -> httpx.Response:
        """Send `body` (bytes, as is) to API_PREFIX + path; signed with the terminal's key.

        `headers` are applied after signing, so tests can send whatever header values they like.
        """
        full = API_PREFIX + path
        all_headers: dict[str, str] = {}
        if content_type and (body or method.upper() != "GET"):
            all_headers["Content-Type"] = content_type
        if sign:
            if self.key is None:
                raise RuntimeError("this client has no key: enroll first")
            stamp = self.now() if timestamp is None else timestamp
            all_headers.update(signed_headers(self.key, self.terminal, method, full, body, stamp,
                                              nonce or new_nonce()))
        all_headers.update(headers or {})
        return self.http.request(method, full, content=body, headers=all_headers)

    def call(self, method: str, path: str, doc: Any = None, **kw) -> httpx.Response:
        body = b"" if doc is None else self.encode(doc)
        response = self.request(method, path, body, **kw)
        if response.status_code == 401 and _code(response) == "stale_timestamp" and "timestamp" not in kw:
            self.sync_clock(response)
            response = self.request(method, path, body, **kw)
        for _ in range(self.unavailable_retries):
            wait = retry_after(response)
            if response.status_code != 503 or wait is None or "nonce" in kw:
                break
            self.sleep(min(wait, self.max_retry_wait))
            response = self.request(method, path, body, **kw)  # signed afresh: new nonce and time
        return response

    def sync_clock(self, response: httpx.Response) -> None:
        """Learn the offset from a stale_timestamp answer's server_time."""
        from datetime import datetime

        try:
            server = datetime.fromisoformat(response.json()["server_time"]).timestamp()
        except (ValueError, KeyError, TypeError):
            return
        self.clock_offset = server - self.clock()

    # -- the API ---------------------------------------------------------------------
    def enroll(self, code: str, key: Ed25519PrivateKey | None = None) -> httpx.Response:
        """Register `key` (or this client's key) with a one-time code; unsigned."""
        key = key or self.key
        if key is None:
            raise RuntimeError("no key to enroll")
        doc = {"terminal": self.terminal, "code": code, "public_key": public_key_b64(key)}
        response = self.request("POST", "/enroll", self.encode(doc), sign=False)
        if response.status_code == 200:
            self.key = key
        return response

    def post_payment(self, payment: dict, **kw) -> httpx.Response:
        return self.call("POST", "/payments", payment, **kw)

    def get_payment(self, txn: str, **kw) -> httpx.Response:
        return self.call("GET", f"/payments/{txn}", **kw)

    def post_batch(self, payments: list, **kw) -> httpx.Response:
        return self.call("POST", "/payments/batch", {"payments": payments}, **kw)

    def config(self, etag: str | None = None, **kw) -> httpx.Response:
        headers = {"If-None-Match": etag} if etag else None
        return self.call("GET", "/config", headers=headers, **kw)

    def heartbeat(self, state: dict | None = None, **kw) -> httpx.Response:
        return self.call("POST", "/heartbeat", state or {}, **kw)

    def phone(self, number: str, **kw) -> httpx.Response:
        """The operator of a mobile number (+79161234567, 89161234567 or 9161234567)."""
        return self.call("GET", f"/phone/{number}", **kw)

    def check(self, provider: str, account: str, amount: str, fields: dict | None = None, **kw) -> httpx.Response:
        """Ask whether the account would be paid, before taking the cash (`amount` as "100.00")."""
        doc = {"provider": provider, "account": account, "amount": amount, "fields": fields or {}}
        return self.call("POST", "/checks", doc, **kw)

    def post_encashment(self, encashment: dict, **kw) -> httpx.Response:
        """A closed encashment {id, opened_at, closed_at, notes, total, txns}; the same id again is safe."""
        return self.call("POST", "/encashments", encashment, **kw)

    def post_logs(self, bundle: dict, **kw) -> httpx.Response:
        """A log bundle {id, command?, truncated?, log: base64 of gzip}; the same id again is safe."""
        return self.call("POST", "/logs", bundle, **kw)

    def openapi(self) -> httpx.Response:
        return self.request("GET", "/openapi.json", sign=False)

    def download(self, path: str, *, max_bytes: int) -> tuple[int, bytes | None]:
        """GET a public file of the server by its path (a screen image, `/screens/img/<sha256>`): unsigned,
        outside the API prefix. Returns (status, body); the body is None when it would pass `max_bytes`
        (the rest is not read), empty when the status is not 200."""
        with self.http.stream("GET", path) as response:
            if response.status_code != 200:
                return response.status_code, b""
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    return response.status_code, None
            return response.status_code, bytes(body)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None without one."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _code(response: httpx.Response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
