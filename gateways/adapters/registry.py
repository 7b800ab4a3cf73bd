"""Gateway code -> adapter class. One explicit line per adapter (no dynamic loading)."""

from .base import Adapter

ADAPTERS: dict[str, type[Adapter]] = {}

from .cyberplat import CyberPlatAdapter  # noqa: E402

ADAPTERS["cyberplat"] = CyberPlatAdapter

from .comepay import ComePayAdapter  # noqa: E402
from .contact import ContactAdapter  # noqa: E402
from .osmp import OsmpAdapter  # noqa: E402
from .provider import ProviderAdapter  # noqa: E402

ADAPTERS["osmp"] = OsmpAdapter
ADAPTERS["contact"] = ContactAdapter
ADAPTERS["comepay"] = ComePayAdapter
ADAPTERS["provider"] = ProviderAdapter
