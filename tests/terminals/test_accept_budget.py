"""Acceptance's statement budget: a change that adds a statement to the hot path fails here.

Counted as a busy worker runs: the catalogue snapshot and the terminal's authentication data
warm (production TTLs; their own tests bound them). Transaction control (savepoints) and the nonce (Redis in
production; the tests' database fallback here) are left out of the count. Rewards,
aggregates and alerts are computed when a payment finishes or by tasks, never in the
acceptance transaction: a new statement here needs a reason in docs/performance.md.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from providers import selectors as catalogue

from .conftest import payment

ORM = ["INSERT payments_payment", "UPDATE dealers_dealer", "INSERT dealers_ledgerentry", "INSERT payments_event"]
# PostgreSQL: the same four writes in one statement (payments/services/accept_sql.py), the dealer first.
ONE = ["WITH UPDATE dealers_dealer + INSERT payments_payment + INSERT dealers_ledgerentry + INSERT payments_event"]


def accept_writes() -> list[str]:
    return ONE if connection.vendor == "postgresql" else ORM


@pytest.fixture
def warm(kiosk, settings):
    settings.KIT_CATALOGUE_TTL = 60
    settings.KIT_TERMINAL_AUTH_TTL = 60
    catalogue.catalogue_invalidate()
    assert kiosk.post_payment(payment(txn="900")).status_code == 201
    yield kiosk
    catalogue.catalogue_invalidate()


def statements(fn) -> tuple[object, list[str]]:
    """The response and its statements as "VERB table", in order."""
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    out = []
    for q in ctx.captured_queries:
        sql = q["sql"]
        if re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK TO)", sql) or "terminals_terminalnonce" in sql:
            continue
        verb = sql.split(None, 1)[0].upper()
        if verb == "WITH":  # one statement of several writes: each, in the order written
            writes = re.findall(r'(INSERT INTO|UPDATE)\s+"?(\w+)"?', sql)
            out.append("WITH " + " + ".join(f"{v.split()[0]} {t}" for v, t in writes))
            continue
        table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql).group(1)
        out.append(f"{verb} {table}")
    return response, out


def test_a_new_payment_costs_four_writes(warm):
    response, done = statements(lambda: warm.post_payment(payment(txn="1")))
    assert response.status_code == 201
    assert done == accept_writes()


def test_a_repeated_payment_costs_the_failed_insert_and_one_read(warm):
    warm.post_payment(payment(txn="1"))
    response, done = statements(lambda: warm.post_payment(payment(txn="1")))
    assert response.status_code == 200
    assert done == [accept_writes()[0], "SELECT payments_payment"]


def test_a_batch_costs_one_statement_per_table_whatever_its_size(warm):
    items = [payment(txn=str(700 + i)) for i in range(10)]
    response, done = statements(lambda: warm.post_batch(items))
    assert [r["http_status"] for r in response.json()["results"]] == [201] * 10
    # The dealer's sum first (its row lock before the payments' unique slots, as the single statement).
    assert done == ["SELECT payments_payment", "UPDATE dealers_dealer", "INSERT payments_payment",
                    "INSERT dealers_ledgerentry", "INSERT payments_event"]
