"""Kiosk side of request signing (Ed25519), written from the contract in docs/terminal-api.md."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

NONCE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


def string_to_sign(method: str, path: str, timestamp: str | int, nonce: str, body: bytes) -> bytes:
    """The exact bytes that are signed: METHOD, PATH with query, TIMESTAMP, NONCE, sha256(BODY) hex."""
    return "\n".join([method.upper(), path, str(timestamp), nonce, hashlib.sha256(body).hexdigest()]).encode("utf-8")


def new_nonce() -> str:
    """32 random characters of [A-Za-z0-9_-]."""
    return "".join(secrets.choice(NONCE_ALPHABET) for _ in range(32))


def sign(key: Ed25519PrivateKey, method: str, path: str, timestamp: str | int, nonce: str, body: bytes) -> str:
    """base64 of the Ed25519 signature over string_to_sign(...)."""
    return base64.b64encode(key.sign(string_to_sign(method, path, timestamp, nonce, body))).decode("ascii")


def signed_headers(key: Ed25519PrivateKey, terminal: str, method: str, path: str, body: bytes,
                   timestamp: int, nonce: str | None = None) -> dict[str, str]:
    nonce = nonce or new_nonce()
    return {
        "X-KIT-Terminal": terminal,
        "X-KIT-Timestamp": str(timestamp),
        "X-KIT-Nonce": nonce,
        "X-KIT-Signature": sign(key, method, path, timestamp, nonce, body),
    }


def key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    """The key whose 32-byte private seed is `seed` (the worked example uses a fixed one)."""
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_b64(key: Ed25519PrivateKey) -> str:
    """base64 of the raw 32-byte public key, as /enroll wants it."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def key_save(key: Ed25519PrivateKey, path: Path) -> None:
    """Write the 32-byte seed as base64, readable by the owner only (0600 from the start)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(base64.b64encode(seed).decode("ascii") + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def key_load(path: Path) -> Ed25519PrivateKey:
    return key_from_seed(base64.b64decode(path.read_text().strip()))
