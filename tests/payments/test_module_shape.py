"""The engine's modules import in one direction: tasks -> services, never back."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (inside functions too), resolved to absolute names."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            names.add(module)
            names |= {f"{module}.{a.name}" for a in node.names}
    return names


def test_no_payment_service_imports_the_tasks_module():
    offenders = {p.name for p in (ROOT / "payments" / "services").glob("*.py")
                 if "payments.tasks" in imported_modules(p)}
    assert offenders == set()


def test_the_dealers_services_do_not_import_payments():
    assert {m for m in imported_modules(ROOT / "dealers" / "services.py") if m.startswith("payments")} == set()


def test_the_resolver_sees_a_relative_import_of_the_tasks():
    # The check above must be able to fail: a relative import is resolved as Python does.
    probe = ROOT / "payments" / "services" / "_probe_shape.py"
    probe.write_text("def f():\n    from ..tasks import submit_payment\n")
    try:
        assert "payments.tasks" in imported_modules(probe)
    finally:
        probe.unlink()
