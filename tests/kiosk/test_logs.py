"""The kiosk's own log: a rotating file masked of secrets, and `collect_logs` sending its tail to the server
(against the in-process server): gathered newest last within the limit, masked, posted, acknowledged once."""

import base64
import gzip
import logging

import pytest

from kiosk.config import ConfigError, load
from kiosk.logs import bundle, collect, file_handler, log_files, mask, tail
from terminals.commands import command_queue, commands_deliver
from terminals.logs import log_text
from terminals.models import TerminalLog

from .harness import write_config

# What must never reach the server, each in a line as a careless log call would write it.
SECRETS = {
    "pin=4821": "4821",
    "service PIN 907315 entered": "907315",
    '{"pin": "55821", "amount": "100.00"}': "55821",
    "service_pin_hash = \"pbkdf2_sha256$200000$a1b2c3$9f8e7d6c5b4a\"": "9f8e7d6c5b4a",
    "X-KIT-Signature: q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJA==":
        "q83vEjRWeJq83vEjRWeJ",
    "Authorization: Bearer abc.DEF.ghi-123": "abc.DEF.ghi-123",
    "password=hunter2 user=kiosk": "hunter2",
    "KIOSK_ENROLL_CODE 4821-0937-5521 given": "4821-0937-5521",
    "enroll --code 4821 0937 5521": "4821 0937 5521",
    "key loaded: MC4CAQAwBQYDK2VwBCIEIGx3bVtU4wQ7p1Gf8yZ2kXnYcR5aLsDeFhJiKmNoPqRs": "MC4CAQAwBQYDK2VwBCIEIGx3",
    "api_key='sk_live_51Hx' retried": "sk_live_51Hx",
    "secret: s3cr3t-v4lue": "s3cr3t-v4lue",
    "sig=Q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJ==": "Q83vEjRWeJq83vEjRWeJ",
}
PEM = ("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIGx3bVtU4wQ7p1Gf8yZ2kXnYcR5aLsDeFhJiKmNoPqRs\n"
       "-----END PRIVATE KEY-----")
# What a technician needs and must stay as it is.
KEPT = [
    "2026-11-28 12:00:00,000 INFO MainThread kiosk.app: kit-kiosk 0.1, terminal 1001",
    "sender: txn 42 refused with 409 txn_conflict: kept for support",
    "payment 9161234567 100.00 mts",
    "update: release 1.5.0 sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 ok",
    "POST /api/terminal/v1/payments/batch answered 503, Retry-After 5",
    "ping the printer; spinning up; shipping",
    "heartbeat: server not reached: [Errno 111] Connection refused",
    "pin-hash tool ok",
    "order 1234-5678-9012-3456 and phone 8 916 123-45-67",
    "/opt/kit-kiosk/releases/1.5.0/kiosk/devices/ccnet_frames_and_escpos_printer_codepages.py",
]


@pytest.mark.parametrize("line,secret", list(SECRETS.items()))
def test_mask_hides_what_looks_like_a_secret(line, secret):
    masked = mask(line)
    assert secret not in masked, masked
    assert "***" in masked


def test_mask_hides_a_private_key_block_and_keeps_what_a_technician_needs():
    masked = mask(f"before\n{PEM}\nafter\n")
    assert "MC4CAQ" not in masked and "END PRIVATE KEY" not in masked
    assert masked.startswith("before\n-----BEGIN PRIVATE KEY----- ***\nafter")
    assert mask("cut off: -----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIE") == "cut off: -----BEGIN PRIVATE KEY----- ***"
    for line in KEPT:
        assert mask(line) == line
    assert mask(mask("pin=4821")) == mask("pin=4821") == "pin=***"


def test_the_log_file_is_masked_and_clean_as_it_is_written(tmp_path):
    path = tmp_path / "logs" / "kiosk.log"
    handler = file_handler(path, max_bytes=64 * 1024, backups=2)
    logger = logging.getLogger("kiosk.test_logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("service login with pin=%s failed; \x1b[31mred\x1b[0m", "4821")
        try:
            raise ValueError("token=abcdef123456")
        except ValueError:
            logger.exception("device")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        handler.close()
    text = path.read_text(encoding="utf-8")
    assert "4821" not in text and "abcdef123456" not in text
    assert "pin=*** failed; ?[31mred?[0m" in text
    assert "Traceback" in text and "ValueError: token=***" in text


def _write(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def test_the_tail_takes_the_newest_lines_across_rotated_files_oldest_first(tmp_path):
    path = tmp_path / "kiosk.log"
    _write(path.with_name("kiosk.log.2"), [f"old {n:03}" for n in range(100)])  # 8 bytes a line
    _write(path.with_name("kiosk.log.1"), [f"mid {n:03}" for n in range(100)])
    _write(path, [f"new {n:03}" for n in range(10)])
    files = log_files(path, 3)
    assert [p.name for p in files] == ["kiosk.log.3", "kiosk.log.2", "kiosk.log.1", "kiosk.log"]
    raw, truncated = tail(files, 10_000)
    assert not truncated
    assert raw.decode().splitlines() == [f"old {n:03}" for n in range(100)] + [f"mid {n:03}" for n in range(100)] \
        + [f"new {n:03}" for n in range(10)]
    raw, truncated = tail(files, 8 * 15 + 3)  # 15 whole lines and a piece of one
    assert truncated
    assert raw.decode().splitlines() == [f"mid {n:03}" for n in range(95, 100)] + [f"new {n:03}" for n in range(10)]
    raw, truncated = tail(files, 80)  # exactly the newest file: the older ones are left out
    assert (raw.decode().splitlines(), truncated) == ([f"new {n:03}" for n in range(10)], True)
    assert tail(log_files(tmp_path / "none.log", 3), 1000) == (b"", False)


def test_collect_masks_cleans_and_keeps_to_the_limit(tmp_path):
    path = tmp_path / "kiosk.log"
    _write(path, ["x" * 50] * 100 + list(SECRETS) + ["a NUL \x00 and a bell \x07", "the newest line"])
    text, truncated = collect(path, 3, 2000)
    assert truncated and len(text.encode()) <= 2000
    assert text.endswith("a NUL ? and a bell ?\nthe newest line\n")
    for secret in SECRETS.values():
        assert secret not in text
    path.write_bytes(b"caf\xe9 latin-1\nok\n")  # not UTF-8: replaced, never refused
    assert collect(path, 3, 2000) == ("caf\ufffd latin-1\nok\n", False)


def test_a_bundle_drops_older_lines_until_its_base64_fits():
    import random

    rng = random.Random(7)
    text = "".join(f"{n} {rng.getrandbits(128):032x}\n" for n in range(20000))  # incompressible enough
    doc = bundle(text, truncated=False, command=5, wire_max=100_000)
    assert len(doc["log"]) <= 100_000 and doc["truncated"] is True and doc["command"] == 5
    sent = gzip.decompress(base64.b64decode(doc["log"])).decode()
    assert text.endswith(sent) and sent.endswith("19999 " + text.rsplit(" ", 1)[1])
    assert sent.split("\n", 1)[0].split(" ")[0].isdigit()  # starts at a whole line
    small = bundle("one line\n", truncated=False, command=None)
    assert "command" not in small and small["truncated"] is False


def test_the_config_places_the_log_file_in_the_data_dir_and_checks_its_limits(tmp_path):
    cfg = load(write_config(tmp_path / "a"))
    assert cfg.log_file == tmp_path / "a" / "data" / "logs" / "kiosk.log"
    assert (cfg.log_max_bytes, cfg.log_backups) == (1024 * 1024, 3)
    cfg = load(write_config(tmp_path / "b", extra='[logs]\nfile = "k.log"\nmax_bytes = 65536\nbackups = 0\n'))
    assert (cfg.log_file, cfg.log_max_bytes, cfg.log_backups) == (tmp_path / "b" / "k.log", 65536, 0)
    for bad in ("max_bytes = 100", "backups = 50", 'max_bytes = "1M"'):
        with pytest.raises(ConfigError, match="logs."):
            load(write_config(tmp_path / "c", extra=f"[logs]\n{bad}\n"))


@pytest.fixture
def kiosk_log(make_kiosk):
    """A kiosk whose log file holds an older version's lines (with secrets) and this run's records."""
    made = []

    def make():
        h = make_kiosk()
        _write(h.cfg.log_file.with_name("kiosk.log.1"), ["2026-11-27 09:00:00,000 INFO old run started",
                                                         *SECRETS, PEM])
        handler = file_handler(h.cfg.log_file, max_bytes=h.cfg.log_max_bytes, backups=h.cfg.log_backups)
        logging.getLogger().addHandler(handler)
        made.append(handler)
        logging.getLogger("kiosk.app").warning("this run: service login pin=%s", "7777")
        return h

    yield make
    for handler in made:
        logging.getLogger().removeHandler(handler)
        handler.close()


def test_collect_logs_posts_the_masked_log_and_is_acknowledged_with_its_size(kiosk_log, terminal):
    h = kiosk_log()
    [cmd] = command_queue(terminals=[terminal], kind="collect_logs")
    assert h.kiosk.heartbeat.beat()  # delivered, run: the log is posted now
    row = TerminalLog.objects.get(terminal=terminal)
    assert row.command_id == cmd.pk and not row.truncated
    text = log_text(row)
    assert text.startswith("2026-11-27 09:00:00,000 INFO old run started\n")
    assert "this run: service login pin=***" in text
    assert text.index("old run started") < text.index("this run")  # newest last
    for secret in [*SECRETS.values(), "7777", "MC4CAQ"]:
        assert secret not in text
    cmd.refresh_from_db()
    assert cmd.state == "delivered"
    assert h.kiosk.heartbeat.beat()  # acknowledged
    cmd.refresh_from_db()
    assert cmd.state == "done"
    assert cmd.message.startswith("sent ") and f"({(row.size + 1023) // 1024} KB of log)" in cmd.message
    assert h.kiosk.heartbeat.beat()
    assert TerminalLog.objects.count() == 1  # run once, never again


def test_collect_logs_sends_no_more_than_the_servers_limit_newest_last(kiosk_log, terminal, settings):
    settings.KIT_TERMINAL_LOGS_MAX_BYTES = 4096
    h = kiosk_log()
    for n in range(300):
        logging.getLogger("kiosk.flow").warning("filler line %03d to push the old ones out", n)
    [cmd] = command_queue(terminals=[terminal], kind="collect_logs")
    assert h.kiosk.heartbeat.beat() and h.kiosk.heartbeat.beat()
    row = TerminalLog.objects.get(command=cmd)
    text = log_text(row)
    assert row.truncated and row.size <= 4096
    assert "old run started" not in text and "filler line 299" in text
    assert text.rstrip("\n").splitlines()[0].count("filler line") == 1  # a whole first line
    cmd.refresh_from_db()
    assert (cmd.state, cmd.message.endswith("older lines left out)")) == ("done", True)


def test_collect_logs_offline_is_acknowledged_as_failed_with_the_reason_and_not_run_again(kiosk_log, terminal):
    h = kiosk_log()
    [cmd] = command_queue(terminals=[terminal], kind="collect_logs")
    delivered = commands_deliver(terminal=terminal)  # the reply that carried it; then the link went down
    h.online = False
    assert h.kiosk.heartbeat.commands.run(delivered) == 1
    assert not TerminalLog.objects.exists()
    h.online = True
    assert h.kiosk.heartbeat.commands.run(commands_deliver(terminal=terminal)) == 0  # executed at most once
    assert h.kiosk.heartbeat.beat()
    cmd.refresh_from_db()
    assert cmd.state == "failed" and cmd.message.startswith("server not reached")
    assert not TerminalLog.objects.exists()
    # The dealer queues another one, which goes through.
    [again] = command_queue(terminals=[terminal], kind="collect_logs")
    assert h.kiosk.heartbeat.beat() and h.kiosk.heartbeat.beat()
    again.refresh_from_db()
    assert again.state == "done" and TerminalLog.objects.get().command_id == again.pk


def test_a_refused_bundle_is_acknowledged_as_failed_with_the_code(kiosk_log, terminal, settings):
    h = kiosk_log()
    [cmd] = command_queue(terminals=[terminal], kind="collect_logs")
    [delivered] = commands_deliver(terminal=terminal)
    settings.KIT_TERMINAL_LOGS_MAX_BYTES = 100  # lowered after the command left with a higher limit
    assert h.kiosk.heartbeat.commands.run([delivered]) == 1
    assert h.kiosk.heartbeat.beat()
    cmd.refresh_from_db()
    assert (cmd.state, cmd.message) == ("failed", "refused: 413 too_large")
