"""POST /logs: a kiosk's log bundle, idempotent on the kiosk's id, size-limited, every bad encoding refused."""

import base64
import gzip
import logging
import time
import zlib

import pytest

from terminals.commands import command_queue
from terminals.logs import encode_log, log_text
from terminals.models import Terminal, TerminalLog

pytestmark = pytest.mark.django_db

KIOSK_ID = "5d2c8a6e-1f3b-4c0a-9e7d-2b4f6a8c0e13"
TEXT = ("2026-11-28 12:00:00,000 INFO kiosk.app: kit-kiosk 0.1, terminal 1001\n"
        "2026-11-28 12:00:01,000 WARNING kiosk.sync: heartbeat: server not reached\n"
        "\tTraceback line with a tab and a Russian word: платёж\r\n")


def body(text=TEXT, **over):
    doc = {"id": KIOSK_ID, "log": encode_log(text)}
    doc.update(over)
    return doc


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def error(response) -> tuple[int, str, dict]:
    err = response.json()["error"]
    return response.status_code, err["code"], err.get("fields", {})


def test_a_bundle_is_recorded_with_its_text_size_and_hash(kiosk, terminal):
    import hashlib

    response = kiosk.post_logs(body(truncated=True))
    assert response.status_code == 201, response.text
    answer = response.json()
    row = TerminalLog.objects.get(terminal=terminal)
    assert answer == {"id": KIOSK_ID, "number": row.pk, "command": None, "size": len(TEXT.encode()), "lines": 3,
                      "truncated": True, "sha256": hashlib.sha256(TEXT.encode()).hexdigest(),
                      "received_at": answer["received_at"]}
    assert str(row.kiosk_id) == KIOSK_ID and row.command is None and row.truncated
    assert log_text(row) == TEXT
    assert (row.size, row.lines, row.sha256) == (answer["size"], 3, answer["sha256"])


def test_the_answer_matches_the_schema(kiosk):
    import jsonschema

    from terminals.api.openapi import SCHEMA

    answer = kiosk.post_logs(body(command=None)).json()
    jsonschema.validate(answer, {**SCHEMA["components"]["schemas"]["Log"], "components": SCHEMA["components"]})
    example = SCHEMA["components"]["schemas"]["LogIn"]["properties"]["log"]["example"]
    assert kiosk.post_logs({"id": "11111111-2222-3333-4444-555555555555", "log": example}).status_code == 201


def test_the_same_body_again_is_the_first_answer_and_other_content_under_the_id_is_a_conflict(kiosk, terminal):
    first = kiosk.post_logs(body())
    assert first.status_code == 201
    again = kiosk.post_logs(body())
    assert (again.status_code, again.json()) == (200, first.json())
    # The same text compressed otherwise (another level, a time in the header) is the same content.
    other_gzip = b64(gzip.compress(TEXT.encode(), compresslevel=1, mtime=12345))
    assert kiosk.post_logs(body(log=other_gzip)).json() == first.json()
    for changed in (body(TEXT + "one more line\n"), body(truncated=True), body(command=1)):
        response = kiosk.post_logs(changed)
        assert error(response)[:2] == (409, "conflict"), response.text
    assert TerminalLog.objects.filter(terminal=terminal).count() == 1
    assert log_text(TerminalLog.objects.get()) == TEXT


def test_a_bundle_for_a_collect_logs_command_is_linked_to_it(kiosk, terminal):
    [cmd] = command_queue(terminals=[terminal], kind="collect_logs")
    response = kiosk.post_logs(body(command=cmd.pk))
    assert response.status_code == 201 and response.json()["command"] == cmd.pk
    assert list(cmd.logs.values_list("kiosk_id", flat=True).order_by()) == [TerminalLog.objects.get().kiosk_id]


def test_a_command_id_that_is_not_the_terminals_collect_logs_keeps_the_log_unlinked_and_logged(kiosk, terminal,
                                                                                              caplog):
    [foreign] = command_queue(terminals=[Terminal.objects.get(number="1002")], kind="collect_logs")
    [print_test] = command_queue(terminals=[terminal], kind="print_test")
    caplog.set_level(logging.WARNING, logger="terminals.logs")
    for n, command_id in enumerate((foreign.pk, print_test.pk, 987654321)):
        response = kiosk.post_logs(body(id=f"5d2c8a6e-1f3b-4c0a-9e7d-2b4f6a8c0e1{n}", command=command_id))
        assert (response.status_code, response.json()["command"]) == (201, None)
    assert TerminalLog.objects.filter(terminal=terminal, command__isnull=True).count() == 3
    assert not foreign.logs.exists() and not print_test.logs.exists()
    assert sum("not its collect_logs command" in r.getMessage() for r in caplog.records) == 3


def test_a_text_over_the_limit_is_413_too_large_and_a_gzip_bomb_is_never_inflated(kiosk, settings):
    settings.KIT_TERMINAL_LOGS_MAX_BYTES = 1000
    assert kiosk.post_logs(body("x" * 1000)).status_code == 201
    response = kiosk.post_logs(body("x" * 1001, id="5d2c8a6e-1f3b-4c0a-9e7d-2b4f6a8c0e14"))
    assert error(response) == (413, "too_large", {"log": "over 1000 bytes of text once decompressed"})
    # 256 MB of line feeds is 250 KB of gzip: refused after inflating the limit, never the 256 MB.
    settings.KIT_TERMINAL_LOGS_MAX_BYTES = 1024 * 1024
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\n" * (1024 * 1024)
    raw = b"".join(bomb.compress(chunk) for _ in range(256)) + bomb.flush()
    started = time.monotonic()
    response = kiosk.post_logs(body(id="5d2c8a6e-1f3b-4c0a-9e7d-2b4f6a8c0e15", log=b64(raw)))
    assert error(response)[:2] == (413, "too_large")
    assert time.monotonic() - started < 2
    assert TerminalLog.objects.count() == 1


def test_a_body_over_the_servers_body_limit_is_413(kiosk, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert error(kiosk.post_logs(body(log=b64(b"x" * 2000))))[:2] == (413, "too_large")


def gz(raw: bytes) -> bytes:
    return gzip.compress(raw, mtime=0)  # the same bytes in every process (xdist collects the ids twice)


GOOD = gz(b"line\n")


@pytest.mark.parametrize("log,message", [
    ("@@@@", "not base64"),
    ("bGluZQ", "not base64"),  # no padding
    ("bGlu ZQ==", "not base64"),
    ("", "not a gzip stream"),
    (b64(b"just text, not compressed\n"), "not a gzip stream"),
    (b64(zlib.compress(b"zlib, not gzip\n")), "not a gzip stream"),
    (b64(GOOD[:-6]), "the gzip stream is cut short"),
    (b64(GOOD[:-8] + b"\0\0\0\0" + GOOD[-4:]), "not a gzip stream"),  # a wrong CRC-32
    (b64(GOOD + b"garbage"), "data after the end of the gzip stream"),
    (b64(GOOD + GOOD), "data after the end of the gzip stream"),
    (b64(gz(b"caf\xe9\n")), "the text is not UTF-8"),
    (b64(gz(b"a\x00b\n")), "the text holds control characters"),
    (b64(gz(b"\x1b[31mred\x1b[0m\n")), "the text holds control characters"),
    (b64(gz(b"del\x7f\n")), "the text holds control characters"),
])
def test_a_log_that_is_not_base64_of_one_gzip_of_clean_utf8_is_400_invalid(kiosk, log, message):
    status, code, fields = error(kiosk.post_logs(body(log=log)))
    assert (status, code) == (400, "invalid")
    assert fields["log"].startswith(message), fields
    assert not TerminalLog.objects.exists()


@pytest.mark.parametrize("over,field", [
    ({"id": None}, "id"), ({"id": "not-a-uuid"}, "id"), ({"id": 42}, "id"),
    ({"command": "5"}, "command"), ({"command": -1}, "command"), ({"command": True}, "command"),
    ({"command": 1.5}, "command"), ({"truncated": "yes"}, "truncated"), ({"truncated": None}, "truncated"),
    ({"log": None}, "log"), ({"log": 12}, "log"), ({"log": ["bGluZQ=="]}, "log"),
])
def test_a_malformed_field_is_400_invalid_naming_it(kiosk, over, field):
    status, code, fields = error(kiosk.post_logs(body(**over)))
    assert (status, code) == (400, "invalid")
    assert set(fields) == {field}


def test_a_bundle_without_the_log_field_names_it(kiosk):
    status, code, fields = error(kiosk.post_logs({"id": KIOSK_ID}))
    assert (status, code, set(fields)) == (400, "invalid", {"log"})


def test_only_the_newest_bundles_of_a_terminal_are_kept(kiosk, make_client, settings):
    settings.KIT_TERMINAL_LOGS_KEEP = 3
    other = make_client(Terminal.objects.get(number="1002"))
    assert other.post_logs(body("the other terminal's\n")).status_code == 201
    for n in range(5):
        assert kiosk.post_logs(body(f"bundle {n}\n", id=f"5d2c8a6e-1f3b-4c0a-9e7d-2b4f6a8c0e2{n}")).status_code == 201
    kept = TerminalLog.objects.filter(terminal__number="1001").order_by("id")
    assert [log_text(r) for r in kept] == ["bundle 2\n", "bundle 3\n", "bundle 4\n"]
    assert TerminalLog.objects.filter(terminal__number="1002").count() == 1


def test_a_blocked_terminal_may_post_its_logs(kiosk, terminal):
    from terminals.services import terminal_block

    terminal_block(terminal=terminal)
    assert kiosk.post_logs(body()).status_code == 201


def test_an_unsigned_or_non_json_post_is_refused(kiosk):
    response = kiosk.request("POST", "/logs", kiosk.encode(body()), sign=False)
    assert error(response)[:2] == (401, "unknown_terminal")
    response = kiosk.request("POST", "/logs", b"line\n", content_type="text/plain")
    assert error(response)[:2] == (415, "unsupported_media_type")
    assert error(kiosk.call("GET", "/logs"))[:2] == (405, "method_not_allowed")
