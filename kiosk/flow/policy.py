"""The offline acceptance policy: what the kiosk may take while it cannot reach the server."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ..money import ZERO, local_now


def offline_queue_full(cfg, store) -> bool:
    """The unsent queue has reached a limit: count, amount, or the age of its oldest payment."""
    limits = cfg.offline
    q = store.queue_summary()
    if q["count"] >= limits.max_queue_count or q["amount"] >= limits.max_queue_amount:
        return True
    if q["oldest_at"]:
        age = (local_now() - datetime.fromisoformat(q["oldest_at"])).total_seconds()
        if age > limits.max_age_hours * 3600:
            return True
    return False


def offline_policy(cfg, store, provider: dict) -> tuple[bool, Decimal]:
    """(allowed offline, the most one offline payment may take) for this provider.

    Allowed: the local [offline.providers.<code>] overrides the server's `offline.allowed`. The cap is
    the least of the provider's maximum, its offline maximum (server and local), the kiosk's
    max_payment and the room left under max_queue_amount."""
    local = cfg.offline.providers.get(provider["code"], {})
    server = provider.get("offline") or {}
    allowed = bool(local.get("allowed", server.get("allowed", False)))
    caps = [Decimal(provider["limits"]["max"]), cfg.offline.max_payment]
    for value in (server.get("max_amount"), local.get("max_amount")):
        if value:
            caps.append(Decimal(str(value)))
    room = cfg.offline.max_queue_amount - store.queue_summary()["amount"]
    caps.append(max(room, ZERO))
    return allowed, min(caps)


def provider_available(cfg, store, provider: dict, *, online: bool) -> bool:
    if online:
        return True
    allowed, cap = offline_policy(cfg, store, provider)
    return allowed and cap >= Decimal(provider["limits"]["min"]) and not offline_queue_full(cfg, store)
