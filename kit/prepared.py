"""Statements prepared on the PostgreSQL server, for the few hot statements whose text never changes.

Django's cursors bind on the client (psycopg's ClientCursor: every value quoted into the text)
and turn psycopg's automatic preparation off, so PostgreSQL parses and plans each statement
again. The payment paths' fixed statements (acceptance: payments/services/accept_sql.py; the
engine's writes: kit/rows.py `Chain`) go through `execute` instead: server-side binding (the
values travel apart from the text, nothing quoted) and `prepare=True`, so each text is parsed
and planned once per connection.

Server-side prepared statements do not survive a transaction-mode connection pooler (pgbouncer
before 1.21): run PostgreSQL directly or through psycopg's own pool, as kit does.
PostgreSQL only: callers keep another path for SQLite.
"""

from __future__ import annotations

import time

import psycopg
from django.db import connections, transaction


class _Prepared(psycopg.Cursor):
    """Server-side binding, and every statement prepared: Django turns psycopg's automatic
    preparation off (prepare_threshold=None), and only the statements given to `execute` come here."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def execute(sql: str, params: list, *, savepoint: bool = False, db: str = "default") -> tuple | None:
    """Run one statement prepared; return its first row (None when it returns none).

    Wrapped as Django wraps its own cursors (errors translated, execute_wrappers applied);
    captured queries (tests, debug) are logged here, as Django's debug wrapper cannot read a
    prepared statement's text. `savepoint`: inside a caller's transaction, a failure rolls back
    only this statement (acceptance: a repeated txn); without it a failure aborts the caller's
    transaction, as any failed statement does.
    """
    connection = connections[db]
    connection.ensure_connection()
    conn = connection.connection
    if conn.prepare_threshold is None:
        # Django leaves it None, which refuses even an explicit prepare=True. A threshold nobody
        # reaches keeps psycopg from preparing anything on its own; Django's client-side-binding
        # cursors never prepare anyway.
        conn.prepare_threshold = 2**31 - 1
    cursor = connection.make_cursor(_Prepared(conn))
    start = time.monotonic()
    try:
        with cursor:
            if savepoint and connection.in_atomic_block:
                with transaction.atomic(using=db):
                    cursor.execute(sql, params)
                    return cursor.fetchone()
            cursor.execute(sql, params)
            return cursor.fetchone()
    finally:
        if connection.queries_logged:
            connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - start:.3f}"})
