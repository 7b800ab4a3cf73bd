"""The worked signing example in docs/terminal-api.md, checked against server and kiosk alike."""

import hashlib
import re
from pathlib import Path

import pytest

from kiosk.signing import key_from_seed, public_key_b64, sign, string_to_sign
from terminals import signing as server

DOC = Path(__file__).resolve().parents[2] / "docs" / "terminal-api.md"


@pytest.fixture(scope="module")
def example() -> dict:
    text = DOC.read_text()
    block = re.search(r"<!-- worked-example -->\s*```\n(.*?)```", text, re.S).group(1)
    return dict(re.match(r"(\w+):\s+(.*)$", line).groups() for line in block.strip().splitlines())


def test_the_example_body_hashes_as_documented(example):
    assert hashlib.sha256(example["body"].encode()).hexdigest() == example["body_sha256"]


def test_the_example_public_key_is_the_seeds(example):
    assert public_key_b64(key_from_seed(bytes.fromhex(example["seed_hex"]))) == example["public_key"]


def test_the_kiosk_client_makes_the_documented_signature(example):
    key = key_from_seed(bytes.fromhex(example["seed_hex"]))
    signature = sign(key, example["method"], example["path"], example["timestamp"], example["nonce"],
                     example["body"].encode())
    assert signature == example["signature"]


def test_the_server_verifies_the_documented_signature(example):
    message = server.canonical(example["method"], example["path"], example["timestamp"], example["nonce"],
                               example["body"].encode())
    assert message == string_to_sign(example["method"], example["path"], example["timestamp"], example["nonce"],
                                     example["body"].encode())
    assert server.verify(example["public_key"], example["signature"], message)
    assert not server.verify(example["public_key"], example["signature"], message.replace(b"POST", b"PUT"))


def test_the_documented_string_to_sign_is_the_one_signed(example):
    text = DOC.read_text()
    shown = re.search(r"The string signed.*?```\n(.*?)\n```", text, re.S).group(1)
    assert shown.encode() == string_to_sign(example["method"], example["path"], example["timestamp"],
                                            example["nonce"], example["body"].encode())


@pytest.mark.django_db
def test_the_server_accepts_the_example_request_end_to_end(example, terminal, transport, monkeypatch):
    """The documented headers and body, sent as is, make a payment (with the clock set to the example)."""
    import httpx

    from terminals.api import auth

    terminal.public_key = example["public_key"]
    terminal.save(update_fields=["public_key"])
    monkeypatch.setattr(auth, "clock", lambda: int(example["timestamp"]) + 10)
    headers = {"Content-Type": "application/json", "X-KIT-Terminal": terminal.number,
               "X-KIT-Timestamp": example["timestamp"], "X-KIT-Nonce": example["nonce"],
               "X-KIT-Signature": example["signature"]}
    with httpx.Client(transport=transport, base_url="http://testserver") as http:
        response = http.post(example["path"], content=example["body"].encode(), headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["txn"] == "42"
