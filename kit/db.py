"""Database connection helpers."""

from django.db import connection


def pooled() -> bool:
    """True when this process borrows its connections from a pool (settings DB_POOL_MAX_SIZE)."""
    return bool(connection.settings_dict.get("OPTIONS", {}).get("pool"))


def db_release() -> None:
    """Give this thread's connection back to the pool before a slow wait (a gateway call).

    Only with a pool: a pooled connection is returned and borrowed again by the next query
    for the cost of a lock. A persistent connection is kept (reopening costs a connection
    set-up). Never inside a transaction: nothing is released while a row lock is held.
    """
    if pooled() and not connection.in_atomic_block:
        connection.close()
