"""Gateway code -> adapter class. One explicit line per adapter (no dynamic loading)."""

from .base import Adapter

ADAPTERS: dict[str, type[Adapter]] = {}

from .cyberplat import CyberPlatAdapter  # noqa: E402

ADAPTERS["cyberplat"] = CyberPlatAdapter
