"""The one-statement acceptance (PostgreSQL) writes exactly the rows the ORM path writes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from dealers.models import Dealer, LedgerEntry
from payments.models import Event, Payment
from payments.services import accept_sql

from .conftest import payment

pytestmark = pytest.mark.skipif("connection.vendor != 'postgresql'",
                                reason="the one-statement acceptance is PostgreSQL's (SQLite keeps the ORM path)")

SKIP = {"id", "txn", "content_hash", "cheque_number", "received_at", "finished_at", "leased_until", "created_at",
        "payment_id", "balance_after"}


def _row(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in SKIP}


def rows(txns: list[str]) -> list:
    """Every column acceptance wrote for these txns (ids, txns and times compared apart)."""
    out = []
    for p in Payment.objects.filter(txn__in=txns).order_by("txn"):
        ledger = [{**_row(e), "comment": e.comment.replace(p.txn, "TXN")}
                  for e in LedgerEntry.objects.filter(payment=p).order_by("pk")]
        events = [_row(e) for e in Event.objects.filter(payment=p).order_by("pk")]
        # The ORM reads the clock again for each row's auto_now_add: within a second is the same.
        def near(t):
            return abs(t - p.received_at) < timedelta(seconds=1)

        times = (near(p.finished_at) if p.finished_at else None,
                 round((p.leased_until - p.received_at).total_seconds()) if p.leased_until else None,
                 [near(e.created_at) for e in Event.objects.filter(payment=p)],
                 [near(e.created_at) for e in LedgerEntry.objects.filter(payment=p)])
        out.append((_row(p), ledger, events, times, p.cheque_number.endswith(p.txn)))
    return out


def mixed(prefix: str) -> list[dict]:
    future = "2099-01-01T12:00:00+03:00"
    return [payment(txn=f"{prefix}1"), payment(txn=f"{prefix}2", provider="nope"),
            payment(txn=f"{prefix}3", account="12"), payment(txn=f"{prefix}4", amount="250.00"),
            payment(txn=f"{prefix}5", paid_at=future), payment(txn=f"{prefix}6", amount="99999.00"),
            payment(txn=f"{prefix}7", fee="5.00", credited="95.00"),
            payment(txn=f"{prefix}8", fee="1.00", credited="99.00")]


def test_the_statement_writes_what_the_orm_writes(kiosk, monkeypatch):
    for item in mixed("1"):
        assert kiosk.post_payment(item).status_code == 201
    monkeypatch.setattr(accept_sql, "supported", lambda: False)
    for item in mixed("2"):
        assert kiosk.post_payment(item).status_code == 201
    one, orm = rows([f"1{i}" for i in range(1, 9)]), rows([f"2{i}" for i in range(1, 9)])
    assert [r[0]["status"] for r in one] == ["accepted", "failed", "failed", "accepted", "accepted", "failed",
                                             "accepted", "accepted"]
    assert one == orm
    assert all(r[1] for r in one if r[0]["status"] == "accepted")  # each debited with its ledger entry


def test_balance_after_and_the_dealers_balance(kiosk, terminal):
    before = Dealer.objects.get(pk=terminal.dealer_id).balance
    kiosk.post_payment(payment(txn="1", amount="100.00"))
    kiosk.post_payment(payment(txn="2", amount="250.00"))
    entries = list(LedgerEntry.objects.filter(payment__txn__in=["1", "2"]).order_by("payment__txn")
                   .values_list("kind", "amount", "balance_after", "comment"))
    assert entries == [("payment_debit", Decimal("-100.00"), before - Decimal("100.00"), "1001-1"),
                       ("payment_debit", Decimal("-250.00"), before - Decimal("350.00"), "1001-2")]
    assert Dealer.objects.get(pk=terminal.dealer_id).balance == before - Decimal("350.00")


def test_not_covered_is_held_without_a_debit_and_the_orm_agrees(kiosk, terminal, monkeypatch):
    Dealer.objects.filter(pk=terminal.dealer_id).update(balance=Decimal("150.00"), credit_limit=Decimal("0"))
    answers = [kiosk.post_payment(payment(txn=t, amount="100.00")).json() for t in ("11", "12")]
    assert [a["status"] for a in answers] == ["accepted", "held"]
    assert answers[1]["reason"] == "insufficient_balance"
    Dealer.objects.filter(pk=terminal.dealer_id).update(balance=Decimal("150.00"))
    monkeypatch.setattr(accept_sql, "supported", lambda: False)
    for t in ("21", "22"):
        kiosk.post_payment(payment(txn=t, amount="100.00"))
    one, orm = rows(["11", "12"]), rows(["21", "22"])
    assert one == orm
    held = Payment.objects.get(txn="12")
    assert (held.leased_until, LedgerEntry.objects.filter(payment=held).count()) == (None, 0)
    assert list(held.events.values_list("to_status", "reason")) == [("held", "insufficient_balance")]
    assert Dealer.objects.get(pk=terminal.dealer_id).balance == Decimal("50.00")


def test_a_repeat_writes_nothing_and_answers_first(kiosk, terminal):
    first = kiosk.post_payment(payment(txn="1"))
    balance = Dealer.objects.get(pk=terminal.dealer_id).balance
    again = kiosk.post_payment(payment(txn="1"))
    other = kiosk.post_payment(payment(txn="1", amount="200.00"))
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert again.json() == first.json()
    assert Payment.objects.filter(txn="1").count() == 1
    assert Event.objects.filter(payment__txn="1").count() == 1
    assert LedgerEntry.objects.filter(payment__txn="1").count() == 1
    assert Dealer.objects.get(pk=terminal.dealer_id).balance == balance


def test_the_statement_is_prepared_on_the_server_once(kiosk):
    for n in range(3):
        kiosk.post_payment(payment(txn=str(n + 1)))
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'WITH d AS (UPDATE%%'")
        # One per set of parameter types psycopg chose (small ids are smallint, larger ones integer).
        assert cur.fetchone()[0] >= 1


def test_the_lease_is_the_settings(kiosk, settings):
    settings.KIT_STUCK_ACCEPTED_SECONDS = 77
    kiosk.post_payment(payment(txn="1"))
    p = Payment.objects.get(txn="1")
    assert p.leased_until - p.received_at == timedelta(seconds=77)


