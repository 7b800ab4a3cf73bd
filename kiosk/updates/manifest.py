"""The release manifest: canonical bytes, the Ed25519 signature over them, the key chain, versions.

A signed manifest (the detached `.manifest.json` uploaded beside the archive) is
`{"manifest": {...}, "signature": b64, "chain": [{"public_key": b64, "signature": b64}, ...]}`:
the signature is by the last key of the chain, and each chain link is a successor key signed by the
key before it, the first by a built-in key. An empty chain means signed by a built-in key itself.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = 1
VERSION_RE = re.compile(r"^[0-9]{1,6}(\.[0-9]{1,6}){0,3}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_FILES = 5000
# Domain separation: a successor-key signature can never pass for a manifest signature or back.
KEY_CONTEXT = b"KIT release successor key v1\n"
MANIFEST_CONTEXT = b"KIT release manifest v1\n"


class ManifestError(ValueError):
    """A manifest refused; `code` is stable (the heartbeat reports it), the message says which part."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def canonical(manifest: dict) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def version_tuple(version: str) -> tuple[int, ...]:
    """"0.10.2" -> (0, 10, 2, 0): compared numerically, missing parts count as 0."""
    if not isinstance(version, str) or not VERSION_RE.fullmatch(version):
        raise ManifestError("bad_version", f"not a version: {version!r}")
    parts = tuple(int(p) for p in version.split("."))
    return parts + (0,) * (4 - len(parts))


def safe_path(path) -> bool:
    """A relative POSIX path with no `..`, no empty or `.` part, no backslash or NUL."""
    if not isinstance(path, str) or not path or len(path) > 255 or path.startswith("/"):
        return False
    if "\\" in path or "\x00" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def check_shape(manifest) -> dict:
    """The manifest's fields, each checked; ManifestError otherwise."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ManifestError("bad_manifest", "not a format-1 manifest")
    version_tuple(manifest.get("version"))
    version_tuple(manifest.get("min_version"))
    archive = manifest.get("archive")
    if not (isinstance(archive, dict) and isinstance(archive.get("size"), int) and archive["size"] >= 0
            and isinstance(archive.get("sha256"), str) and SHA256_RE.fullmatch(archive["sha256"])):
        raise ManifestError("bad_manifest", "archive must be {size, sha256}")
    files = manifest.get("files")
    if not isinstance(files, list) or not files or len(files) > MAX_FILES:
        raise ManifestError("bad_manifest", "files must be a non-empty list")
    seen = set()
    for item in files:
        if not (isinstance(item, dict) and safe_path(item.get("path")) and isinstance(item.get("size"), int)
                and item["size"] >= 0 and isinstance(item.get("sha256"), str) and SHA256_RE.fullmatch(item["sha256"])):
            raise ManifestError("bad_manifest", f"bad file entry {item!r:.100}")
        if item["path"] in seen:
            raise ManifestError("bad_manifest", f"{item['path']} listed twice")
        seen.add(item["path"])
    return manifest


def public_key(raw_b64: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(raw_b64, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError, TypeError):
        raise ManifestError("bad_key", "a public key must be 32 bytes in base64") from None


def _verify(key_b64: str, signature_b64, message: bytes) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key(key_b64).verify(signature, message)
    except (InvalidSignature, binascii.Error, ValueError, TypeError, ManifestError):
        return False
    return True


def successor_message(public_key_b64: str) -> bytes:
    return KEY_CONTEXT + public_key_b64.encode("ascii")


def manifest_message(manifest: dict) -> bytes:
    return MANIFEST_CONTEXT + canonical(manifest)


def verify_signed(doc, trusted: list[str]) -> dict:
    """The manifest of a signed-manifest document whose signature chains to a `trusted` key.

    ManifestError `bad_signature` when the chain or the signature does not verify, `bad_manifest` when
    the manifest's fields are wrong.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("manifest"), dict):
        raise ManifestError("unsigned", "not a signed manifest: {manifest, signature, chain}")
    if not isinstance(doc.get("signature"), str) or not doc["signature"]:
        raise ManifestError("unsigned", "the manifest carries no signature")
    chain = doc.get("chain") or []
    if not isinstance(chain, list) or len(chain) > 8:
        raise ManifestError("bad_signature", "chain must be a short list")
    signers = list(trusted)
    for link in chain:
        key = link.get("public_key") if isinstance(link, dict) else None
        if not isinstance(key, str) or not any(_verify(s, link.get("signature"), successor_message(key))
                                               for s in signers):
            raise ManifestError("bad_signature", "a successor key is not signed by a trusted key")
        signers = [key]
    if not any(_verify(s, doc["signature"], manifest_message(doc["manifest"])) for s in signers):
        raise ManifestError("bad_signature", "the manifest's signature does not verify with a trusted key")
    return check_shape(doc["manifest"])
