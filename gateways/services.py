"""Gateway operations: configs and adapters for the engine, our side of a key exchange."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from . import http
from .adapters.base import Adapter, GatewayConfig
from .adapters.registry import ADAPTERS
from .keys import rsa_generate
from .models import Gateway

ClientFactory = Callable[[], httpx.Client]

# Which HTTP client the engine's adapters get. Production: the network (gateways/http.py).
# The simulators app (only with KIT_SIMULATORS on: their "down" switch) and the tests
# (in-process simulators) put theirs here; the adapter still receives it through its
# constructor, so no adapter and no HTTP module knows about them.
_client_factory: ClientFactory = http.client


def adapter_client_use(factory: ClientFactory | None) -> ClientFactory:
    """Give every adapter built by `adapter_for` a client from `factory` (None: the network).

    Returns the factory it replaces, so a caller can put it back.
    """
    global _client_factory
    previous, _client_factory = _client_factory, factory or http.client
    return previous


def gateway_config(gateway: Gateway) -> GatewayConfig:
    return GatewayConfig(code=gateway.code, base_url=gateway.base_url.rstrip("/"), params=dict(gateway.params),
                         secret=gateway.secret or "", private_key_pem=gateway.private_key or "",
                         peer_public_key_pem=gateway.peer_public_key or "",
                         connect_timeout=gateway.connect_timeout, read_timeout=gateway.read_timeout)


def adapter_for(gateway: Gateway, *, config: GatewayConfig | None = None,
                client: httpx.Client | None = None) -> Adapter:
    """The adapter speaking this gateway's protocol (`config`: a tweaked copy of its own)."""
    return ADAPTERS[gateway.protocol](config or gateway_config(gateway), client=client or _client_factory())


def gateway_client() -> httpx.Client:
    """The HTTP client adapters get now (other calls to a gateway's host use the same)."""
    return _client_factory()


def gateway_keys_set(*, gateway: Gateway, private_key: str | None = None, peer_public_key: str | None = None,
                     secret: str | None = None) -> Gateway:
    """Our half of a key exchange: our private key, the gateway's public key, the password it issued."""
    fields = []
    for name, value in (("private_key", private_key), ("peer_public_key", peer_public_key), ("secret", secret)):
        if value is not None:
            setattr(gateway, name, value)
            fields.append(name)
    if fields:
        gateway.save(update_fields=fields)
    return gateway


def gateway_keys_generate(*, gateway: Gateway) -> str:
    """A fresh key pair for us at this gateway; returns the public key to hand to the gateway."""
    private, public = rsa_generate()
    gateway_keys_set(gateway=gateway, private_key=private)
    return public
