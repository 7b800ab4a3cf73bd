"""The IPriv signed document: the two real replies of docs/gateways/cyberplat.md, and our own round trips."""

import base64
import struct
from datetime import UTC, datetime

import pytest

from gateways import ipriv
from gateways.keys import rsa_generate

# Two real CyberPlat demo-server replies, public test data of
# RollerKostr/CyberPlatTestDealer (CyberPlatGate.Tests/Resources.resx), rebuilt with CRLF.
CHECK_REPLY = """0000043801SM000001770000017700000125
0J0005              00064182
                    00000000
BEGIN
DATE=08.01.2018 12:54:21
SESSION=mRdRr5lqY3TaZwbSweOX
ERROR=0
RESULT=0
OPNAME=
ACCOUNT=
ERRMSG=
AUTHCODE=
TRANSID=
REST=99999308910842.25
GATEWAY_IN=9
GATEWAY_OUT=9

END
BEGIN SIGNATURE
iQBRAwkBAAD6tlpTP80BAbvnAfsEdCFUJo/uhPTtWqnvSi9IeiFo/u1Nk4xEkqXQ
tn4ZZczWP/x43x9tSk/unQc1ywg70bP8rJIkDq7QUyT1iaW8sAHH
=qRgr
END SIGNATURE""".replace("\n", "\r\n").encode()

PAY_REPLY = """0000038801SM000001270000012700000125
0J0005              00064182
                    00000000
BEGIN
DATE=08.01.2018 16:04:25
SESSION=rYuD8SkcMq3fX92fSild
ERROR=0
RESULT=0
TRANSID=1000010856873
GATEWAY_IN=9
GATEWAY_OUT=9

END
BEGIN SIGNATURE
iQBRAwkBAAD6tlpTbFkBAYLrAgDCXaFN5iwZ30ER9v3QZ3iwQiTMsjWrlVm4Yuf1
a67TXiHQ0CmCvw/baaC4MIrSCk+ri4+Ic49qh2+TsjP6FbiAsAHH
=4LiN
END SIGNATURE""".replace("\n", "\r\n").encode()

BODY = "SD=70001\r\nAP=70002\r\nOP=70003\r\nSESSION=123456789012345678\r\nNUMBER=9161234567\r\n".encode("cp1251")


@pytest.fixture(scope="module")
def keys():
    return rsa_generate(2048), rsa_generate(2048)


def _rebuilt(doc: ipriv.Document) -> bytes:
    return ipriv.build(subject=doc.subject, body=doc.body,
                       signature_block=ipriv.armor(ipriv.signature_packets(doc.signature)))


# --- the published vectors -------------------------------------------------------------
def test_the_real_check_reply_parses_with_the_lengths_its_header_states():
    doc = ipriv.parse(CHECK_REPLY)
    assert CHECK_REPLY[:36] == b"0000043801SM000001770000017700000125"
    assert len(CHECK_REPLY) - 8 == 438
    assert (doc.engine, doc.doc_type) == (1, "SM")
    assert len(doc.body) == 177 and doc.data_length == 177
    assert len(doc.signature_block) == 125
    assert doc.signature_block.endswith(b"\r\n=qRgr")
    assert doc.subject == ipriv.KeyId("0J0005", 64182)
    assert doc.ca == ipriv.KeyId("", 0)
    assert ipriv.body_decode(doc.body)["REST"] == "99999308910842.25"


def test_the_real_check_reply_signature_packet_decodes_as_documented():
    sig = ipriv.parse(CHECK_REPLY).signature
    assert sig.key_serial == 64182
    assert datetime.fromtimestamp(sig.timestamp, UTC) == datetime(2018, 1, 8, 9, 54, 21, tzinfo=UTC)
    assert (sig.sig_type, sig.pk_algo, sig.hash_algo) == (1, 1, 1)
    assert sig.bits == 507 and len(sig.value) == 64
    assert sig.metadata == bytes.fromhex("01") + struct.pack(">II", 64182, sig.timestamp)
    raw = base64.b64decode(b"".join(ipriv.parse(CHECK_REPLY).signature_block.split(b"\r\n")[:2]))
    assert raw[:7].hex() == "89005103090100" and raw[-3:] == bytes.fromhex("b001c7")


def test_the_real_pay_reply_matches_its_header_crc_and_serial():
    doc = ipriv.parse(PAY_REPLY)
    assert PAY_REPLY[:36] == b"0000038801SM000001270000012700000125"
    assert len(doc.body) == 127 and len(doc.signature_block) == 125
    assert doc.signature_block.endswith(b"=4LiN")
    sig = doc.signature
    assert sig.key_serial == 64182 and sig.bits == 512
    assert datetime.fromtimestamp(sig.timestamp, UTC) == datetime(2018, 1, 8, 13, 4, 25, tzinfo=UTC)
    assert ipriv.body_decode(doc.body)["TRANSID"] == "1000010856873"


@pytest.mark.parametrize("reply", [CHECK_REPLY, PAY_REPLY])
def test_rebuilding_a_real_reply_from_its_parts_gives_the_same_bytes(reply):
    assert _rebuilt(ipriv.parse(reply)) == reply


def test_crc24_matches_the_vectors_and_rfc4880():
    assert ipriv.crc24(b"") == 0xB704CE
    raw = base64.b64decode(b"".join(ipriv.parse(PAY_REPLY).signature_block.split(b"\r\n")[:2]))
    assert base64.b64encode(ipriv.crc24(raw).to_bytes(3, "big")) == b"4LiN"


# --- malformed documents ---------------------------------------------------------------
def test_a_changed_crc_line_is_refused():
    bad = PAY_REPLY.replace(b"=4LiN", b"=4LiM")
    with pytest.raises(ipriv.IPrivError, match="CRC"):
        ipriv.parse(bad).signature


def test_a_missing_crc_line_is_refused():
    doc = ipriv.parse(PAY_REPLY)
    block = doc.signature_block.rsplit(b"\r\n", 1)[0]
    bad = ipriv.build(subject=doc.subject, body=doc.body, signature_block=block)
    with pytest.raises(ipriv.IPrivError, match="no CRC"):
        ipriv.parse(bad).signature


@pytest.mark.parametrize("mangle", [
    lambda d: d.replace(b"0000038801SM", b"0000038901SM"),            # total length off by one
    lambda d: d.replace(b"SM00000127", b"SM00000128"),                # body length off by one
    lambda d: d.replace(b"00000125\r\n0J", b"00000124\r\n0J"),        # signature block length
    lambda d: d.replace(b"\r\n", b"\n"),                              # CRLF normalised away
    lambda d: d.replace(b"BEGIN SIGNATURE", b"BEGIN SIGNATUR_"),
    lambda d: d[:200],                                                # truncated
    lambda d: b"",
    lambda d: b"garbage",
    lambda d: d + b"\r\nextra",
])
def test_a_malformed_document_raises_ipriv_error_not_anything_else(mangle):
    with pytest.raises(ipriv.IPrivError):
        ipriv.parse(mangle(PAY_REPLY)).signature


def test_a_final_crlf_or_surrounding_whitespace_is_tolerated():
    assert ipriv.parse(b"\r\n" + PAY_REPLY + b"\r\n").body == ipriv.parse(PAY_REPLY).body


def test_a_real_reply_does_not_verify_with_someone_elses_key(keys):
    (_, public), _ = keys
    with pytest.raises(ipriv.IPrivError):
        ipriv.verify(PAY_REPLY, public_pem=public)


# --- our own signatures ----------------------------------------------------------------
def test_a_signed_document_verifies_with_the_matching_public_key(keys):
    (private, public), _ = keys
    text = ipriv.sign(BODY, private_pem=private, serial=700042, name="70001", now=1_700_000_000)
    doc = ipriv.verify(text, public_pem=public, serial=700042, now=1_700_000_000)
    assert doc.body == BODY
    assert text.startswith(b"%08d01SM%08d%08d" % (len(text) - 8, len(BODY), len(BODY)))
    assert doc.subject == ipriv.KeyId("70001", 700042)
    assert doc.signature.hash_algo == ipriv.HASH_MD5
    assert doc.signature.timestamp == 1_700_000_000
    assert all(len(line) <= 64 for line in doc.signature_block.split(b"\r\n"))
    assert b"\n" not in text.replace(b"\r\n", b"")


def test_our_signature_is_pkcs1_md5_over_body_and_metadata(keys):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    (private, public), _ = keys
    sig = ipriv.parse(ipriv.sign(BODY, private_pem=private, serial=5, now=1_700_000_000)).signature
    key = serialization.load_pem_public_key(public.encode())
    key.verify(sig.value.rjust(256, b"\0"), BODY + bytes.fromhex("01") + struct.pack(">II", 5, 1_700_000_000),
               padding.PKCS1v15(), hashes.MD5())


def test_the_modern_mode_uses_sha256_with_our_hash_id_8(keys):
    (private, public), _ = keys
    text = ipriv.sign(BODY, private_pem=private, serial=1, hash_algo=ipriv.HASH_SHA256)
    assert ipriv.parse(text).signature.hash_algo == 8
    assert ipriv.verify(text, public_pem=public, hash_algos=(ipriv.HASH_SHA256,)).body == BODY
    with pytest.raises(ipriv.IPrivError, match="hash id 8"):
        ipriv.verify(text, public_pem=public)  # compatible mode accepts MD5 only


def test_a_tampered_body_of_the_same_length_fails_verification(keys):
    (private, public), _ = keys
    text = ipriv.sign(BODY, private_pem=private, serial=1)
    with pytest.raises(ipriv.IPrivError):
        ipriv.verify(text.replace(b"NUMBER=9161234567", b"NUMBER=9161234568"), public_pem=public)


def test_a_tampered_signature_with_a_fixed_crc_still_fails_verification(keys):
    (private, public), _ = keys
    doc = ipriv.parse(ipriv.sign(BODY, private_pem=private, serial=1))
    sig = doc.signature
    forged = ipriv.Signature(sig.sig_type, sig.key_serial, sig.timestamp, sig.pk_algo, sig.hash_algo, sig.hash_msw,
                             sig.bits, sig.value[:-1] + bytes([sig.value[-1] ^ 1]))
    text = ipriv.build(subject=doc.subject, body=doc.body, signature_block=ipriv.armor(ipriv.signature_packets(forged)))
    with pytest.raises(ipriv.IPrivError, match="bad signature"):
        ipriv.verify(text, public_pem=public)


def test_a_signature_by_another_key_fails_verification(keys):
    (private, _), (_, other_public) = keys
    with pytest.raises(ipriv.IPrivError, match="bad signature"):
        ipriv.verify(ipriv.sign(BODY, private_pem=private, serial=1), public_pem=other_public)


def test_a_crc_mismatch_in_our_own_document_fails_verification(keys):
    (private, public), _ = keys
    text = ipriv.sign(BODY, private_pem=private, serial=1)
    crc = text.rsplit(b"\r\n=", 1)[1][:4]
    with pytest.raises(ipriv.IPrivError, match="CRC"):
        ipriv.verify(text.replace(b"=" + crc, b"=" + (b"AAAA" if crc != b"AAAA" else b"BBBB")), public_pem=public)


def test_the_wrong_key_serial_or_an_old_signature_is_refused(keys):
    (private, public), _ = keys
    text = ipriv.sign(BODY, private_pem=private, serial=7, now=1_700_000_000)
    with pytest.raises(ipriv.IPrivError, match="expected 8"):
        ipriv.verify(text, public_pem=public, serial=8, now=1_700_000_000)
    with pytest.raises(ipriv.IPrivError, match="too old"):
        ipriv.verify(text, public_pem=public, max_age=600, now=1_700_000_601)


def test_an_encrypted_pkcs8_key_signs_with_its_passphrase(keys):
    from cryptography.hazmat.primitives import serialization

    (private, public), _ = keys
    key = serialization.load_pem_private_key(private.encode(), password=None)
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(b"phrase")).decode()
    text = ipriv.sign(BODY, private_pem=encrypted, serial=1, password="phrase")
    assert ipriv.verify(text, public_pem=public).body == BODY
    with pytest.raises(ipriv.IPrivError, match="private key"):
        ipriv.sign(BODY, private_pem=encrypted, serial=1, password="wrong")


def test_the_body_is_windows_1251_and_refuses_line_breaks_in_values():
    body = ipriv.body_encode([("COMMENT", "Платёж"), ("AMOUNT", "10.00")])
    assert body == "COMMENT=Платёж\r\nAMOUNT=10.00\r\n".encode("cp1251")
    assert ipriv.body_decode(body) == {"COMMENT": "Платёж", "AMOUNT": "10.00"}
    with pytest.raises(ipriv.IPrivError):
        ipriv.body_encode([("NUMBER", "1\r\nAMOUNT=999")])
    with pytest.raises(ipriv.IPrivError):
        ipriv.body_encode([("COMMENT", "emoji \U0001f600")])
