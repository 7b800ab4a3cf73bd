"""On demand (manage.py reconcile) and daily (Celery beat) runs."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from gateways.reconcile import tasks
from gateways.reconcile.models import Reconciliation
from gateways.reconcile.selectors import days_to_run
from gateways.reconcile.services import previous_day, reconciliation_run


def test_the_command_reconciles_one_gateway_and_day(cyberplat, book, capsys):
    book("cyberplat", "100000000000000001", "paid", "100.00")
    call_command("reconcile", gateway="cyberplat", date="2026-11-20")
    out = capsys.readouterr().out
    assert "cyberplat 2026-11-20: open" in out and "open 1 of 1" in out
    rec = Reconciliation.objects.get()
    assert rec.discrepancies.get().kind == "missing_ours"
    assert rec.events.filter(kind="run", actor="command").exists()


def test_the_command_without_a_gateway_runs_every_active_one(world, day):
    call_command("reconcile", date="2026-11-20")
    from gateways.models import Gateway

    active = set(Gateway.objects.filter(is_active=True).values_list("code", flat=True))
    assert {"cyberplat", "osmp", "contact", "comepay"} <= active
    assert set(Reconciliation.objects.values_list("gateway__code", flat=True)) == active


@pytest.mark.parametrize("options", [{"date": "20.11.2026"}, {"gateway": "nosuch", "date": "2026-11-20"}])
def test_the_command_refuses_bad_arguments(world, options):
    with pytest.raises(CommandError):
        call_command("reconcile", **options)


def test_the_previous_day_is_yesterday_in_moscow():
    # 22:30 UTC on the 20th is 01:30 on the 21st in Moscow: yesterday there is the 20th.
    assert previous_day(dt.datetime(2026, 11, 20, 22, 30, tzinfo=dt.UTC)) == dt.date(2026, 11, 20)
    assert previous_day(dt.datetime(2026, 11, 20, 20, 30, tzinfo=dt.UTC)) == dt.date(2026, 11, 19)


def test_the_daily_run_covers_every_active_gateway_and_recent_open_days(world, cyberplat, book, day):
    from gateways.models import Gateway

    Gateway.objects.filter(code="comepay").update(is_active=False)
    book("cyberplat", "100000000000000001", "paid", "100.00")
    reconciliation_run(gateway=cyberplat, day=day)  # open
    reconciliation_run(gateway=world["gateways"]["osmp"], day=day)  # reconciled: not run again
    pairs = days_to_run(day=day + dt.timedelta(days=2), recheck_days=7)
    codes = {pk: code for pk, code in Gateway.objects.values_list("pk", "code")}
    active = set(Gateway.objects.filter(is_active=True).values_list("code", flat=True))
    assert "comepay" not in active
    assert pairs[0] == (cyberplat.pk, dt.date(2026, 11, 20))  # oldest first
    assert {(codes[g], d.isoformat()) for g, d in pairs} == {
        ("cyberplat", "2026-11-20"), *((code, "2026-11-22") for code in active)}


def test_the_daily_task_queues_one_run_per_gateway_and_day(world, monkeypatch):
    from gateways.models import Gateway

    sent = []
    monkeypatch.setattr("kit.queue.enqueue", lambda task, *args: sent.append((task.name, *args)))
    monkeypatch.setattr("gateways.reconcile.services.previous_day", lambda: dt.date(2026, 11, 20))
    tasks.reconcile_daily()
    active = set(Gateway.objects.filter(is_active=True).values_list("pk", flat=True))
    assert sorted(sent) == sorted(("gateways.reconcile.tasks.reconcile_gateway_day", pk, "2026-11-20")
                                  for pk in active)


def test_the_gateway_day_task_runs_the_day_and_is_safe_twice(cyberplat, book):
    book("cyberplat", "100000000000000001", "paid", "100.00")
    tasks.reconcile_gateway_day(cyberplat.pk, "2026-11-20")
    tasks.reconcile_gateway_day(cyberplat.pk, "2026-11-20")
    rec = Reconciliation.objects.get()
    assert rec.runs == 2 and rec.discrepancy_count == 1 and rec.events.filter(actor="beat").count() >= 2


def test_beat_runs_reconciliation_daily_at_three_moscow_time():
    from kit.celery import app

    entry = app.conf.beat_schedule["reconcile-daily"]
    assert entry["task"] == "gateways.reconcile.tasks.reconcile_daily"
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {0}
    assert app.conf.timezone == "Europe/Moscow"
