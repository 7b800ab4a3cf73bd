"""A clean start says nothing it need not: no system-check warning, no routine sweep lines at INFO."""

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.db import IntegrityError, transaction

from kit.logs import Formatter, RoutineTaskFilter

ROOT = Path(__file__).resolve().parents[2]


def test_the_system_checks_find_nothing_to_warn_about():
    assert [f"{m.id}: {m.msg}" for m in checks.run_checks(include_deployment_checks=False)] == []


@pytest.mark.django_db
def test_a_second_default_route_for_the_same_provider_and_gateway_is_refused(world):
    from gateways.models import Route

    route = Route.objects.filter(dealer=None).select_related("provider", "gateway").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Route.objects.create(provider=route.provider, gateway=route.gateway, dealer=None, remote_id="x")


@pytest.mark.django_db
def test_a_dealer_override_beside_the_default_route_is_allowed_once(world, demo):
    from gateways.models import Route

    route = Route.objects.filter(dealer=None).select_related("provider", "gateway").first()
    Route.objects.create(provider=route.provider, gateway=route.gateway, dealer=demo, remote_id="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Route.objects.create(provider=route.provider, gateway=route.gateway, dealer=demo, remote_id="y")


def _record(name, msg, level=logging.INFO):
    return logging.LogRecord(name, level, __file__, 1, msg, None, None)


def test_celery_lines_about_the_sweeper_are_dropped_at_info(monkeypatch):
    monkeypatch.setattr(logging.getLogger(), "level", logging.INFO)
    routine = RoutineTaskFilter()
    sent = _record("celery.beat", "Scheduler: Sending due task payments-sweep (payments.tasks.sweep)")
    received = _record("celery.worker.strategy", "Task payments.tasks.sweep[1] received")
    assert routine.filter(sent) is False and routine.filter(received) is False
    assert sent.levelname == "DEBUG"


def test_celery_lines_about_a_payment_task_stay_at_info(monkeypatch):
    monkeypatch.setattr(logging.getLogger(), "level", logging.INFO)
    record = _record("celery.app.trace", "Task payments.tasks.submit_payment[1] succeeded in 0.1s: None")
    assert RoutineTaskFilter().filter(record) is True
    assert record.levelname == "INFO"


def test_sweeper_lines_show_when_the_log_level_is_debug(monkeypatch):
    monkeypatch.setattr(logging.getLogger(), "level", logging.DEBUG)
    record = _record("celery.app.trace", "Task payments.tasks.sweep[1] succeeded in 0.01s: None")
    assert RoutineTaskFilter().filter(record) is True


def test_log_times_carry_the_configured_zone(monkeypatch):
    monkeypatch.setenv("TIME_ZONE", "Europe/Moscow")
    record = _record("x", "m")
    record.created = 0.0
    assert Formatter("%(asctime)s").formatTime(record) == "1970-01-01 03:00:00.000+03:00"


def test_the_written_env_file_leaves_the_simulator_address_to_make_run(tmp_path):
    target = tmp_path / ".env"
    subprocess.run([sys.executable, "scripts/write_env.py", str(target)], cwd=ROOT, check=True,
                   capture_output=True)
    settings = [line.split("=")[0] for line in target.read_text().splitlines() if line and line[0] != "#"]
    assert "KIT_SIMULATOR_BASE_URL" not in settings
    assert "SECRET_KEY" in settings and "KIT_SIMULATORS" in settings
