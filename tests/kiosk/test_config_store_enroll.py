"""Step 1: the TOML config, the local SQLite store (WAL, synchronous=FULL, txn counter), enrollment."""

import stat
from decimal import Decimal

import pytest

from kiosk.config import ConfigError, load, pin_hash, pin_matches
from kiosk.store import FINISHED, OPEN, Store, StoreError

from .harness import write_config


def test_the_config_file_is_read_with_paths_relative_to_it(tmp_path):
    cfg = load(write_config(tmp_path, terminal="1001", queue_amount="5000.00", queue_count=7,
                            extra='[offline.providers.mts]\nallowed = false\n'))
    assert cfg.server_url == "http://testserver"
    assert cfg.terminal == "1001"
    assert cfg.key_file == tmp_path / "terminal.key"
    assert cfg.store_path == tmp_path / "data" / "kiosk.sqlite3"
    assert cfg.offline.max_queue_amount == Decimal("5000.00")
    assert cfg.offline.max_queue_count == 7
    assert cfg.offline.providers == {"mts": {"allowed": False}}
    assert cfg.listen_host == "127.0.0.1"


@pytest.mark.parametrize("text, message", [
    ("[server]\nterminal = \"1001\"\n", "server.url"),
    ("[server]\nurl = \"http://x\"\nterminal = \"ab\"\n", "server.terminal"),
    ("[server]\nurl = \"http://x\"\nterminal = \"1\"\n[kiosk]\nlanguage = \"de\"\n", "kiosk.language"),
    ("[server]\nurl = \"http://x\"\nterminal = \"1\"\n[devices]\nfiscal = \"atol\"\n", "devices.fiscal"),
    ("[server]\nurl = \"http://x\"\nterminal = \"1\"\n[kiosk]\nwalk_away_seconds = \"soon\"\n",
     "kiosk.walk_away_seconds"),
    ("[server\n", "not TOML"),
    ("[server]\nurl = \"http://x\"\nterminal = \"1\"\n[kiosk]\nlisten = \"0.0.0.0:8765\"\n", "kiosk.listen"),
])
def test_a_bad_config_names_the_key(tmp_path, text, message):
    path = tmp_path / "k.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load(path)


def test_a_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load(tmp_path / "absent.toml")


def test_the_pin_hash_matches_its_pin_only():
    stored = pin_hash("4321", salt="abc", iterations=1000)
    assert stored.startswith("pbkdf2_sha256$1000$abc$")
    assert pin_matches("4321", stored)
    assert not pin_matches("1234", stored)
    assert not pin_matches("4321", "garbage")


def test_the_store_runs_in_wal_mode_with_full_sync(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    assert store.pragma("journal_mode") == "wal"
    assert store.pragma("synchronous") == 2  # FULL
    store.close()


def session(store, **kw):
    return store.session_open(provider="mts", provider_name="МТС", account="9161234567", fields={},
                              offline=False, now="2026-12-01T10:00:00+03:00", **kw)


def test_the_first_stacked_note_numbers_the_payment_after_the_servers_last_txn(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    assert store.server_last_txn_seen("41") == 41
    p = session(store)
    assert p.txn is None
    txn, total = store.note_stacked(payment_id=p.id, value=Decimal("100"), bill_type=4, now="t")
    assert (txn, total) == ("42", Decimal("100.00"))
    txn, total = store.note_stacked(payment_id=p.id, value=Decimal("50"), bill_type=3, now="t")
    assert (txn, total) == ("42", Decimal("150.00"))
    assert store.txn_counter() == 42
    store.close()


def test_the_counter_and_notes_survive_a_reopen_and_never_go_back(tmp_path):
    path = tmp_path / "s.sqlite3"
    store = Store(path)
    store.server_last_txn_seen("5")
    p = session(store)
    store.note_stacked(payment_id=p.id, value=Decimal("100"), bill_type=4, now="t")
    store.close()
    again = Store(path)
    assert again.txn_counter() == 6
    assert again.open_session().amount == Decimal("100.00")
    assert [n.value for n in again.notes(p.id)] == [Decimal("100.00")]
    assert again.server_last_txn_seen("3") == 6  # an older server answer never lowers the counter
    again.close()


def test_a_reinstalled_store_continues_from_the_servers_last_txn(tmp_path):
    store = Store(tmp_path / "fresh.sqlite3")
    assert not store.confirmed
    assert store.server_last_txn_seen("977") == 977
    assert store.confirmed
    p = session(store)
    assert store.note_stacked(payment_id=p.id, value=Decimal("10"), bill_type=2, now="t")[0] == "978"
    store.close()


def test_forget_confirmation_unconfirms_a_restored_store(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    store.server_last_txn_seen(None)
    store.forget_confirmation()
    assert not store.confirmed
    store.close()


def test_only_one_session_can_be_open_and_an_empty_one_becomes_void(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    p = session(store)
    with pytest.raises(StoreError):
        session(store)
    done = store.finish(payment_id=p.id, fee=Decimal("0"), credited=Decimal("0"), paid_at="t", not_passed=False,
                        doc={})
    assert done.state == "void"
    assert done.txn is None
    store.close()


def test_finish_fixes_the_document_the_sender_posts(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    store.server_last_txn_seen(None)
    p = session(store)
    store.note_stacked(payment_id=p.id, value=Decimal("100"), bill_type=4, now="t")
    assert store.open_session().state == OPEN
    doc = {"txn": "1", "amount": "100.00"}
    done = store.finish(payment_id=p.id, fee=Decimal("0.00"), credited=Decimal("100.00"),
                        paid_at="2026-12-01T10:01:00+03:00", not_passed=False, doc=doc)
    assert done.state == FINISHED
    assert done.doc == doc
    assert store.outbox() == []  # the cheque comes first
    store.receipt_set(p.id, "printed")
    assert [x.txn for x in store.outbox()] == ["1"]
    assert store.queue_summary() == {"count": 1, "amount": Decimal("100.00"), "oldest_at": "2026-12-01T10:01:00+03:00"}
    assert store.cash_box() == {"100": 1}
    store.close()


def test_enroll_writes_a_private_key_and_confirms_the_last_txn(make_kiosk, tmp_path):
    h = make_kiosk(tmp_path / "k", start=False)
    mode = stat.S_IMODE(h.cfg.key_file.stat().st_mode)
    assert mode == 0o600
    assert h.store.confirmed
    assert h.store.txn_counter() == 0


def test_enroll_with_a_wrong_code_writes_no_key(terminal, transport, tmp_path):
    from kiosk.app import enroll

    from .harness import config_at

    cfg = config_at(tmp_path)
    lines = []
    assert enroll(cfg, "0000-0000-0000", transport=transport, out=lines.append) == 1
    assert not cfg.key_file.exists()
    assert "403" in lines[0]


def test_the_cli_enroll_needs_a_code(tmp_path, monkeypatch, capsys):
    from kiosk.__main__ import main

    monkeypatch.delenv("KIOSK_ENROLL_CODE", raising=False)
    assert main(["enroll", "--config", str(write_config(tmp_path))]) == 2
    assert "--code" in capsys.readouterr().err


def test_run_without_a_key_says_enroll_first(tmp_path, caplog):
    from kiosk.__main__ import main

    assert main(["run", "--config", str(write_config(tmp_path))]) == 2
    assert "enroll" in caplog.text


def test_a_bad_config_file_stops_the_cli_with_its_message(tmp_path, capsys):
    from kiosk.__main__ import main

    path = tmp_path / "bad.toml"
    path.write_text("[server]\nurl = 1\n")
    assert main(["run", "--config", str(path)]) == 2
    assert "server.url" in capsys.readouterr().err


def test_pin_hash_reads_the_pin_from_stdin(monkeypatch, capsys):
    import io

    from kiosk.__main__ import main

    monkeypatch.setattr("sys.stdin", io.StringIO("4821\n"))
    assert main(["pin-hash"]) == 0
    assert pin_matches("4821", capsys.readouterr().out.strip())
    monkeypatch.setattr("sys.stdin", io.StringIO("12\n"))
    assert main(["pin-hash"]) == 2
