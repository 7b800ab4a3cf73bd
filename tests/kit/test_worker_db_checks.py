"""Celery workers skip the per-borrow connection check (kit/celery.py: worker_connection_checks)."""

import pytest
from django.db import connections

from kit.celery import worker_connection_checks


@pytest.fixture
def checks_on():
    before = {alias: connections.settings[alias].get("CONN_HEALTH_CHECKS") for alias in connections}
    for alias in connections:
        connections.settings[alias]["CONN_HEALTH_CHECKS"] = True
    yield
    for alias, value in before.items():
        connections.settings[alias]["CONN_HEALTH_CHECKS"] = value


def test_a_worker_turns_the_connection_check_off_by_default(checks_on, settings):
    settings.DB_WORKER_CONN_HEALTH_CHECKS = False
    worker_connection_checks()
    # The dict Django's connections (and the pool, when it is made) read the flag from.
    assert [connections.settings[alias]["CONN_HEALTH_CHECKS"] for alias in connections] == [False] * len(
        list(connections))
    assert connections["default"].settings_dict["CONN_HEALTH_CHECKS"] is False


def test_a_worker_keeps_the_check_when_asked(checks_on, settings):
    settings.DB_WORKER_CONN_HEALTH_CHECKS = True
    worker_connection_checks()
    assert connections["default"].settings_dict["CONN_HEALTH_CHECKS"] is True


def test_the_check_is_turned_off_when_a_worker_starts():
    import weakref

    from celery import signals

    from kit import celery as kit_celery

    connected = [ref() if isinstance(ref, weakref.ReferenceType) else ref
                 for _key, ref, *_ in signals.worker_init.receivers]
    assert kit_celery._worker_connection_checks in connected
