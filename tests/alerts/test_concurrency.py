"""Real concurrency against PostgreSQL: the partial unique constraint keeps one open alert per condition,
and two notification runs never send the same alert twice."""

import threading

import pytest
from django.db import connection

from alerts.models import Alert
from alerts.services import alert_open, alerts_notify_pending

from .conftest import T0

THREADS = 8


def _race(fn):
    barrier = threading.Barrier(THREADS)
    results = [None] * THREADS

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = fn()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_heartbeats_racing_to_open_one_condition_open_it_once(terminal):
    results = _race(lambda: alert_open(dealer_id=terminal.dealer_id, terminal_id=terminal.pk, code="door_open",
                                       now=T0))
    assert sum(r is not None for r in results) == 1
    assert Alert.objects.filter(code="door_open").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_notification_runs_racing_send_each_alert_once(terminal, outbox):
    for code in ("door_open", "paper_out"):
        alert_open(dealer_id=terminal.dealer_id, terminal_id=terminal.pk, code=code, now=T0)
    sent = _race(lambda: alerts_notify_pending(now=T0))
    assert sum(sent) == 2
    assert sorted(codes[0] for _, codes, _ in outbox) == ["door_open", "paper_out"]
