"""Release fixtures for the update tests: keys, fake kiosk releases, archives, and a fake signed API."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import tarfile
import threading
from decimal import Decimal
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.signing import public_key_b64
from kiosk.updates.manifest import FORMAT, manifest_message

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
TRUSTED = [public_key_b64(KEY)]


def fake_kiosk(version: str, health_exit: int = 0) -> dict[str, bytes]:
    """The files of a tiny stand-in kiosk whose `python -m kiosk health` exits with `health_exit`."""
    return {
        "kiosk/__init__.py": f'__version__ = "{version}"\n'.encode(),
        "kiosk/__main__.py": (f"import sys\nprint('health of {version}', file=sys.stderr)\n"
                              f"sys.exit({health_exit})\n").encode(),
    }


def tar_bytes(entries: list) -> bytes:
    """entries: (name, bytes) regular files, or ready TarInfo objects (links, devices)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
            else:
                name, data = entry
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def signed(version: str, files: dict[str, bytes], archive: bytes, *, key=KEY, min_version: str = "0",
           chain=None) -> dict:
    """A signed manifest of `files` (what the build machine saw) for `archive` (what is served)."""
    manifest = {"format": FORMAT, "version": version, "min_version": min_version,
                "archive": {"size": len(archive), "sha256": hashlib.sha256(archive).hexdigest()},
                "files": [{"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                          for p, d in sorted(files.items())]}
    return {"manifest": manifest, "signature": base64.b64encode(key.sign(manifest_message(manifest))).decode(),
            "chain": chain or []}


def command_for(doc: dict) -> dict:
    archive = doc["manifest"]["archive"]
    return {"version": doc["manifest"]["version"], "sha256": archive["sha256"], "size": archive["size"]}


class FakeApi:
    """Serves /releases/<v>/manifest and /releases/<v>/archive with Range, like the platform does."""

    def __init__(self):
        self.releases: dict[str, tuple[dict, bytes]] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.fail_after: int | None = None  # raise a connection error once this many archive requests were served

    def add(self, doc: dict, archive: bytes) -> dict:
        self.releases[doc["manifest"]["version"]] = (doc, archive)
        return command_for(doc)

    def call(self, method, path, doc=None, headers=None, **kw):
        self.requests.append((path, (headers or {}).get("Range")))
        m = re.fullmatch(r"/releases/([^/]+)/(manifest|archive)", path)
        if not m or m.group(1) not in self.releases:
            return httpx.Response(404, json={"error": {"code": "not_found"}})
        signed_doc, archive = self.releases[m.group(1)]
        if m.group(2) == "manifest":
            return httpx.Response(200, json=signed_doc)
        served = sum(1 for p, _ in self.requests if p.endswith("/archive")) - 1
        if self.fail_after is not None and served >= self.fail_after:
            raise httpx.ReadError("connection reset")
        start, end = (int(x) for x in re.fullmatch(r"bytes=(\d+)-(\d+)", headers["Range"]).groups())
        body = archive[start:end + 1]
        return httpx.Response(206, content=body,
                              headers={"Content-Range": f"bytes {start}-{start + len(body) - 1}/{len(archive)}"})


def install_root(tmp_path: Path, version: str = "0.2.0") -> Path:
    """/opt/kit-kiosk as a release install leaves it: releases/<version>/ and `current` pointing at it."""
    root = tmp_path / "opt"
    release = root / "releases" / version
    for name, data in fake_kiosk(version).items():
        (release / name).parent.mkdir(parents=True, exist_ok=True)
        (release / name).write_bytes(data)
    (root / "current").symlink_to(f"releases/{version}")
    return root


def current(root: Path) -> str:
    return (root / "current").readlink().as_posix()


class FakeFlow:
    """What the updater reads of the flow: its state, its lock, its store's open session."""

    def __init__(self, store, state="idle"):
        from kiosk.flow.table import S

        self.store = store
        self.state = S(state)
        self.lock = threading.RLock()
        self.updating = False


def outbox_payment(store) -> str:
    """A finished cash payment waiting in the outbox; returns its txn."""
    store.server_last_txn_seen("100")
    session = store.session_open(provider="demo", provider_name="Demo", account="9161234567", fields={},
                                 offline=False, now="2026-12-07T01:00:00+00:00")
    txn, _ = store.note_stacked(payment_id=session.id, value=Decimal("500.00"), bill_type=4,
                                now="2026-12-07T01:00:01+00:00")
    store.note_acked(session.id)
    store.finish(payment_id=session.id, fee=Decimal("0.00"), credited=Decimal("500.00"),
                 paid_at="2026-12-07T01:00:02+00:00", not_passed=False, doc={"txn": txn, "amount": "500.00"})
    store.receipt_set(session.id, "printed")
    return txn
