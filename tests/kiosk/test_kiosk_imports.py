"""The kiosk program runs on the terminal: no Django and none of the server's apps in its import graph."""

import ast
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SERVER = {"django", "kit", "payments", "terminals", "dealers", "providers", "gateways", "claims", "support",
          "reconcile", "rest_framework", "celery", "screens", "alerts", "accounts", "updates"}


def test_no_kiosk_module_imports_django_or_a_server_app():
    offenders = []
    for path in sorted((REPO / "kiosk").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(REPO)}: {n}" for n in names if n.split(".")[0] in SERVER]
    assert offenders == []


def test_importing_every_kiosk_module_loads_no_server_module():
    modules = sorted("kiosk." + ".".join(p.relative_to(REPO / "kiosk").with_suffix("").parts)
                     for p in (REPO / "kiosk").rglob("*.py")
                     if p.name not in ("__main__.py",))
    modules = [m.removesuffix(".__init__") for m in modules]
    code = ("import importlib, json, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "print(json.dumps(sorted({n.split('.')[0] for n in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin"})
    loaded = set(json.loads(out.stdout))
    assert "kiosk" in loaded
    assert loaded & SERVER == set()
