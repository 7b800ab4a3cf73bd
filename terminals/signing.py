"""Server side of request signing: the canonical string and Ed25519 verification.

The kiosk has its own implementation (kiosk/signing.py, no Django); tests check the two
against each other and against the worked example in docs/terminal-api.md.
"""

import base64
import binascii
import hashlib
import re
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

NONCE_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
TERMINAL_RE = re.compile(r"[0-9]{1,20}")


def canonical(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """METHOD \\n PATH(with query) \\n TIMESTAMP \\n NONCE \\n hex(sha256(BODY)), as UTF-8."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{digest}".encode()


def b64decode_strict(value: str) -> bytes | None:
    """Standard base64 with padding, nothing else; None when it is not."""
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def public_key_valid(value: str) -> bool:
    """True for base64 of a raw 32-byte Ed25519 public key."""
    raw = b64decode_strict(value) if isinstance(value, str) and len(value) <= 64 else None
    if raw is None or len(raw) != 32:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=4096)
def _public_key(value: str) -> Ed25519PublicKey:
    # Parsed keys are cached by their text: a new key is a new cache entry, never a stale one.
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(value))


def verify(public_key_b64: str, signature_b64: str, message: bytes) -> bool:
    """True when `signature_b64` is a valid Ed25519 signature of `message` by the key."""
    signature = b64decode_strict(signature_b64)
    if signature is None or len(signature) != 64:
        return False
    try:
        _public_key(public_key_b64).verify(signature, message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
