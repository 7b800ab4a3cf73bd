import base64
import hashlib
import re
import stat

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.signing import key_load, key_save, new_nonce, public_key_b64, signed_headers, string_to_sign


def test_the_string_to_sign_has_five_lines_and_the_body_hash():
    body = b'{"a":1}'
    s = string_to_sign("post", "/api/terminal/v1/payments?x=1", 1700000000, "n" * 16, body)
    assert s.decode().split("\n") == ["POST", "/api/terminal/v1/payments?x=1", "1700000000", "n" * 16,
                                      hashlib.sha256(body).hexdigest()]


def test_an_empty_body_hashes_to_the_sha256_of_nothing():
    assert string_to_sign("GET", "/p", 1, "n" * 16, b"").endswith(
        b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


def test_nonces_are_fresh_and_in_the_allowed_alphabet():
    nonces = {new_nonce() for _ in range(100)}
    assert len(nonces) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16,64}", n) for n in nonces)


def test_signed_headers_verify_with_the_public_key():
    key = Ed25519PrivateKey.generate()
    headers = signed_headers(key, "1001", "GET", "/api/terminal/v1/config", b"", 1700000000, "abcdefghijklmnop")
    assert headers["X-KIT-Terminal"] == "1001"
    assert headers["X-KIT-Timestamp"] == "1700000000"
    key.public_key().verify(base64.b64decode(headers["X-KIT-Signature"]),
                            string_to_sign("GET", "/api/terminal/v1/config", 1700000000, "abcdefghijklmnop", b""))


def test_the_public_key_is_32_raw_bytes_in_base64():
    assert len(base64.b64decode(public_key_b64(Ed25519PrivateKey.generate()))) == 32


def test_a_saved_key_is_private_to_its_owner_and_loads_back(tmp_path):
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "var" / "kiosk" / "1001.key"
    key_save(key, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert public_key_b64(key_load(path)) == public_key_b64(key)
