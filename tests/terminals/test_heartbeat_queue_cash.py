"""The heartbeat's cash box by face value, cassette capacity, unsent queue and refused payments."""

from datetime import datetime
from decimal import Decimal

import pytest

from terminals.api.openapi import SCHEMA
from terminals.models import TerminalState

pytestmark = pytest.mark.django_db

FULL = {"software_version": "kit-kiosk/0.2.0",
        "devices": {"bill_validator": {"state": "ok", "error": ""}},
        "cash": {"notes": 15, "amount": "2700.00", "by_denomination": {"500": 3, "100": 12},
                 "cassette_capacity": 1000},
        "queue": {"count": 2, "oldest_at": "2026-12-01T10:00:00+03:00"},
        "rejected": [{"txn": "17", "http_status": 409, "code": "txn_conflict"}]}


def test_the_new_heartbeat_fields_are_stored_in_the_live_state(kiosk, terminal):
    response = kiosk.heartbeat(FULL)
    assert response.status_code == 200, response.text
    live = TerminalState.objects.get(terminal=terminal)
    assert live.cash_by_denomination == {"100": 12, "500": 3}
    assert (live.cash_notes, live.cash_amount, live.cassette_capacity) == (15, Decimal("2700.00"), 1000)
    assert live.queue_count == 2
    assert live.queue_oldest_at == datetime.fromisoformat("2026-12-01T10:00:00+03:00")
    assert live.rejected == [{"txn": "17", "http_status": 409, "code": "txn_conflict"}]


def test_an_emptied_queue_clears_its_oldest_time_and_absent_parts_keep_their_values(kiosk, terminal):
    kiosk.heartbeat(FULL)
    kiosk.heartbeat({"queue": {"count": 0, "oldest_at": None}})
    live = TerminalState.objects.get(terminal=terminal)
    assert (live.queue_count, live.queue_oldest_at) == (0, None)
    assert live.rejected == [{"txn": "17", "http_status": 409, "code": "txn_conflict"}]
    assert live.cash_by_denomination == {"100": 12, "500": 3}
    kiosk.heartbeat({"rejected": []})
    assert TerminalState.objects.get(terminal=terminal).rejected == []


@pytest.mark.parametrize("part, field", [
    ({"cash": {"by_denomination": {"сто": 1}}}, "cash.by_denomination"),
    ({"cash": {"by_denomination": {"100": -1}}}, "cash.by_denomination"),
    ({"cash": {"by_denomination": [100, 1]}}, "cash.by_denomination"),
    ({"cash": {"by_denomination": {"100": True}}}, "cash.by_denomination"),
    ({"cash": {"cassette_capacity": "1000"}}, "cash.cassette_capacity"),
    ({"queue": {"count": -1}}, "queue"),
    ({"queue": "3"}, "queue"),
    ({"queue": {"count": 2, "oldest_at": None}}, "queue.oldest_at"),
    ({"queue": {"count": 2, "oldest_at": "yesterday"}}, "queue.oldest_at"),
    ({"rejected": {"txn": "1"}}, "rejected"),
    ({"rejected": [{"txn": "x1", "http_status": 409, "code": "txn_conflict"}]}, "rejected"),
    ({"rejected": [{"txn": "1", "http_status": 201, "code": ""}]}, "rejected"),
    ({"rejected": [{"txn": "1", "http_status": 409, "code": "a\x00b"}]}, "rejected"),
    ({"rejected": [{"txn": "1", "http_status": 409}] * 501}, "rejected"),
])
def test_a_malformed_new_part_is_a_400_naming_it(kiosk, terminal, part, field):
    response = kiosk.heartbeat(part)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert field in response.json()["error"]["fields"]
    assert not TerminalState.objects.filter(terminal=terminal).exists()


def test_the_openapi_schema_describes_the_new_parts():
    props = SCHEMA["components"]["schemas"]["HeartbeatIn"]["properties"]
    assert set(props["cash"]["properties"]) == {"notes", "amount", "by_denomination", "cassette_capacity"}
    assert set(props["queue"]["properties"]) == {"count", "oldest_at"}
    assert props["rejected"]["items"]["required"] == ["txn", "http_status"]


def test_the_admin_shows_the_new_parts_read_only(kiosk, terminal, client, admin_user):
    kiosk.heartbeat(FULL)
    client.force_login(admin_user)
    response = client.get(f"/admin/terminals/terminalstate/{terminal.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "txn_conflict" in page
    assert 'name="queue_count"' not in page  # shown, not an input
