"""Two runs of the same day at once (PostgreSQL row locks): one reconciliation, nothing doubled."""

import threading

import pytest
from django.db import connection

from gateways.reconcile.models import Discrepancy, Reconciliation, ReconciliationEvent
from gateways.reconcile.services import reconciliation_run


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_of_a_day_neither_fail_nor_double_anything(cyberplat, book, pay, day):
    book("cyberplat", "800000000000000001", "paid", "100.00")
    pay("800000000000000002", gateway=cyberplat)
    start = threading.Barrier(4)
    errors = []

    def run():
        try:
            start.wait()
            reconciliation_run(gateway=cyberplat, day=day)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rec = Reconciliation.objects.get()
    assert rec.runs == 4
    assert sorted(Discrepancy.objects.values_list("kind", flat=True)) == ["missing_ours", "missing_theirs"]
    assert ReconciliationEvent.objects.filter(kind="opened").count() == 2
