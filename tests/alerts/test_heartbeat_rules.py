"""Each heartbeat rule opens its alert from the heartbeat's content and closes it when it clears, once each."""

from datetime import timedelta

import pytest

from alerts.catalogue import Code
from alerts.detect import evaluate
from alerts.models import Alert
from alerts.services import alerts_from_heartbeat

from .conftest import T0

OK = {
    "devices": {"bill_validator": {"state": "ok", "error": "", "cassette": "ok"},
                "printer": {"state": "ok", "paper": "ok", "cover_open": False},
                "door": {"state": "closed"}},
    "cash": {"notes": 10, "amount": "1000.00", "by_denomination": {"100": 10}, "cassette_capacity": 1000},
    "queue": {"count": 0, "oldest_at": None},
    "rejected": [],
    "time": "2026-12-01T12:00:00+03:00",
}


def _with(**changes):
    import copy

    doc = copy.deepcopy(OK)
    for path, value in changes.items():
        target = doc
        *parents, leaf = path.split("__")
        for p in parents:
            target = target[p]
        target[leaf] = value
    return doc


BAD = {
    Code.VALIDATOR_FAILURE: _with(devices__bill_validator__state="jammed"),
    Code.CASSETTE_NEAR_FULL: _with(cash__by_denomination={"100": 600, "500": 300}),
    Code.CASSETTE_FULL: _with(cash__by_denomination={"100": 1000}),
    Code.CASSETTE_REMOVED: _with(devices__bill_validator__cassette="removed"),
    Code.PAPER_LOW: _with(devices__printer__paper="near_end"),
    Code.PAPER_OUT: _with(devices__printer__paper="out"),
    Code.PRINTER_COVER_OPEN: _with(devices__printer__cover_open=True),
    Code.DOOR_OPEN: _with(devices__door__state="open"),
    Code.QUEUE_STALE: _with(queue={"count": 3, "oldest_at": "2026-12-01T11:29:00+03:00"}),
    Code.PAYMENTS_REJECTED: _with(rejected=[{"txn": "41", "http_status": 409, "code": "txn_conflict"}]),
    Code.CLOCK_SKEW: _with(time="2026-12-01T13:00:00+03:00"),
}


def test_a_healthy_heartbeat_shows_no_condition():
    ev = evaluate(OK, received_at=T0)
    assert ev.active == {}
    assert ev.checked == set(BAD) | {Code.OFFLINE}


@pytest.mark.parametrize("code", list(BAD), ids=str)
def test_each_bad_heartbeat_shows_exactly_its_own_condition(code):
    assert set(evaluate(BAD[code], received_at=T0).active) == {code}


@pytest.mark.parametrize("code", list(BAD), ids=str)
@pytest.mark.django_db
def test_each_condition_opens_once_and_closes_when_it_clears(code, terminal, outbox):
    for minute in range(3):
        alerts_from_heartbeat(terminal=terminal, content=BAD[code], now=T0 + timedelta(minutes=minute))
    rows = list(Alert.objects.filter(terminal=terminal).values_list("code", "opened_at", "closed_at"))
    assert rows == [(code, T0, None)]

    alerts_from_heartbeat(terminal=terminal, content=OK, now=T0 + timedelta(minutes=3))
    alerts_from_heartbeat(terminal=terminal, content=OK, now=T0 + timedelta(minutes=4))
    rows = list(Alert.objects.filter(terminal=terminal).values_list("code", "opened_at", "closed_at"))
    assert rows == [(code, T0, T0 + timedelta(minutes=3))]


@pytest.mark.django_db
def test_a_condition_back_within_a_minute_does_not_reopen(terminal):
    bad = BAD[Code.PAPER_OUT]
    alerts_from_heartbeat(terminal=terminal, content=bad, now=T0)
    alerts_from_heartbeat(terminal=terminal, content=OK, now=T0 + timedelta(seconds=20))
    opened = alerts_from_heartbeat(terminal=terminal, content=bad, now=T0 + timedelta(seconds=70))
    assert opened == []
    assert list(Alert.objects.filter(terminal=terminal).values_list("opened_at", "closed_at")) == [(T0, None)]


@pytest.mark.django_db
def test_a_condition_back_after_more_than_a_minute_opens_a_new_alert(terminal):
    bad = BAD[Code.PAPER_OUT]
    alerts_from_heartbeat(terminal=terminal, content=bad, now=T0)
    alerts_from_heartbeat(terminal=terminal, content=OK, now=T0 + timedelta(minutes=1))
    alerts_from_heartbeat(terminal=terminal, content=bad, now=T0 + timedelta(minutes=2, seconds=1))
    assert list(Alert.objects.filter(terminal=terminal).order_by("id").values_list("opened_at", "closed_at")) == [
        (T0, T0 + timedelta(minutes=1)), (T0 + timedelta(minutes=2, seconds=1), None)]


@pytest.mark.django_db
def test_a_heartbeat_without_a_part_leaves_that_parts_alerts_as_they_are(terminal):
    alerts_from_heartbeat(terminal=terminal, content=BAD[Code.QUEUE_STALE], now=T0)
    alerts_from_heartbeat(terminal=terminal, content={"software_version": "1.0"}, now=T0 + timedelta(minutes=1))
    assert Alert.objects.get(terminal=terminal).closed_at is None


def test_a_full_cassette_is_not_also_nearly_full():
    assert set(evaluate(BAD[Code.CASSETTE_FULL], received_at=T0).active) == {Code.CASSETTE_FULL}


def test_the_validator_reporting_its_cassette_full_opens_full_without_counts():
    doc = {"devices": {"bill_validator": {"state": "cassette_full"}}}
    assert set(evaluate(doc, received_at=T0).active) == {Code.CASSETTE_FULL}


def test_a_removed_cassette_during_an_open_encashment_is_no_alert():
    assert evaluate(BAD[Code.CASSETTE_REMOVED], received_at=T0, encashment_open=True).active == {}


def test_a_queue_just_under_the_limit_is_not_stale():
    doc = _with(queue={"count": 3, "oldest_at": "2026-12-01T11:30:00+03:00"})
    assert evaluate(doc, received_at=T0).active == {}


def test_a_clock_five_minutes_off_exactly_is_fine():
    assert evaluate(_with(time="2026-12-01T11:55:00+03:00"), received_at=T0).active == {}


@pytest.mark.parametrize("doc", [
    {"devices": "x", "cash": [], "queue": "x", "rejected": {"a": 1}, "time": 5},
    {"devices": {"printer": {"paper": 7}}, "cash": {"by_denomination": {"100": "x"}, "cassette_capacity": "y"}},
    {"queue": {"count": "many", "oldest_at": "yesterday"}, "time": "noon"},
])
def test_garbage_content_opens_nothing_and_does_not_raise(doc):
    assert evaluate(doc, received_at=T0).active == {}


def test_a_clock_five_minutes_and_a_second_off_is_skewed():
    assert set(evaluate(_with(time="2026-12-01T12:05:01+03:00"), received_at=T0).active) == {Code.CLOCK_SKEW}


@pytest.mark.django_db
def test_a_healthy_heartbeat_costs_one_query(terminal, django_assert_num_queries):
    with django_assert_num_queries(1):
        alerts_from_heartbeat(terminal=terminal, content=OK, now=T0)
