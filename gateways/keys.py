"""RSA keys for gateway signatures (PEM in, PEM out).

Parsed keys are cached per process by their PEM text: loading an RSA private key runs
OpenSSL's key validation, ~27 ms of CPU on the bench machine, against ~0.25 ms for the
signature itself, and every exchange signs (bench: 4 loads a submission, both sides). A
rotated key is new text, so it is parsed afresh; the cache holds a handful of keys.

One thread parses a key while the others wait for it (`parsed_once`): with `lru_cache` every
worker thread that missed at once parsed it too, and a worker's threads all start together
(the bench: ~16 parses of ~27 ms per process at start, ~0.6-0.9 ms a submission over a run).
"""

import functools
import threading

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

HASHES = {"md5": hashes.MD5, "sha1": hashes.SHA1, "sha256": hashes.SHA256}


def rsa_generate(bits: int = 2048) -> tuple[str, str]:
    """(private PEM, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def parsed_once(maxsize: int):
    """A memo for parsed keys: hits without a lock, a miss computed once under one (never an error)."""

    def decorate(fn):
        cache: dict = {}
        lock = threading.Lock()

        @functools.wraps(fn)
        def wrapper(*args):
            try:
                return cache[args]
            except KeyError:
                pass
            with lock:
                if args not in cache:
                    value = fn(*args)
                    if len(cache) >= maxsize:  # keys are rotated rarely: start afresh
                        cache.clear()
                    cache[args] = value
                return cache[args]

        wrapper.cache_clear = cache.clear
        return wrapper

    return decorate


@parsed_once(maxsize=32)
def load_private(pem: str) -> rsa.RSAPrivateKey:
    return serialization.load_pem_private_key(pem.encode(), password=None)


@parsed_once(maxsize=64)
def load_public(pem: str) -> rsa.RSAPublicKey:
    return serialization.load_pem_public_key(pem.encode())


def rsa_sign(private_pem: str, data: bytes, hash_name: str = "sha256") -> bytes:
    return load_private(private_pem).sign(data, padding.PKCS1v15(), HASHES[hash_name]())


def rsa_verify(public_pem: str, signature: bytes, data: bytes, hash_name: str = "sha256") -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        load_public(public_pem).verify(signature, data, padding.PKCS1v15(), HASHES[hash_name]())
    except (InvalidSignature, ValueError):
        return False
    return True


def detached_signature_ok(public_pem: str, signature_b64: str, data: bytes, hash_name: str = "sha256") -> bool:
    """A base64 RSA signature (from a reply header) over `data`; False when absent or malformed."""
    import base64
    import binascii

    try:
        signature = base64.b64decode(signature_b64 or "", validate=True)
    except (binascii.Error, ValueError):
        return False
    return bool(signature) and rsa_verify(public_pem, signature, data, hash_name)
