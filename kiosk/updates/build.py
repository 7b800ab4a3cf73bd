"""On the build machine only: release keys and release archives. The server never imports this module.

`python -m kiosk release key-create --out release.key` writes a new private key (0600) and prints its
public half; `key-successor --key CURRENT --successor NEW.pub --out NEW.chain.json` signs a successor;
`build --version V --source DIR --key KEY --out FILE [--min-version M] [--chain FILE]` writes FILE (the
tar.gz of DIR's files) and FILE.manifest.json (the detached signed manifest).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..signing import key_load, key_save, public_key_b64
from .manifest import (
    FORMAT,
    ManifestError,
    check_shape,
    manifest_message,
    safe_path,
    successor_message,
    version_tuple,
)

SKIP_PARTS = {"__pycache__", ".git"}


def key_create(out: Path) -> str:
    """A new release key written to `out` (0600); returns its public key in base64."""
    if out.exists():
        raise FileExistsError(f"{out} exists: a release key is never overwritten")
    key = Ed25519PrivateKey.generate()
    key_save(key, out)
    return public_key_b64(key)


def successor_sign(*, key: Ed25519PrivateKey, successor_public: str, chain: list | None = None) -> list:
    """The chain that lets kiosks trusting `key` accept manifests signed by the successor."""
    return list(chain or []) + [{"public_key": successor_public,
                                 "signature": base64.b64encode(key.sign(successor_message(successor_public)))
                                 .decode("ascii")}]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def source_files(source: Path) -> list[Path]:
    """Regular files under `source`, sorted; links and special files refused (they would not be verified)."""
    out = []
    for root, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_PARTS)
        for name in sorted(files):
            path = Path(root) / name
            if name.endswith((".pyc", ".pyo")):
                continue
            if path.is_symlink() or not path.is_file():
                raise ManifestError("bad_entry", f"{path} is not a regular file")
            out.append(path)
    return out


def build(*, version: str, source: Path, key: Ed25519PrivateKey, out: Path, min_version: str = "0",
          chain: list | None = None) -> dict:
    """Write the archive `out` and the signed manifest `out`.manifest.json; returns the signed document."""
    if version_tuple(min_version) >= version_tuple(version):
        raise ManifestError("bad_version", "the minimum version must be below the version")
    files = []
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for path in source_files(source):
            rel = path.relative_to(source).as_posix()
            if not safe_path(rel):
                raise ManifestError("bad_entry", f"{rel} is not a safe path")
            data = path.read_bytes()
            info = tarfile.TarInfo(rel)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
            files.append({"path": rel, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    archive = buffer.getvalue()
    manifest = check_shape({"format": FORMAT, "version": version, "min_version": min_version,
                            "archive": {"size": len(archive), "sha256": hashlib.sha256(archive).hexdigest()},
                            "files": files})
    doc = {"manifest": manifest, "signature": base64.b64encode(key.sign(manifest_message(manifest))).decode(),
           "chain": list(chain or [])}
    out.write_bytes(archive)
    manifest_path(out).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return doc


def manifest_path(archive: Path) -> Path:
    return archive.with_name(archive.name + ".manifest.json")


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="release_command", required=True)
    create = sub.add_parser("key-create", help="create a release key (keep it offline)")
    create.add_argument("--out", required=True, type=Path)
    succ = sub.add_parser("key-successor", help="sign a successor key with the current release key")
    succ.add_argument("--key", required=True, type=Path, help="the current private release key")
    succ.add_argument("--successor", required=True, help="the successor's public key (base64)")
    succ.add_argument("--chain", type=Path, help="the current key's own chain, if it is a successor itself")
    succ.add_argument("--out", required=True, type=Path, help="the chain file to pass to build --chain")
    b = sub.add_parser("build", help="build and sign a release archive")
    b.add_argument("--version", required=True)
    b.add_argument("--min-version", default="0", help="the lowest running version that may upgrade to it")
    b.add_argument("--source", required=True, type=Path)
    b.add_argument("--key", required=True, type=Path)
    b.add_argument("--chain", type=Path, help="chain file from key-successor when signing with a successor key")
    b.add_argument("--out", required=True, type=Path)


def run(args, out=print) -> int:
    try:
        if args.release_command == "key-create":
            out(key_create(args.out))
            return 0
        chain = json.loads(args.chain.read_text()) if args.chain else []
        if args.release_command == "key-successor":
            args.out.write_text(json.dumps(successor_sign(key=key_load(args.key), successor_public=args.successor,
                                                          chain=chain), indent=1) + "\n")
            out(f"chain written to {args.out}")
            return 0
        doc = build(version=args.version, source=args.source, key=key_load(args.key), out=args.out,
                    min_version=args.min_version, chain=chain)
        out(f"{args.out}: version {args.version}, {len(doc['manifest']['files'])} files, "
            f"sha256 {doc['manifest']['archive']['sha256']}; manifest {manifest_path(args.out)}")
        return 0
    except (ManifestError, OSError, ValueError) as exc:
        out(f"release: {exc}")
        return 2
