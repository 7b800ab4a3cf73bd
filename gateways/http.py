"""The production HTTP client of every adapter: one client per thread, keep-alive, no cookies.

It knows only the network. Whoever needs another transport (the tests, the simulators'
in-process or switched transports) hands an adapter its own client through the adapter's
constructor (gateways/services.py: `adapter_for`, `adapter_client_use`), built by
`new_client` so it behaves the same.

The adapters speak httpx (`client.request(...)`); under it, `Transport` carries HTTP/1.1 on the
standard library's `http.client`: a submission makes two exchanges, and httpx's own
transport (httpcore + h11, pure Python) cost ~0.6 ms of CPU an exchange on the bench
machine against ~0.3 ms for the whole exchange here (docs/performance.md). What a failure
means is kept exactly (gateways/adapters/base.py reads it): `ConnectError` and
`ConnectTimeout` only when nothing can have been sent (no connection, TLS refused);
anything after the first byte of the request is a write or read error (the gateway may have
the payment).
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
from functools import lru_cache

import httpx

USER_AGENT = "KIT/0.1"

_local = threading.local()


class NoCookies(httpx.Cookies):
    """Gateways talk in signed documents, never in cookies: nothing a reply sets is kept or sent
    back (the jar's parsing of every reply, through http.cookiejar, was ~60 us an exchange)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


def new_client(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A client as adapters get it: no redirects followed, no cookies, our User-Agent.

    No retries in the transport: an adapter makes exactly one exchange, and the engine
    decides what a failure means (a second send could pay twice).
    """
    c = httpx.Client(transport=transport or Transport(), follow_redirects=False, headers={"User-Agent": USER_AGENT})
    c._cookies = NoCookies()  # httpx keeps its jar here; the `cookies` setter would copy it into a plain one
    return c


def client() -> httpx.Client:
    """A client per thread (one keep-alive connection per gateway host for that thread)."""
    c = getattr(_local, "client", None)
    if c is None:
        c = _local.client = new_client()
    return c


@lru_cache(maxsize=256)
def url(text: str) -> httpx.URL:
    """A parsed URL, parsed once (adapters call a handful of fixed URLs; httpx parses in Python)."""
    return httpx.URL(text)


class Transport(httpx.BaseTransport):
    """HTTP/1.1 over `http.client`, keep-alive, idle connections kept per origin (scheme, host, port).

    A kept connection that has become readable while idle was closed by the server (or sent
    something nobody asked for): it is dropped before use, never written to. Safe for several
    threads (each takes a connection out while it uses it), though clients here are per thread.
    """

    IDLE_PER_ORIGIN = 4

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None):
        self._ssl_context = ssl_context
        self._idle: dict[tuple[str, str, int], list[http.client.HTTPConnection]] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        u = request.url
        if u.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"Request URL has an unsupported protocol '{u.scheme}://'.",
                                            request=request)
        key = (u.scheme, u.host, u.port or (443 if u.scheme == "https" else 80))
        timeout = request.extensions.get("timeout") or {}
        conn = self._take(key)
        if conn is None:
            conn = self._connect(key, timeout.get("connect"), request)
        try:
            response, reusable = _exchange(conn, request, timeout)
        except BaseException:
            conn.close()
            raise
        if reusable:
            self._give_back(key, conn)
        else:
            conn.close()
        return response

    def close(self) -> None:
        idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()

    # -- connections ----------------------------------------------------------------------------
    def _take(self, key) -> http.client.HTTPConnection | None:
        conns = self._idle.get(key)
        while conns:
            try:
                conn = conns.pop()
            except IndexError:  # another thread took the last one
                return None
            if conn.sock is not None and not _readable(conn.sock):
                return conn
            conn.close()
        return None

    def _give_back(self, key, conn: http.client.HTTPConnection) -> None:
        conns = self._idle.setdefault(key, [])
        if len(conns) < self.IDLE_PER_ORIGIN:
            conns.append(conn)
        else:
            conn.close()

    def _connect(self, key, connect_timeout: float | None, request: httpx.Request) -> http.client.HTTPConnection:
        scheme, host, port = key
        if scheme == "https":
            if self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context()  # what httpx's own transport verifies with
            conn = http.client.HTTPSConnection(host, port, timeout=connect_timeout, context=self._ssl_context)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=connect_timeout)
        try:
            conn.connect()  # TCP (and TLS): until it returns, not a byte of the request has left
        except TimeoutError as exc:
            conn.close()
            raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from exc
        except OSError as exc:  # refused, unreachable, name not resolved, TLS refused (ssl.SSLError)
            conn.close()
            raise httpx.ConnectError(str(exc), request=request) from exc
        return conn


def _readable(sock) -> bool:
    """An idle keep-alive socket with something to read: closed by the server (or junk). poll, not
    select: a busy worker's descriptors go past select's 1024."""
    try:
        p = select.poll()
        p.register(sock, select.POLLIN)
        return bool(p.poll(0))
    except (OSError, ValueError):
        return True


def _exchange(conn: http.client.HTTPConnection, request: httpx.Request, timeout: dict
              ) -> tuple[httpx.Response, bool]:
    body = request.read()
    try:
        conn.sock.settimeout(timeout.get("write"))
        conn.putrequest(request.method, request.url.raw_path.decode("ascii"), skip_host=True,
                        skip_accept_encoding=True)  # httpx's headers carry Host and Accept-Encoding
        for name, value in request.headers.raw:
            conn.putheader(name, value)
        conn.endheaders(body or None)
    except TimeoutError as exc:
        raise httpx.WriteTimeout(str(exc) or "write timed out", request=request) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise httpx.WriteError(str(exc), request=request) from exc
    try:
        conn.sock.settimeout(timeout.get("read"))
        resp = conn.getresponse()
        content = resp.read()
    except TimeoutError as exc:
        raise httpx.ReadTimeout(str(exc) or "read timed out", request=request) from exc
    except http.client.RemoteDisconnected as exc:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request) from exc
    except http.client.HTTPException as exc:  # a bad status line, a short body, too many headers
        raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}", request=request) from exc
    except OSError as exc:  # reset, broken pipe
        raise httpx.ReadError(str(exc), request=request) from exc
    # http.client decoded the header bytes as latin-1: back to the same bytes for httpx.
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in resp.getheaders()]
    version = b"HTTP/1.0" if resp.version == 10 else b"HTTP/1.1"
    response = httpx.Response(resp.status, headers=headers, content=content,
                              extensions={"http_version": version,
                                          "reason_phrase": (resp.reason or "").encode("latin-1", "replace")})
    return response, not resp.will_close
