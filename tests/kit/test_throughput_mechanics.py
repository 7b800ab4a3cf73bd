"""What the submission bench relies on: each mechanism tested for its behaviour (the figures
themselves are `make bench`'s, not a test's)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from django.db import connection

from gateways import keys as gw_keys
from gateways.simulators import base as sim_base
from gateways.simulators import transport as sim_transport
from gateways.simulators.models import SimulatorState
from kit import celery as kit_celery
from kit.db import db_release, pooled

ROOT = Path(__file__).resolve().parents[2]


class Timer:
    def __init__(self):
        self.calls = []

    def call_repeatedly(self, seconds, fn):
        self.calls.append((seconds, fn))


def test_a_thread_pool_worker_wakes_its_consumer_so_acks_free_slots_at_once():
    from celery.concurrency.thread import TaskPool

    consumer = SimpleNamespace(timer=Timer(), pool=TaskPool.__new__(TaskPool))
    kit_celery._wake_thread_pool_consumer(sender=consumer)
    assert [s for s, _ in consumer.timer.calls] == [kit_celery.WAKE_SECONDS]
    assert 0 < kit_celery.WAKE_SECONDS <= 0.1


def test_other_pools_are_left_alone():
    consumer = SimpleNamespace(timer=Timer(), pool=object())
    kit_celery._wake_thread_pool_consumer(sender=consumer)
    assert consumer.timer.calls == []


def test_a_parsed_key_is_reused_for_the_same_pem():
    private, public = gw_keys.rsa_generate()
    assert gw_keys.load_private(private) is gw_keys.load_private(private)
    assert gw_keys.load_public(public) is gw_keys.load_public(public)
    signature = gw_keys.rsa_sign(private, b"body")
    assert gw_keys.rsa_verify(public, signature, b"body")
    assert not gw_keys.rsa_verify(public, signature, b"other body")


@pytest.mark.parametrize("load", ["keys", "ipriv"])
def test_threads_that_miss_a_key_together_parse_it_once(monkeypatch, load):
    import threading
    import time

    from gateways import ipriv

    private, _ = gw_keys.rsa_generate()
    fn = gw_keys.load_private if load == "keys" else (lambda pem: ipriv._private(pem, ""))
    (gw_keys.load_private if load == "keys" else ipriv._private).cache_clear()
    parses = []
    real = gw_keys.serialization.load_pem_private_key

    def slow(*args, **kwargs):
        parses.append(1)
        time.sleep(0.05)  # the ~27 ms of a real parse, for the other threads to arrive meanwhile
        return real(*args, **kwargs)

    monkeypatch.setattr(gw_keys.serialization, "load_pem_private_key", slow)
    monkeypatch.setattr(ipriv.serialization, "load_pem_private_key", slow)
    got = []
    threads = [threading.Thread(target=lambda: got.append(fn(private))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(parses) == 1 and len(got) == 8 and all(k is got[0] for k in got)


@pytest.mark.django_db
def test_without_a_pool_the_connection_is_kept():
    assert not pooled()
    connection.ensure_connection()
    db_release()
    assert connection.connection is not None


@pytest.mark.django_db
def test_the_simulator_down_switch_is_reread_after_the_catalogue_ttl(settings, monkeypatch):
    settings.KIT_SIMULATORS = True
    settings.KIT_CATALOGUE_TTL = 30
    clock = [1000.0]
    monkeypatch.setattr("time.monotonic", lambda: clock[0])
    sim_transport._down_seen.clear()
    url = httpx.URL("http://sim.example/sim/cyberplat/cgi-bin/mt/mt_pay.cgi")
    SimulatorState.objects.update_or_create(code="cyberplat", defaults={"down": False})
    assert sim_transport.simulator_down(url) is False
    SimulatorState.objects.filter(code="cyberplat").update(down=True)
    assert sim_transport.simulator_down(url) is False  # the snapshot, for up to the TTL
    clock[0] += 31
    assert sim_transport.simulator_down(url) is True
    settings.KIT_CATALOGUE_TTL = 0  # tests and "always fresh"
    SimulatorState.objects.filter(code="cyberplat").update(down=False)
    assert sim_transport.simulator_down(url) is False
    sim_transport._down_seen.clear()


@pytest.mark.django_db
def test_a_simulator_reads_its_state_once_per_ttl(settings, monkeypatch, django_assert_num_queries):
    settings.KIT_CATALOGUE_TTL = 30
    clock = [5000.0]
    monkeypatch.setattr("time.monotonic", lambda: clock[0])
    sim_base._states.clear()
    SimulatorState.objects.update_or_create(code="osmp", defaults={"latency_ms": 120})
    assert sim_base.state("osmp").latency_ms == 120
    SimulatorState.objects.filter(code="osmp").update(latency_ms=300)
    with django_assert_num_queries(0):
        assert sim_base.state("osmp").latency_ms == 120
    clock[0] += 31
    assert sim_base.state("osmp").latency_ms == 300
    sim_base._states.clear()


def manage_shell(code: str, **env) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "KIT_ENV_FILE": "/nonexistent/.env",
            "SECRET_KEY": "x" * 50, "KIT_FIELD_KEY": os.environ["KIT_FIELD_KEY"]}
    return subprocess.run([sys.executable, "manage.py", "shell", "-v", "0", "-c", code], cwd=ROOT,
                          env={**base, **env}, capture_output=True, text=True, timeout=120)


def test_a_pool_size_turns_persistent_connections_into_a_pool():
    code = ("from django.conf import settings as s; import json; d = s.DATABASES['default']; "
            "print(json.dumps([d['CONN_MAX_AGE'], d['OPTIONS'].get('pool')]))")
    url = "postgres://kit@db.invalid:5432/kit"
    pooled_cfg = json.loads(manage_shell(code, DATABASE_URL=url, DB_POOL_MAX_SIZE="8").stdout)
    assert pooled_cfg == [0, {"min_size": 2, "max_size": 8, "timeout": 20.0}]
    plain = json.loads(manage_shell(code, DATABASE_URL=url).stdout)
    assert plain == [60, None]


@pytest.mark.postgres
@pytest.mark.django_db
def test_with_a_pool_the_connection_goes_back_outside_a_transaction_only():
    """In a process configured with a pool: db_release inside a transaction keeps the
    connection (its row locks with it); outside, the connection returns to the pool."""
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    code = (
        "from django.db import connection, transaction\n"
        "from kit.db import db_release, pooled\n"
        "with transaction.atomic():\n"
        "    connection.cursor().execute('SELECT 1')\n"
        "    db_release()\n"
        "    kept = connection.connection is not None\n"
        "connection.cursor().execute('SELECT 1')\n"
        "db_release()\n"
        "stats = connection.pool.get_stats()\n"
        "print(pooled(), kept, connection.connection is None, stats.get('pool_available', 0) >= 1)\n"
    )
    result = manage_shell(code, DATABASE_URL=url, DB_POOL_MAX_SIZE="2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "True"]


def test_an_enqueue_makes_one_try_and_never_raises(monkeypatch):
    """kombu would retry a publish while the broker is down, holding the request that recorded
    the money; one try is enough, the sweeper sends what was not."""
    from kit.queue import enqueue
    from payments import tasks

    seen = []

    def broker_down(args=(), **options):
        seen.append(options)
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.submit_payment, "apply_async", broker_down)
    enqueue(tasks.submit_payment, 42)
    assert seen == [{"retry": False}]
