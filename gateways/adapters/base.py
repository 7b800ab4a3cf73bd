"""The one small interface every gateway adapter implements.

An adapter holds only its wire format and code table. It never touches the ORM and never
retries inside: it makes one exchange and says what it means as a `Result`. Shared here:
the HTTP client with timeouts and the transport-error mapping, so each adapter holds only its wire format.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import httpx

from .. import http


class Outcome(StrEnum):
    """What a gateway's answer means for the router (docs/architecture.md)."""

    OK = "ok"              # done (check passed / paid / status says success)
    DECLINED = "declined"  # final no; the same request fails again here
    RETRY = "retry"        # transient, and the payment is certainly not registered upstream
    UNKNOWN = "unknown"    # it may exist upstream: only a status query resolves it; never re-route
    CONFIG = "config"      # our configuration or a bug: stop this gateway, alert admins


@dataclass(frozen=True)
class GatewayConfig:
    """What an adapter needs to talk to one gateway (built from `gateways.Gateway`, no ORM)."""

    code: str
    base_url: str
    params: dict = field(default_factory=dict)
    secret: str = ""
    private_key_pem: str = ""
    peer_public_key_pem: str = ""
    connect_timeout: float = 3.0
    read_timeout: float = 5.0


@dataclass(frozen=True)
class Order:
    """One payment as an adapter sends it."""

    attempt_id: str          # ours, digits only, <= 18: the gateway's idempotency key
    remote_id: str           # the provider's id at this gateway
    account: str
    amount: Decimal          # cash received from the customer (CyberPlat AMOUNT_ALL)
    credited: Decimal        # to credit to the provider (CyberPlat AMOUNT)
    paid_at: datetime
    terminal: str = ""
    fields: dict = field(default_factory=dict)
    upstream_id: str = ""    # the gateway's id, once known (for status)


@dataclass(frozen=True)
class Exchange:
    """One request/response, secrets masked, kept on the attempt."""

    op: str
    url: str
    request: str
    status: int | None
    response: str
    ms: int

    def as_dict(self) -> dict:
        return {"op": self.op, "url": self.url, "request": self.request[:4000], "status": self.status,
                "response": self.response[:4000], "ms": self.ms}


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    code: str = ""            # the gateway's own code, as it said it
    message: str = ""
    upstream_id: str = ""     # the gateway's payment id (CyberPlat TRANSID, QIWI txn_id...)
    reroutable: bool = False  # DECLINED only: another gateway may take this payment
    exchanges: tuple[Exchange, ...] = ()
    extra: dict = field(default_factory=dict)  # e.g. text to show the payer after a check

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.OK


class Adapter:
    """Base for one gateway. Subclasses implement `check`, `pay`, `status`."""

    code = ""

    def __init__(self, config: GatewayConfig, client: httpx.Client | None = None):
        self.config = config
        self.client = client or http.client()

    # --- the interface -------------------------------------------------------------
    def check(self, order: Order) -> Result:  # pragma: no cover - interface
        raise NotImplementedError

    def pay(self, order: Order) -> Result:  # pragma: no cover - interface
        raise NotImplementedError

    def status(self, order: Order) -> Result:  # pragma: no cover - interface
        raise NotImplementedError

    # --- shared plumbing -----------------------------------------------------------
    def timeout(self, read: float | None = None) -> httpx.Timeout:
        return httpx.Timeout(connect=self.config.connect_timeout, read=read or self.config.read_timeout,
                             write=self.config.read_timeout, pool=self.config.connect_timeout)

    def mask(self, text: str) -> str:
        """Remove secrets from what is stored; subclasses add their own fields."""
        if self.config.secret:
            text = text.replace(self.config.secret, "***")
        return text

    def send(self, op: str, method: str, url: str, *, content: bytes = b"", headers: dict | None = None,
             params: dict | None = None, auth=None, read_timeout: float | None = None,
             log_request: str | None = None) -> tuple[httpx.Response | None, Result | None, Exchange]:
        """One HTTP exchange. Returns (response, None, exchange) or (None, failure, exchange).

        Transport errors: nothing sent (connect refused / connect timeout) -> RETRY; after
        the request may have reached the gateway (read timeout, reset, 5xx) -> UNKNOWN.
        `check` registers nothing, so it turns UNKNOWN into RETRY (`not_registered`); a
        status query keeps UNKNOWN (poll again), it must never read as "not registered".
        """
        started = time.monotonic()
        shown = self.mask(log_request if log_request is not None else content.decode("utf-8", "replace"))
        try:
            response = self.client.request(method, http.url(url), content=content or None, headers=headers,
                                           params=params, auth=auth, timeout=self.timeout(read_timeout))
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol) as exc:
            ex = Exchange(op, url, shown, None, f"not sent: {type(exc).__name__}: {exc}", _ms(started))
            return None, Result(Outcome.RETRY, "transport", f"not sent: {exc}", exchanges=(ex,)), ex
        except httpx.TransportError as exc:
            ex = Exchange(op, url, shown, None, f"no reply: {type(exc).__name__}: {exc}", _ms(started))
            return None, Result(Outcome.UNKNOWN, "transport", f"no reply: {exc}", exchanges=(ex,)), ex
        body = self.mask(response.content.decode(_charset(response), "replace"))
        ex = Exchange(op, url, shown, response.status_code, body, _ms(started))
        if response.status_code >= 500:
            return None, Result(Outcome.UNKNOWN, f"http_{response.status_code}", "server error",
                                exchanges=(ex,)), ex
        if response.status_code >= 400:
            return None, Result(Outcome.CONFIG, f"http_{response.status_code}", "request refused",
                                exchanges=(ex,)), ex
        return response, None, ex


KEYS_MISSING = "keys"  # the one code of every adapter for "our key or the gateway's key is not set"


class SignedExchange:
    """The steps every signed gateway repeats: keys present, sign the body, check the reply.

    Mixed into an adapter whose request is signed with RSA PKCS#1 v1.5 over the raw body and
    whose reply carries a detached signature over the raw reply body.
    """

    def keys_missing(self) -> Result | None:
        """CONFIG (code `keys`) when our private key or the gateway's public key is absent."""
        if self.config.private_key_pem and self.config.peer_public_key_pem:
            return None
        return Result(Outcome.CONFIG, KEYS_MISSING, "our private key or the gateway's public key is not set")

    def body_signature(self, body: bytes, hash_name: str = "sha256") -> str:
        """base64 of our RSA signature over the exact request bytes."""
        import base64

        from ..keys import rsa_sign

        return base64.b64encode(rsa_sign(self.config.private_key_pem, body, hash_name)).decode()

    def reply_trusted(self, signature_b64: str, content: bytes, ex: Exchange, hash_name: str = "sha256"
                      ) -> Result | None:
        """None when the reply's signature verifies; else UNKNOWN `bad_signature` (a reply
        we cannot believe is a lost reply: the payment may exist)."""
        from ..keys import detached_signature_ok

        if hash_name and detached_signature_ok(self.config.peer_public_key_pem, signature_b64, content, hash_name):
            return None
        return Result(Outcome.UNKNOWN, "bad_signature", "reply signature does not verify: not trusted",
                      exchanges=(ex,))


def not_registered(result: Result) -> Result:
    """For `check`, which never registers a payment: UNKNOWN means RETRY. Not for `status`."""
    if result.outcome == Outcome.UNKNOWN:
        return Result(Outcome.RETRY, result.code, result.message, result.upstream_id, False,
                      result.exchanges, result.extra)
    return result


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _charset(response: httpx.Response) -> str:
    return response.charset_encoding or "utf-8"
