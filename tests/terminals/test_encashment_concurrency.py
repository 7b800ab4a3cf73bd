"""Real concurrency against PostgreSQL: the (terminal, kiosk id) constraint is the encashment's idempotency key,
and two heartbeats acknowledging one command move it once; a log bundle likewise."""

import threading

import pytest
from django.db import connection

from kiosk.client import KioskClient
from terminals.models import Encashment, EncashmentTxn

THREADS = 10
BODY = {"id": "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", "opened_at": "2026-11-02T09:00:00+03:00",
        "closed_at": "2026-11-02T09:05:00+03:00", "notes": {"1000": 2}, "total": "2000.00", "txns": ["1", "2"]}


def _race(transport, key, call, n):
    barrier = threading.Barrier(n)
    answers = [None] * n

    def run(i):
        try:
            with KioskClient("http://testserver", "1001", key, transport=transport) as client:
                barrier.wait(timeout=30)
                answers[i] = call(client, i)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_one_encashment_record_it_once(kiosk, transport):
    answers = _race(transport, kiosk.key, lambda c, i: c.post_encashment(BODY).status_code, THREADS)
    assert sorted(answers) == [200] * (THREADS - 1) + [201]
    assert Encashment.objects.count() == 1
    assert EncashmentTxn.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_acknowledgements_of_one_command_finish_it_once(kiosk, transport, terminal):
    from terminals.commands import command_queue
    from terminals.models import TerminalCommand

    [cmd] = command_queue(terminals=[terminal], kind="print_test")
    kiosk.heartbeat({})
    acks = [{"id": cmd.pk, "ok": i % 2 == 0, "message": f"from {i}"} for i in range(THREADS)]
    _race(transport, kiosk.key, lambda c, i: c.heartbeat({"acks": [acks[i]]}).status_code, THREADS)
    cmd = TerminalCommand.objects.get(pk=cmd.pk)
    assert cmd.state in ("done", "failed")
    assert cmd.message.startswith("from ")
    assert (cmd.state == "done") == (int(cmd.message.split()[1]) % 2 == 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_one_log_bundle_record_it_once(kiosk, transport):
    from terminals.logs import encode_log, log_text
    from terminals.models import TerminalLog

    body = {"id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "log": encode_log("one line of the kiosk's log\n")}
    answers = _race(transport, kiosk.key, lambda c, i: c.post_logs(body).status_code, THREADS)
    assert sorted(answers) == [200] * (THREADS - 1) + [201]
    assert [log_text(r) for r in TerminalLog.objects.all()] == ["one line of the kiosk's log\n"]
