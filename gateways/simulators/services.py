"""Simulator provisioning: the two parties of a gateway exchange keys and a password.

A real gateway never knows our secrets: it holds its own private key, our public key and
the password it issued to us. The demo loader and the tests play both parties here.
"""

from __future__ import annotations

import secrets

from django.db import transaction

from gateways import keys as gw_keys
from gateways.models import Gateway
from gateways.services import gateway_keys_set

from .models import SimulatorState


@transaction.atomic
def simulator_provision(*, gateway: Gateway, keys: tuple[tuple[str, str], tuple[str, str]] | None = None,
                        sim_params: dict | None = None) -> SimulatorState:
    """Give a gateway and its simulator fresh key pairs, each knowing only the other's public key.

    `keys` = ((our private, our public), (simulator private, simulator
    public)); generated when omitted (tests pass cached ones: RSA generation is slow). The
    simulator issues the password: the gateway's current secret when it has one (the demo's
    fixed passwords), else a new random one, which our side then stores.
    """
    ours, theirs = keys or (gw_keys.rsa_generate(), gw_keys.rsa_generate())
    password = gateway.secret or secrets.token_urlsafe(18)
    sim, _ = SimulatorState.objects.get_or_create(code=gateway.protocol)
    sim.private_key, sim.peer_public_key = theirs[0], ours[1]
    sim.params = {**(sim_params if sim_params is not None else sim.params), "password": password}
    sim.save()
    gateway_keys_set(gateway=gateway, private_key=ours[0], peer_public_key=theirs[1], secret=password)
    return sim


def simulator_set(*, code: str, **changes) -> SimulatorState:
    """Change a simulator's switches (`down`, `latency_ms`) or its params (merged)."""
    sim, _ = SimulatorState.objects.get_or_create(code=code)
    params = changes.pop("params", None)
    for name, value in changes.items():
        setattr(sim, name, value)
    if params is not None:
        sim.params = {**sim.params, **params}
    sim.save()
    return sim
