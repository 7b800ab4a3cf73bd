"""The gateways app's parts stay apart: read from the import statements of the source tree."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIMULATORS = "gateways.simulators"
# The demo loader plays both parties of the key exchange, and the bench drives the
# simulators' latency switch: both are tooling around the outside systems, not the platform.
MAY_IMPORT_SIMULATORS = {"kit.demo", "bench.setup"}


def _modules():
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {".venv", "tests", "node_modules"} or "migrations" in rel.parts:
            continue
        name = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        yield name, path


def _imports(name: str, path: Path) -> set[str]:
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def test_no_module_outside_the_simulators_imports_them():
    offenders = sorted(
        name for name, path in _modules()
        if not (name == SIMULATORS or name.startswith(SIMULATORS + ".")) and name not in MAY_IMPORT_SIMULATORS
        and any(i == SIMULATORS or i.startswith(SIMULATORS + ".") for i in _imports(name, path)))
    assert offenders == []


def test_no_adapter_module_imports_the_orm_or_any_models():
    offenders = {}
    for name, path in _modules():
        if not name.startswith("gateways.adapters"):
            continue
        bad = {i for i in _imports(name, path)
               if i.startswith("django.db") or i.endswith(".models") or ".models." in i}
        if bad:
            offenders[name] = sorted(bad)
    assert offenders == {}


def test_the_adapters_http_client_knows_nothing_of_simulators_or_django():
    imports = _imports("gateways.http", ROOT / "gateways" / "http.py")
    assert not any(i.startswith("django") or "simulators" in i or "models" in i for i in imports)


def test_every_signed_adapter_says_keys_with_one_code_when_a_key_is_missing():
    from datetime import UTC, datetime
    from decimal import Decimal

    from gateways.adapters.base import KEYS_MISSING, GatewayConfig, Order, Outcome
    from gateways.adapters.registry import ADAPTERS

    order = Order(attempt_id="1", remote_id="mt", account="9161234567", amount=Decimal("10.00"),
                  credited=Decimal("10.00"), paid_at=datetime(2026, 1, 1, tzinfo=UTC))
    for code in ("cyberplat", "osmp", "contact", "comepay"):
        adapter = ADAPTERS[code](GatewayConfig(code=code, base_url="http://gw.test"), client=object())
        result = adapter.pay(order)
        assert (code, result.outcome, result.code) == (code, Outcome.CONFIG, KEYS_MISSING)
