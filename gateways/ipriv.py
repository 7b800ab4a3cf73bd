"""CyberPlat's signed document ("IPriv"), byte for byte (docs/gateways/cyberplat.md).

A document is a 36-character header of lengths, two key-id lines, the body between
BEGIN/END and a PGP-2.x style signature packet in base64 armour with a CRC-24 line,
every line ending in CRLF:

    LLLLLLLLEETTBBBBBBBBDDDDDDDDSSSSSSSS    L: bytes after this field (no final CRLF)
    <key name, 20 wide><serial, 8 digits>    E: engine 01, T: SM signed message
    <20 spaces>00000000                      B: body bytes, D: signed bytes, S: sig block
    BEGIN
    <body: KEY=VALUE CRLF ...>
                                             (the empty line after the body)
    END
    BEGIN SIGNATURE
    <base64, 64 a line>
    =XXXX                                    CRC-24 of the decoded packets
    END SIGNATURE

The signature is RSA PKCS#1 v1.5 over MD5 of (body ‖ 9 bytes of metadata: sig type 01,
key serial, Unix time). The "modern" mode hashes with SHA-256 and writes hash id 8 in
the packet: the id the vendor's own library defines for SHA-256 (MD5 is id 1).
Keys are PEM (PKCS#8, optionally encrypted), not IPriv key files (docs/gateways/cyberplat.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .keys import parsed_once

CRLF = b"\r\n"
ENGINE = 1
SIGNED_MESSAGE = "SM"
SIG_TYPE = 0x01
PK_RSA = 1
HASH_MD5 = 1      # the classic hash ("compatible" mode, the default)
HASH_SHA256 = 8   # "modern" mode: the vendor library's own id for SHA-256
HASHES = {HASH_MD5: (hashes.MD5, hashlib.md5), HASH_SHA256: (hashes.SHA256, hashlib.sha256)}
MODES = {"compatible": HASH_MD5, "md5": HASH_MD5, "modern": HASH_SHA256, "sha256": HASH_SHA256}

TAG_SIGNATURE = 0x89  # old-format packet, tag 2, two-byte length (what libipriv writes, even for short ones)
TAG_TRUST = 0xB0      # old-format packet, tag 12, one-byte length
TRUST = bytes([TAG_TRUST, 0x01, 0xC7])

_HEADER = re.compile(rb"^(\d{8})(\d{2})([A-Z]{2})(\d{8})(\d{8})(\d{8})$")
_KEY_ID = re.compile(rb"^(.{20})(\d{8})$", re.S)
_B64_LINE = 64


class IPrivError(ValueError):
    """The document is malformed, its CRC-24 is wrong, or its signature does not verify."""


@dataclass(frozen=True)
class KeyId:
    name: str
    serial: int

    def line(self) -> bytes:
        if len(self.name) > 20 or not (0 <= self.serial <= 99_999_999):
            raise IPrivError("key name over 20 characters or serial over 8 digits")
        return f"{self.name:<20}{self.serial:08d}".encode("ascii") + CRLF


@dataclass(frozen=True)
class Signature:
    """The fields of one signature packet."""

    sig_type: int
    key_serial: int
    timestamp: int
    pk_algo: int
    hash_algo: int
    hash_msw: bytes   # the first two bytes of the digest, a quick pre-check
    bits: int         # the signature as an MPI: its bit count ...
    value: bytes      # ... and its big-endian bytes, leading zeros stripped

    @property
    def metadata(self) -> bytes:
        return struct.pack(">BII", self.sig_type, self.key_serial, self.timestamp)


@dataclass(frozen=True)
class Document:
    engine: int
    doc_type: str
    subject: KeyId
    ca: KeyId
    body: bytes
    data_length: int
    signature_block: bytes  # the armoured text between BEGIN/END SIGNATURE, "=XXXX" line included

    @property
    def signature(self) -> Signature:
        packets = dearmor(self.signature_block)
        return parse_signature_packets(packets)


# --- CRC-24 and armour -----------------------------------------------------------------
def _crc24_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
        table.append(crc & 0xFFFFFF)
    return tuple(table)


_CRC24_TABLE = _crc24_table()


def crc24(data: bytes) -> int:
    """OpenPGP CRC-24 (RFC 4880 §6.1): init 0xB704CE, polynomial 0x1864CFB.

    Byte-at-a-time with a 256-entry table: every signed document is armoured and checked,
    and the bitwise loop cost a submission about 2 ms of CPU.
    """
    crc = 0xB704CE
    table = _CRC24_TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFF) ^ table[((crc >> 16) ^ byte) & 0xFF]
    return crc


def armor(data: bytes) -> bytes:
    """Base64 in 64-character lines, then "=" + the base64 CRC-24; no CRLF after the last line."""
    encoded = base64.b64encode(data)
    lines = [encoded[i:i + _B64_LINE] for i in range(0, len(encoded), _B64_LINE)]
    lines.append(b"=" + base64.b64encode(crc24(data).to_bytes(3, "big")))
    return CRLF.join(lines)


def dearmor(block: bytes) -> bytes:
    """Decode an armoured block; the CRC-24 line is required and must match."""
    payload, crc = [], None
    for line in block.split(CRLF):
        if line.startswith(b"="):
            if crc is not None:
                raise IPrivError("two CRC lines")
            crc = line[1:]
        elif line:
            if crc is not None:
                raise IPrivError("data after the CRC line")
            payload.append(line)
    if crc is None:
        raise IPrivError("no CRC-24 line")
    try:
        data = base64.b64decode(b"".join(payload), validate=True)
        expected = int.from_bytes(base64.b64decode(crc, validate=True), "big")
    except (binascii.Error, ValueError) as exc:
        raise IPrivError(f"bad base64: {exc}") from None
    if len(crc) != 4 or crc24(data) != expected:
        raise IPrivError("CRC-24 mismatch")
    return data


# --- the signature packet --------------------------------------------------------------
def signature_packets(sig: Signature) -> bytes:
    """Signature packet (tag 2, two-byte length) followed by the trust packet B0 01 C7."""
    content = (bytes([3, len(sig.metadata)]) + sig.metadata + bytes([sig.pk_algo, sig.hash_algo])
               + sig.hash_msw + struct.pack(">H", sig.bits) + sig.value)
    return bytes([TAG_SIGNATURE]) + struct.pack(">H", len(content)) + content + TRUST


def parse_signature_packets(data: bytes) -> Signature:
    """The first packet must be a version-3 RSA signature with 9 bytes of metadata."""
    if len(data) < 3 or data[0] != TAG_SIGNATURE:
        raise IPrivError("not a signature packet")
    (length,) = struct.unpack(">H", data[1:3])
    content = data[3:3 + length]
    if len(content) != length or length < 17:
        raise IPrivError("short signature packet")
    rest = data[3 + length:]
    if rest and rest != TRUST:
        raise IPrivError("unexpected data after the signature packet")
    version, meta_len = content[0], content[1]
    if version != 3 or meta_len != 9:
        raise IPrivError(f"unsupported signature packet (version {version}, metadata {meta_len})")
    sig_type, serial, timestamp = struct.unpack(">BII", content[2:11])
    pk_algo, hash_algo = content[11], content[12]
    msw = content[13:15]
    (bits,) = struct.unpack(">H", content[15:17])
    value = content[17:]
    if len(value) != (bits + 7) // 8:
        raise IPrivError("signature length does not match its bit count")
    return Signature(sig_type, serial, timestamp, pk_algo, hash_algo, msw, bits, value)


NO_CA = KeyId("", 0)  # messages carry an all-zero CA key id


# --- the document ----------------------------------------------------------------------
def build(*, subject: KeyId, body: bytes, signature_block: bytes, ca: KeyId = NO_CA,
          doc_type: str = SIGNED_MESSAGE, engine: int = ENGINE, data_length: int | None = None) -> bytes:
    """Lay a document out exactly; the result has no CRLF after END SIGNATURE (as libipriv).

    The body is signed as given: real clients send it with or without a final CRLF, and
    the line break before END belongs to the layout, not to the body.
    """
    rest = (f"{engine:02d}{doc_type}{len(body):08d}"
            f"{len(body) if data_length is None else data_length:08d}{len(signature_block):08d}"
            ).encode("ascii") + CRLF
    rest += subject.line() + ca.line()
    rest += b"BEGIN" + CRLF + body + CRLF + b"END" + CRLF
    rest += b"BEGIN SIGNATURE" + CRLF + signature_block + CRLF + b"END SIGNATURE"
    return f"{len(rest):08d}".encode("ascii") + rest


def parse(text: bytes) -> Document:
    """Parse one document, checking every length in the header. Raises IPrivError."""
    if not isinstance(text, bytes | bytearray):
        raise IPrivError("a document is bytes")
    text = bytes(text).strip(b" \t\r\n")  # a document ends with END SIGNATURE: nothing after it counts
    try:
        header, pos = _line(text, 0)
        m = _HEADER.match(header)
        if not m:
            raise IPrivError("bad header")
        length, engine, doc_type, body_len, data_len, sig_len = (
            int(m.group(1)), int(m.group(2)), m.group(3).decode(), int(m.group(4)), int(m.group(5)),
            int(m.group(6)))
        if len(text) != 8 + length:
            raise IPrivError(f"document length {len(text)} does not match its header ({length})")
        subject, pos = _key_id(text, pos)
        ca, pos = _key_id(text, pos)
        body, pos = _block(text, pos, b"BEGIN", b"END", body_len)
        sig, pos = _block(text, pos, b"BEGIN SIGNATURE", b"END SIGNATURE", sig_len)
        if pos != len(text):
            raise IPrivError("trailing data after END SIGNATURE")
    except IndexError:
        raise IPrivError("truncated document") from None
    if doc_type == SIGNED_MESSAGE and data_len != body_len:
        raise IPrivError("signed length differs from the body length")
    return Document(engine, doc_type, subject, ca, body, data_len, sig)


def _line(text: bytes, pos: int) -> tuple[bytes, int]:
    end = text.find(CRLF, pos)
    if end < 0:
        if pos < len(text):  # the last line of a document carries no CRLF
            return text[pos:], len(text)
        raise IPrivError("truncated document")
    return text[pos:end], end + 2


def _key_id(text: bytes, pos: int) -> tuple[KeyId, int]:
    line, pos = _line(text, pos)
    m = _KEY_ID.match(line)
    if not m:
        raise IPrivError("bad key id line")
    try:
        name = m.group(1).decode("ascii").rstrip(" ")
    except UnicodeDecodeError:
        raise IPrivError("bad key name") from None
    return KeyId(name, int(m.group(2))), pos


def _block(text: bytes, pos: int, opening: bytes, closing: bytes, size: int) -> tuple[bytes, int]:
    line, pos = _line(text, pos)
    if line != opening:
        raise IPrivError(f"expected {opening.decode()}")
    data = text[pos:pos + size]
    if len(data) != size:
        raise IPrivError("block shorter than its header says")
    pos += size
    if text[pos:pos + 2] != CRLF:
        raise IPrivError(f"block size does not match before {closing.decode()}")
    line, pos = _line(text, pos + 2)
    if line != closing:
        raise IPrivError(f"expected {closing.decode()}")
    return data, pos


# --- signing and verification ----------------------------------------------------------
@parsed_once(maxsize=32)  # parsing ~27 ms, signing ~0.3 ms: once per key per process (keys.py)
def _private(pem: str, password: str) -> rsa.RSAPrivateKey:
    try:
        # The gateway's secret doubles as the passphrase, only for a key that is encrypted.
        encrypted = "ENCRYPTED" in pem
        key = serialization.load_pem_private_key(pem.encode(), password=password.encode() if encrypted else None)
    except (ValueError, TypeError) as exc:
        raise IPrivError(f"cannot load the private key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise IPrivError("the private key is not RSA")
    return key


@parsed_once(maxsize=32)
def _public(pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as exc:
        raise IPrivError(f"cannot load the public key: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise IPrivError("the public key is not RSA")
    return key


def sign(body: bytes, *, private_pem: str, serial: int, name: str = "", hash_algo: int = HASH_MD5,
         password: str = "", now: int | None = None) -> bytes:
    """A complete signed document (type SM) carrying `body`."""
    if hash_algo not in HASHES:
        raise IPrivError(f"unknown hash id {hash_algo}")
    key = _private(private_pem, password or "")
    timestamp = int(time.time() if now is None else now)
    metadata = struct.pack(">BII", SIG_TYPE, serial, timestamp)
    crypto_hash, plain_hash = HASHES[hash_algo]
    number = int.from_bytes(key.sign(body + metadata, padding.PKCS1v15(), crypto_hash()), "big")
    value = number.to_bytes((number.bit_length() + 7) // 8, "big")  # an MPI: no leading zero bytes
    sig = Signature(SIG_TYPE, serial, timestamp, PK_RSA, hash_algo, plain_hash(body + metadata).digest()[:2],
                    number.bit_length(), value)
    return build(subject=KeyId(name, serial), body=body, signature_block=armor(signature_packets(sig)))


def verify(text: bytes, *, public_pem: str, serial: int | None = None,
           hash_algos: tuple[int, ...] = (HASH_MD5,), max_age: int | None = None,
           now: int | None = None) -> Document:
    """Parse and verify a signed document; return it only when everything holds.

    `serial`: the key serial the signer must use (header and packet); `max_age`: refuse
    signatures older (or further in the future) than this many seconds.
    """
    doc = parse(text)
    if doc.doc_type != SIGNED_MESSAGE:
        raise IPrivError(f"not a signed message ({doc.doc_type})")
    sig = doc.signature
    if sig.sig_type != SIG_TYPE or sig.pk_algo != PK_RSA:
        raise IPrivError("unsupported signature type or algorithm")
    if sig.hash_algo not in hash_algos:
        raise IPrivError(f"hash id {sig.hash_algo} not accepted here")
    if sig.key_serial != doc.subject.serial:
        raise IPrivError("the packet's key serial differs from the header's")
    if serial is not None and sig.key_serial != serial:
        raise IPrivError(f"signed with key serial {sig.key_serial}, expected {serial}")
    if max_age is not None and abs(int(time.time() if now is None else now) - sig.timestamp) > max_age:
        raise IPrivError("signature too old or from the future")
    crypto_hash, plain_hash = HASHES[sig.hash_algo]
    if plain_hash(doc.body + sig.metadata).digest()[:2] != sig.hash_msw:
        raise IPrivError("digest check bytes differ: the body was changed")
    key = _public(public_pem)
    size = (key.key_size + 7) // 8
    if len(sig.value) > size:
        raise IPrivError("signature longer than the key")
    try:
        key.verify(sig.value.rjust(size, b"\0"), doc.body + sig.metadata, padding.PKCS1v15(), crypto_hash())
    except InvalidSignature:
        raise IPrivError("bad signature") from None
    return doc


# --- the body --------------------------------------------------------------------------
ENCODING = "windows-1251"


def body_encode(fields: list[tuple[str, str]] | dict) -> bytes:
    """KEY=VALUE lines, CRLF-terminated, in windows-1251. Refuses CR/LF in keys or values."""
    items = fields.items() if isinstance(fields, dict) else fields
    out = []
    for key, value in items:
        value = "" if value is None else str(value)
        if not re.fullmatch(r"[A-Z_0-9]+", key) or "\r" in value or "\n" in value:
            raise IPrivError(f"field {key!r} cannot be sent")
        try:
            out.append(f"{key}={value}".encode(ENCODING) + CRLF)
        except UnicodeEncodeError:
            raise IPrivError(f"field {key} is not representable in windows-1251") from None
    return b"".join(out)


def body_decode(body: bytes) -> dict[str, str]:
    """KEY=VALUE lines into a dict (first occurrence wins; lines without "=" are ignored)."""
    fields: dict[str, str] = {}
    for line in body.decode(ENCODING, "replace").split("\r\n"):
        key, sep, value = line.partition("=")
        if sep and key and key not in fields:
            fields[key] = value
    return fields
