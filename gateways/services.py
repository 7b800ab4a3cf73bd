"""Gateway operations: configs and adapters for the engine, simulator provisioning."""

from django.db import transaction

from .adapters.base import Adapter, GatewayConfig
from .adapters.registry import ADAPTERS
from .keys import rsa_generate
from .models import Gateway, SimulatorState


def gateway_config(gateway: Gateway) -> GatewayConfig:
    return GatewayConfig(code=gateway.code, base_url=gateway.base_url.rstrip("/"), params=dict(gateway.params),
                         secret=gateway.secret or "", private_key_pem=gateway.private_key or "",
                         peer_public_key_pem=gateway.peer_public_key or "",
                         connect_timeout=gateway.connect_timeout, read_timeout=gateway.read_timeout)


def adapter_for(gateway: Gateway) -> Adapter:
    """The adapter speaking this gateway's protocol."""
    return ADAPTERS[gateway.protocol](gateway_config(gateway))


@transaction.atomic
def simulator_provision(*, gateway: Gateway, keys: tuple[tuple[str, str], tuple[str, str]] | None = None,
                        sim_params: dict | None = None) -> SimulatorState:
    """Give a gateway and its simulator fresh key pairs, each knowing the other's public key.

    `keys` = ((our private, our public), (simulator private, simulator public)); generated
    when omitted (tests pass cached ones: RSA generation is slow).
    """
    ours, theirs = keys or (rsa_generate(), rsa_generate())
    gateway.private_key, gateway.peer_public_key = ours[0], theirs[1]
    gateway.save(update_fields=["private_key", "peer_public_key"])
    sim, _ = SimulatorState.objects.get_or_create(code=gateway.protocol)
    sim.private_key, sim.peer_public_key = theirs[0], ours[1]
    if sim_params is not None:
        sim.params = sim_params
    sim.save()
    return sim
