"""Bench world: the demo data, a bench dealer whose balance never runs out, its signed terminal,
the minimal view's table, the gateways pointed at the simulator server. Idempotent.

Usage (Django settings from the environment): python -m bench.setup --key var/bench/terminal.key
"""

import argparse
import os
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kit.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from dealers.models import Dealer  # noqa: E402
from dealers.services import dealer_create, dealer_topup  # noqa: E402
from gateways.models import Gateway  # noqa: E402
from gateways.simulators.models import SimulatorState  # noqa: E402
from kiosk.signing import key_load, key_save, public_key_b64  # noqa: E402
from kit.demo import demo_load  # noqa: E402
from terminals.models import Terminal  # noqa: E402

from .views import ensure_table  # noqa: E402

TERMINAL = "8001"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", type=Path, required=True)
    ap.add_argument("--latency-ms", type=int, default=300)
    args = ap.parse_args()
    world = demo_load()
    dealer = Dealer.objects.filter(name="Bench").first() or dealer_create(name="Bench")
    if dealer.balance < Decimal("100000000"):
        dealer_topup(dealer=dealer, amount=Decimal("1000000000.00"), comment="bench: never runs out")
    if not args.key.exists():
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key_save(Ed25519PrivateKey.generate(), args.key)
    terminal, _ = Terminal.objects.get_or_create(number=TERMINAL, defaults={"dealer": dealer, "address": "bench"})
    terminal.public_key = public_key_b64(key_load(args.key))
    terminal.status = Terminal.Status.ACTIVE
    terminal.save(update_fields=["public_key", "status"])
    terminal.providers.set(world["providers"])
    ensure_table()
    base = settings.KIT_SIMULATOR_BASE_URL.rstrip("/")
    for gw in Gateway.objects.all():
        gw.base_url = f"{base}/sim/{gw.code}/"
        gw.save(update_fields=["base_url"])
    SimulatorState.objects.filter(code="cyberplat").update(latency_ms=args.latency_ms, down=False)
    print(f"bench terminal {TERMINAL}, dealer balance {Dealer.objects.get(pk=dealer.pk).balance}")


if __name__ == "__main__":
    main()
