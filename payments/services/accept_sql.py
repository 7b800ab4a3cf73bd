"""Acceptance in one statement on PostgreSQL: payment, dealer debit, ledger entry and event.

The ORM path in accept.py sends BEGIN, four statements (each compiled by the ORM on every
request) and COMMIT: six round trips. Here one data-modifying CTE does the same writes in one
round trip, in autocommit (a statement is atomic on its own), and the statement text never
changes, so it is prepared on the server once per connection: no ORM compilation and no parse
or plan per payment.

The SQL is written here once, its column lists built from the models' own fields at import,
so a new column on Payment, Event or LedgerEntry is inserted here too (with the value the
unsaved model instance holds, exactly as the ORM would send it). tests/payments/test_accept_sql.py
compares the rows of this path with the ORM path's, field by field.

Order of locks, as in a batch (batch.py): the dealer row (the conditional UPDATE takes it only
when the money is there), then the payment's unique (terminal, txn) slot; a batch and a single
post of the same txn never wait on each other in a circle. The UPDATE's output
decides the payment's status: `accepted` when the debit happened, `held` /
`insufficient_balance` when balance + credit limit do not cover it (and then no ledger entry).
A repeated txn fails the whole statement with IntegrityError and nothing is written.

PostgreSQL only (SQLite has no data-modifying CTEs): accept.py keeps the ORM path there.
The statement is prepared on the server (kit/prepared.py, with what that asks of a pooler).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import connection, models

from dealers.models import Dealer, LedgerEntry
from kit import prepared

from ..errors import Reason
from ..models import Event, Payment, Status

# Column -> SQL expression overrides for the payment row of the debiting statement: what the
# dealer's UPDATE decided (d.balance is NULL when it did not cover the payment).
_IF_DEBITED = {
    "status": f"CASE WHEN d.balance IS NULL THEN '{Status.HELD.value}' ELSE %s END",
    "reason": f"CASE WHEN d.balance IS NULL THEN '{Reason.INSUFFICIENT_BALANCE.value}' ELSE %s END",
    "leased_until": "CASE WHEN d.balance IS NULL THEN NULL ELSE %s END",
}


def _fields(model) -> list:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


PAYMENT_FIELDS = _fields(Payment)
EVENT_FIELDS = _fields(Event)
LEDGER_FIELDS = _fields(LedgerEntry)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _payment_insert(select_from: str, overrides: dict[str, str]) -> str:
    cols = ", ".join(_q(f.column) for f in PAYMENT_FIELDS)
    values = ", ".join(overrides.get(f.column, "%s") for f in PAYMENT_FIELDS)
    return (f"INSERT INTO {_q(Payment._meta.db_table)} ({cols}) SELECT {values} FROM {select_from} "  # noqa: S608
            "RETURNING id, status, reason")


def _event_insert() -> str:
    # The first event: from nothing to the payment's status, for the reason the payment holds.
    exprs = {"payment_id": "p.id", "to_status": "p.status", "reason": "p.reason"}
    cols = ", ".join(_q(f.column) for f in EVENT_FIELDS)
    values = ", ".join(exprs.get(f.column, "%s") for f in EVENT_FIELDS)
    return f"INSERT INTO {_q(Event._meta.db_table)} ({cols}) SELECT {values} FROM p"  # noqa: S608


def _ledger_insert() -> str:
    exprs = {"payment_id": "p.id", "balance_after": "d.balance"}
    cols = ", ".join(_q(f.column) for f in LEDGER_FIELDS)
    values = ", ".join(exprs.get(f.column, "%s") for f in LEDGER_FIELDS)
    return f"INSERT INTO {_q(LedgerEntry._meta.db_table)} ({cols}) SELECT {values} FROM d, p"  # noqa: S608


def _build() -> tuple[str, str]:
    dealer = _q(Dealer._meta.db_table)
    # Names and expressions of our own models only (S608): the values are all parameters.
    plain = (f"WITH p AS ({_payment_insert('(SELECT 1) AS one', {})}), "  # noqa: S608
             f"e AS ({_event_insert()}) SELECT p.id, p.status FROM p")
    # p reads d, so the dealer's UPDATE runs (and takes its row lock) before the insert.
    debit = (f"WITH d AS (UPDATE {dealer} SET balance = balance - %s "  # noqa: S608
             f"WHERE id = %s AND balance + credit_limit >= %s RETURNING balance), "
             f"p AS ({_payment_insert('(SELECT 1) AS one LEFT JOIN d ON true', _IF_DEBITED)}), "
             f"l AS ({_ledger_insert()}), "
             f"e AS ({_event_insert()}) SELECT p.id, p.status FROM p")
    return plain, debit


SQL_PLAIN, SQL_DEBIT = _build()


def supported() -> bool:
    return connection.vendor == "postgresql"


def _prep(field):
    """How a value of `field` goes to PostgreSQL: what get_db_prep_save does there, without its
    layers for the types that psycopg takes as they are (ids, amounts, integers, aware times)."""
    if isinstance(field, models.JSONField):
        return lambda value: connection.ops.adapt_json_value(value, field.encoder)
    if isinstance(field, models.ForeignKey | models.DecimalField | models.IntegerField | models.DateTimeField):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def _preps(fields, skip=()) -> list[tuple[str, object]]:
    return [(f.attname, _prep(f)) for f in fields if f.column not in skip]


_PAYMENT = _preps(PAYMENT_FIELDS)
_EVENT = _preps(EVENT_FIELDS, skip={"payment_id", "to_status", "reason"})
_LEDGER = _preps(LEDGER_FIELDS, skip={"payment_id", "balance_after"})


def _params(preps, obj) -> list:
    return [getattr(obj, name) if prep is None else prep(getattr(obj, name)) for name, prep in preps]


def payment_insert(*, payment: Payment, event: Event, debit: Decimal | None, now: datetime) -> None:
    """Write `payment` (unsaved, status and reason as judged), its first `event` (detail and actor
    set) and, when `debit` is given, the dealer's debit and its ledger entry, in one statement.

    Sets payment.pk; when the debit is not covered sets status `held`, reason
    `insufficient_balance`, no lease, as the ORM path does. Raises IntegrityError (nothing
    written) when the terminal's txn is already recorded.
    """
    payment.received_at = now  # the auto_now_add fields, as the ORM's pre_save sets them
    event.created_at = now
    if debit is None:
        params = _params(_PAYMENT, payment) + _params(_EVENT, event)
        sql = SQL_PLAIN
    else:
        entry = LedgerEntry(dealer_id=payment.dealer_id, kind=LedgerEntry.Kind.PAYMENT_DEBIT, amount=-debit,
                            comment=payment.cheque_number[:255], created_at=now)
        # The overridden columns keep one placeholder each: the value when the debit happened.
        params = [debit, payment.dealer_id, debit, *_params(_PAYMENT, payment), *_params(_LEDGER, entry),
                  *_params(_EVENT, event)]
        sql = SQL_DEBIT
    # Inside a caller's transaction (tests, a batch's fallback) a savepoint, so a repeated txn rolls
    # back only this statement, as the ORM path's atomic does.
    pk, status = prepared.execute(sql, params, savepoint=True)
    payment.pk = pk
    if status != payment.status:  # the debit was not covered
        payment.status, payment.reason, payment.leased_until = Status.HELD, Reason.INSUFFICIENT_BALANCE, None
    event.payment_id, event.to_status, event.reason = pk, payment.status, payment.reason
    payment._state.adding = False
