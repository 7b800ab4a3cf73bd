"""The kiosk's local store: SQLite in WAL mode with synchronous=FULL, so a committed write survives a
power cut. It holds the money (payments and every stacked note), the txn counter, the outbox state
and the cached server config.

One connection, one lock: the device thread, the sender and the screens share it. Every write that
moves money is one `BEGIN IMMEDIATE ... COMMIT`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS payments (
    id INTEGER PRIMARY KEY,
    txn TEXT UNIQUE,
    state TEXT NOT NULL,
    provider TEXT NOT NULL,
    provider_name TEXT NOT NULL DEFAULT '',
    account TEXT NOT NULL,
    fields TEXT NOT NULL DEFAULT '{}',
    offline INTEGER NOT NULL DEFAULT 0,
    opened_at TEXT NOT NULL,
    amount TEXT NOT NULL DEFAULT '0.00',
    fee TEXT NOT NULL DEFAULT '0.00',
    credited TEXT NOT NULL DEFAULT '0.00',
    not_passed INTEGER NOT NULL DEFAULT 0,
    paid_at TEXT,
    doc TEXT,
    receipt TEXT NOT NULL DEFAULT 'pending',
    fiscal_doc TEXT NOT NULL DEFAULT '',
    http_status INTEGER,
    error_code TEXT NOT NULL DEFAULT '',
    server_status TEXT NOT NULL DEFAULT '',
    server_body TEXT NOT NULL DEFAULT '',
    sent_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS payments_state ON payments (state);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES payments (id),
    value TEXT NOT NULL,
    bill_type INTEGER NOT NULL,
    stacked_at TEXT NOT NULL,
    acked INTEGER NOT NULL DEFAULT 0,
    collected INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS notes_payment ON notes (payment_id);
CREATE TABLE IF NOT EXISTS collections (
    id INTEGER PRIMARY KEY,
    collected_at TEXT NOT NULL,
    by_denomination TEXT NOT NULL,
    notes INTEGER NOT NULL,
    amount TEXT NOT NULL,
    reported_at TEXT
);
-- Each finished payment goes into one encashment (the one that emptied the cassette after it).
CREATE TABLE IF NOT EXISTS collection_txns (txn TEXT PRIMARY KEY, collection_id INTEGER NOT NULL);
-- The body posted to POST /encashments, fixed once, so a retry is the same body (the server answers 200).
CREATE TABLE IF NOT EXISTS collection_posts (collection_id INTEGER PRIMARY KEY, body TEXT NOT NULL,
                                             reported_at TEXT);
-- Remote commands executed: a row is written before a command runs, so an id runs at most once;
-- acked once the heartbeat that carried its acknowledgement was answered.
CREATE TABLE IF NOT EXISTS commands (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, executed_at TEXT NOT NULL,
                                     ok INTEGER, message TEXT NOT NULL DEFAULT '', acked INTEGER NOT NULL DEFAULT 0);
"""

# Payment rows: open (validator on, notes may be in) -> finished (paid_at and amounts fixed) -> sent,
# or -> rejected (the server said 400/409: kept with its answer); an open session without notes -> void.
OPEN, FINISHED, SENT, REJECTED, VOID = "open", "finished", "sent", "rejected", "void"
# Receipt column: pending (not yet registered/printed), printed, not_printed (printer failed, reprint
# offered), fiscal_failed (the registrar refused: the payment is still sent, the kiosk is out of service).
RECEIPT_PENDING, RECEIPT_PRINTED, RECEIPT_NOT_PRINTED, RECEIPT_FISCAL_FAILED = (
    "pending", "printed", "not_printed", "fiscal_failed")


class StoreError(RuntimeError):
    pass


class NotConfirmed(StoreError):
    """The store has never confirmed the server's last_txn: it must not number a payment yet."""


@dataclass(frozen=True)
class Payment:
    id: int
    txn: str | None
    state: str
    provider: str
    provider_name: str
    account: str
    fields: dict
    offline: bool
    opened_at: str
    amount: Decimal
    fee: Decimal
    credited: Decimal
    not_passed: bool
    paid_at: str | None
    doc: dict | None
    receipt: str
    fiscal_doc: str
    http_status: int | None
    error_code: str
    server_status: str
    sent_at: str | None
    attempts: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Payment:
        return cls(id=row["id"], txn=row["txn"], state=row["state"], provider=row["provider"],
                   provider_name=row["provider_name"], account=row["account"], fields=json.loads(row["fields"]),
                   offline=bool(row["offline"]), opened_at=row["opened_at"], amount=Decimal(row["amount"]),
                   fee=Decimal(row["fee"]), credited=Decimal(row["credited"]), not_passed=bool(row["not_passed"]),
                   paid_at=row["paid_at"], doc=json.loads(row["doc"]) if row["doc"] else None,
                   receipt=row["receipt"], fiscal_doc=row["fiscal_doc"], http_status=row["http_status"],
                   error_code=row["error_code"], server_status=row["server_status"], sent_at=row["sent_at"],
                   attempts=row["attempts"])


@dataclass(frozen=True)
class Note:
    id: int
    payment_id: int
    value: Decimal
    bill_type: int
    stacked_at: str
    acked: bool


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=30)
        self.db.row_factory = sqlite3.Row
        mode = self.db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreError(f"SQLite refused WAL mode ({mode})")
        # FULL: every COMMIT is fsynced in WAL mode too (NORMAL could lose the last commits on power loss).
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        with self.lock:
            self.db.close()

    @contextmanager
    def tx(self):
        """One write transaction, taken at once (BEGIN IMMEDIATE), committed durably."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def pragma(self, name: str):
        with self.lock:
            return self.db.execute(f"PRAGMA {name}").fetchone()[0]

    # -- meta ---------------------------------------------------------------------------
    def meta_get(self, key: str, default: str | None = None) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else row["value"]

    def _meta_set(self, db, key: str, value: str) -> None:
        db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   (key, value))

    def meta_set(self, key: str, value: str) -> None:
        with self.tx() as db:
            self._meta_set(db, key, value)

    # -- numbering ----------------------------------------------------------------------
    def txn_counter(self) -> int:
        return int(self.meta_get("txn_counter", "0"))

    @property
    def confirmed(self) -> bool:
        """True once the server's last_txn has been read into this store (see server_last_txn_seen)."""
        return self.meta_get("last_txn_confirmed") == "1"

    def server_last_txn_seen(self, last_txn: str | None) -> int:
        """The server's last_txn from /config: the counter never goes below it; the store is confirmed."""
        server = int(last_txn) if last_txn else 0
        with self.tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'txn_counter'").fetchone()
            counter = max(int(row["value"]) if row else 0, server)
            self._meta_set(db, "txn_counter", str(counter))
            self._meta_set(db, "server_last_txn", str(server))
            self._meta_set(db, "last_txn_confirmed", "1")
        return counter

    def forget_confirmation(self) -> None:
        """After restoring the store from a backup: take no cash until the server's last_txn is read again."""
        self.meta_set("last_txn_confirmed", "0")

    # -- the payment session ------------------------------------------------------------
    def session_open(self, *, provider: str, provider_name: str, account: str, fields: dict, offline: bool,
                     now: str) -> Payment:
        """Written before the validator is enabled, so a note stacked across a crash has its payment."""
        with self.tx() as db:
            if db.execute("SELECT 1 FROM payments WHERE state = ?", (OPEN,)).fetchone():
                raise StoreError("a payment session is already open")
            cur = db.execute("INSERT INTO payments (state, provider, provider_name, account, fields, offline, "
                             "opened_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (OPEN, provider, provider_name, account, json.dumps(fields, ensure_ascii=False),
                              int(offline), now))
            pk = cur.lastrowid
        return self.payment(pk)

    def open_session(self) -> Payment | None:
        with self.lock:
            row = self.db.execute("SELECT * FROM payments WHERE state = ? ORDER BY id LIMIT 1", (OPEN,)).fetchone()
        return Payment.from_row(row) if row else None

    def note_stacked(self, *, payment_id: int, value: Decimal, bill_type: int, now: str) -> tuple[str, Decimal]:
        """The money event: the note is recorded at once; the first note numbers the payment.

        Returns (txn, the payment's total so far). The txn is max(counter, server's last_txn) + 1,
        taken in the same transaction as the note, so numbering and money cannot disagree after a crash.
        """
        with self.tx() as db:
            row = db.execute("SELECT txn, state FROM payments WHERE id = ?", (payment_id,)).fetchone()
            if row is None or row["state"] != OPEN:
                raise StoreError(f"payment {payment_id} is not open")
            txn = row["txn"]
            if txn is None:
                meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('txn_counter', 'server_last_txn')").fetchall())
                number = max(int(meta.get("txn_counter", 0)), int(meta.get("server_last_txn", 0))) + 1
                txn = str(number)
                self._meta_set(db, "txn_counter", txn)
                db.execute("UPDATE payments SET txn = ? WHERE id = ?", (txn, payment_id))
            db.execute("INSERT INTO notes (payment_id, value, bill_type, stacked_at) VALUES (?, ?, ?, ?)",
                       (payment_id, f"{Decimal(value):.2f}", bill_type, now))
            total = self._total(db, payment_id)
            db.execute("UPDATE payments SET amount = ? WHERE id = ?", (f"{total:.2f}", payment_id))
        return txn, total

    def note_acked(self, payment_id: int) -> None:
        with self.tx() as db:
            db.execute("UPDATE notes SET acked = 1 WHERE payment_id = ? AND acked = 0", (payment_id,))

    def unacked_note(self) -> Note | None:
        """The last note stored but not yet confirmed to the validator (a crash between the two)."""
        with self.lock:
            row = self.db.execute("SELECT * FROM notes WHERE acked = 0 ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        return Note(id=row["id"], payment_id=row["payment_id"], value=Decimal(row["value"]),
                    bill_type=row["bill_type"], stacked_at=row["stacked_at"], acked=False)

    def notes(self, payment_id: int) -> list[Note]:
        with self.lock:
            rows = self.db.execute("SELECT * FROM notes WHERE payment_id = ? ORDER BY id", (payment_id,)).fetchall()
        return [Note(id=r["id"], payment_id=r["payment_id"], value=Decimal(r["value"]), bill_type=r["bill_type"],
                     stacked_at=r["stacked_at"], acked=bool(r["acked"])) for r in rows]

    @staticmethod
    def _total(db, payment_id: int) -> Decimal:
        values = [Decimal(r["value"]) for r in db.execute("SELECT value FROM notes WHERE payment_id = ?",
                                                          (payment_id,))]
        return sum(values, Decimal("0.00"))

    def finish(self, *, payment_id: int, fee: Decimal, credited: Decimal, paid_at: str, not_passed: bool,
               doc: dict) -> Payment:
        """Close the session: the amounts, paid_at and the exact document the sender will post are fixed.

        A session without notes becomes void (no money, no txn)."""
        with self.tx() as db:
            row = db.execute("SELECT state FROM payments WHERE id = ?", (payment_id,)).fetchone()
            if row is None or row["state"] != OPEN:
                raise StoreError(f"payment {payment_id} is not open")
            if self._total(db, payment_id) <= 0:
                db.execute("UPDATE payments SET state = ? WHERE id = ?", (VOID, payment_id))
            else:
                db.execute("UPDATE payments SET state = ?, fee = ?, credited = ?, paid_at = ?, not_passed = ?, "
                           "doc = ? WHERE id = ?",
                           (FINISHED, f"{fee:.2f}", f"{credited:.2f}", paid_at, int(not_passed),
                            json.dumps(doc, ensure_ascii=False, separators=(",", ":")), payment_id))
        return self.payment(payment_id)

    def void(self, payment_id: int) -> None:
        with self.tx() as db:
            if self._total(db, payment_id) > 0:
                raise StoreError("a session with money cannot be voided")
            db.execute("UPDATE payments SET state = ? WHERE id = ? AND state = ?", (VOID, payment_id, OPEN))

    def receipt_set(self, payment_id: int, receipt: str, fiscal_doc: str = "") -> None:
        with self.tx() as db:
            db.execute("UPDATE payments SET receipt = ?, fiscal_doc = ? WHERE id = ?",
                       (receipt, fiscal_doc, payment_id))

    # -- the outbox ---------------------------------------------------------------------
    def payment(self, pk: int) -> Payment:
        with self.lock:
            row = self.db.execute("SELECT * FROM payments WHERE id = ?", (pk,)).fetchone()
        if row is None:
            raise StoreError(f"no payment {pk}")
        return Payment.from_row(row)

    def payment_by_txn(self, txn: str) -> Payment | None:
        with self.lock:
            row = self.db.execute("SELECT * FROM payments WHERE txn = ?", (txn,)).fetchone()
        return Payment.from_row(row) if row else None

    def payments(self, *states: str) -> list[Payment]:
        with self.lock:
            if states:
                marks = ",".join("?" * len(states))
                # Only "?" placeholders are formatted in; the states themselves are bound parameters.
                rows = self.db.execute(f"SELECT * FROM payments WHERE state IN ({marks}) ORDER BY id", states)  # noqa: S608
            else:
                rows = self.db.execute("SELECT * FROM payments ORDER BY id")
            return [Payment.from_row(r) for r in rows.fetchall()]

    def to_print(self) -> list[Payment]:
        """Finished payments whose cheque was never attempted (a crash before printing)."""
        return [p for p in self.payments(FINISHED, SENT, REJECTED) if p.receipt == RECEIPT_PENDING]

    def outbox(self, limit: int = 100) -> list[Payment]:
        """What the sender posts: finished, cheque attempted (record -> print -> send), oldest first."""
        with self.lock:
            rows = self.db.execute("SELECT * FROM payments WHERE state = ? AND receipt != ? ORDER BY id LIMIT ?",
                                   (FINISHED, RECEIPT_PENDING, limit)).fetchall()
        return [Payment.from_row(r) for r in rows]

    def attempted(self, txns: list[str]) -> None:
        with self.tx() as db:
            db.executemany("UPDATE payments SET attempts = attempts + 1 WHERE txn = ?", [(t,) for t in txns])

    def mark_sent(self, *, txn: str, http_status: int, body: dict, now: str) -> None:
        with self.tx() as db:
            db.execute("UPDATE payments SET state = ?, http_status = ?, server_status = ?, server_body = ?, "
                       "sent_at = ?, error_code = '' WHERE txn = ? AND state = ?",
                       (SENT, http_status, str(body.get("status", ""))[:32],
                        json.dumps(body, ensure_ascii=False), now, txn, FINISHED))

    def mark_rejected(self, *, txn: str, http_status: int, code: str, body: dict, now: str) -> None:
        """Kept with the server's answer (never dropped, never resent as is); the service screen shows it."""
        with self.tx() as db:
            db.execute("UPDATE payments SET state = ?, http_status = ?, error_code = ?, server_body = ?, "
                       "sent_at = ? WHERE txn = ? AND state = ?",
                       (REJECTED, http_status, code[:64], json.dumps(body, ensure_ascii=False), now, txn, FINISHED))

    def queue_summary(self) -> dict:
        """Unsent money: {count, amount, oldest_at} over finished payments."""
        with self.lock:
            rows = self.db.execute("SELECT amount, paid_at FROM payments WHERE state = ?", (FINISHED,)).fetchall()
        amount = sum((Decimal(r["amount"]) for r in rows), Decimal("0.00"))
        oldest = min((r["paid_at"] for r in rows), default=None,
                     key=lambda s: datetime.fromisoformat(s).timestamp())
        return {"count": len(rows), "amount": amount, "oldest_at": oldest}

    def rejected(self) -> list[Payment]:
        return self.payments(REJECTED)

    def cash_box(self) -> dict[str, int]:
        """Notes in the cassette by face value ({"100": 12}), from every stacked note not yet collected."""
        with self.lock:
            rows = self.db.execute("SELECT value, COUNT(*) AS n FROM notes WHERE collected = 0 GROUP BY value")
            out = {}
            for r in rows.fetchall():
                out[f"{Decimal(r['value']).normalize():f}"] = r["n"]
        return dict(sorted(out.items(), key=lambda kv: Decimal(kv[0])))

    def collect(self, *, now: str, opened_at: str | None = None) -> dict | None:
        """The cassette is emptied: its notes (by face value) become one collection; None if it was empty.

        The notes keep their rows (the money's history); `collected` holds the collection's id. Every
        finished payment not yet in a collection goes into this one, and the body for POST /encashments
        is written in the same transaction (its uuid is the server's idempotency key)."""
        with self.tx() as db:
            rows = db.execute("SELECT value, COUNT(*) AS n FROM notes WHERE collected = 0 GROUP BY value").fetchall()
            if not rows:
                return None
            box = {f"{Decimal(r['value']).normalize():f}": r["n"] for r in rows}
            box = dict(sorted(box.items(), key=lambda kv: Decimal(kv[0])))
            amount = sum((Decimal(v) * n for v, n in box.items()), Decimal("0.00"))
            notes = sum(box.values())
            cur = db.execute("INSERT INTO collections (collected_at, by_denomination, notes, amount) VALUES (?, ?, ?, ?)",
                             (now, json.dumps(box), notes, f"{amount:.2f}"))
            db.execute("UPDATE notes SET collected = ? WHERE collected = 0", (cur.lastrowid,))
            txns = [r["txn"] for r in db.execute(
                "SELECT txn FROM payments WHERE state IN (?, ?, ?) AND txn IS NOT NULL "
                "AND txn NOT IN (SELECT txn FROM collection_txns) ORDER BY id", (FINISHED, SENT, REJECTED))]
            db.executemany("INSERT INTO collection_txns (txn, collection_id) VALUES (?, ?)",
                           [(t, cur.lastrowid) for t in txns])
            body = {"id": str(uuid.uuid4()), "opened_at": opened_at or now, "closed_at": now,
                    "notes": {face: n for face, n in box.items() if Decimal(face) == Decimal(face).to_integral()},
                    "total": f"{amount:.2f}", "txns": txns}
            db.execute("INSERT INTO collection_posts (collection_id, body) VALUES (?, ?)",
                       (cur.lastrowid, json.dumps(body)))
            previous = db.execute("SELECT collected_at FROM collections WHERE id < ? ORDER BY id DESC LIMIT 1",
                                  (cur.lastrowid,)).fetchone()
        return {"id": cur.lastrowid, "collected_at": now, "by_denomination": box, "notes": notes, "amount": amount,
                "since": previous["collected_at"] if previous else None, "uuid": body["id"], "txns": txns,
                "payments": len(txns), "opened_at": body["opened_at"]}

    def collections_unreported(self) -> list[tuple[int, dict]]:
        """(collection id, the body to post) of every collection the server has not confirmed yet."""
        with self.lock:
            rows = self.db.execute("SELECT collection_id, body FROM collection_posts WHERE reported_at IS NULL "
                                   "ORDER BY collection_id").fetchall()
        return [(r["collection_id"], json.loads(r["body"])) for r in rows]

    def collection_reported(self, collection_id: int, *, now: str) -> None:
        with self.tx() as db:
            db.execute("UPDATE collection_posts SET reported_at = ? WHERE collection_id = ?", (now, collection_id))
            db.execute("UPDATE collections SET reported_at = ? WHERE id = ?", (now, collection_id))

    # -- remote commands ----------------------------------------------------------------
    def command_begin(self, *, pk: int, kind: str, now: str, ok: bool | None = None, message: str = "") -> bool:
        """Record command `pk` as executed before it runs; False if it ran before (then it must not run again).

        `ok` given: the result is recorded with it (a restart records its own before the program goes)."""
        with self.tx() as db:
            cur = db.execute("INSERT OR IGNORE INTO commands (id, kind, executed_at, ok, message) VALUES (?, ?, ?, ?, ?)",
                             (pk, kind, now, None if ok is None else int(ok), message[:255]))
        return cur.rowcount == 1

    def command_result(self, pk: int, *, ok: bool, message: str = "") -> None:
        with self.tx() as db:
            db.execute("UPDATE commands SET ok = ?, message = ? WHERE id = ?", (int(ok), message[:255], pk))

    def acks_pending(self) -> list[dict]:
        """Acknowledgements for the next heartbeat; a command cut off before its result is acknowledged as failed."""
        with self.lock:
            rows = self.db.execute("SELECT id, ok, message FROM commands WHERE acked = 0 ORDER BY id LIMIT 100")
            return [{"id": r["id"], "ok": bool(r["ok"]),
                     "message": r["message"] if r["ok"] is not None else "interrupted before it finished"}
                    for r in rows.fetchall()]

    def acks_sent(self, ids: list[int]) -> None:
        with self.tx() as db:
            db.executemany("UPDATE commands SET acked = 1 WHERE id = ?", [(i,) for i in ids])

    def last_payment(self) -> Payment | None:
        with self.lock:
            row = self.db.execute("SELECT * FROM payments WHERE state IN (?, ?, ?) ORDER BY id DESC LIMIT 1",
                                  (FINISHED, SENT, REJECTED)).fetchone()
        return Payment.from_row(row) if row else None

    # -- the cached server config -------------------------------------------------------
    def config_cached(self) -> tuple[dict | None, str | None]:
        raw = self.meta_get("config")
        return (json.loads(raw) if raw else None), self.meta_get("config_etag")

    def config_save(self, doc: dict, etag: str | None) -> None:
        with self.tx() as db:
            self._meta_set(db, "config", json.dumps(doc, ensure_ascii=False))
            self._meta_set(db, "config_etag", etag or "")
