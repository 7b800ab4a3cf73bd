"""Step 4: the kiosk's heartbeat as the server takes it; a device change sends one at once."""

from decimal import Decimal

import pytest

from terminals.models import TerminalState

pytestmark = pytest.mark.django_db


def test_the_kiosk_programs_heartbeat_is_accepted_as_it_is(make_kiosk, terminal):
    h = make_kiosk()
    h.pay("mts", "9161234567", 100, 500)
    assert h.kiosk.heartbeat.beat()
    live = TerminalState.objects.get(terminal=terminal)
    assert live.cash_by_denomination == {"100": 1, "500": 1}
    assert (live.cash_notes, live.cash_amount, live.cassette_capacity) == (2, Decimal("600.00"), 500)
    assert live.queue_count == 1
    assert live.devices["bill_validator"]["state"] == "ok"
    assert live.software_version.startswith("kit-kiosk/")


def test_a_device_change_wakes_the_heartbeat(make_kiosk):
    h = make_kiosk()
    h.flow.devices.changed.clear()
    h.validator_sim.remove_cassette()
    h.clock.advance(2)
    h.ticks(2)
    assert h.flow.devices.changed.is_set()


def test_a_blocked_terminal_goes_out_of_service_on_the_heartbeats_answer(make_kiosk, terminal):
    from terminals.models import Terminal

    h = make_kiosk()
    Terminal.objects.filter(pk=terminal.pk).update(status=Terminal.Status.BLOCKED)
    assert h.kiosk.heartbeat.beat()
    h.ticks(1)
    assert "blocked" in h.flow.oos_reasons()
    assert h.flow.state.value == "out_of_service"


def test_a_new_config_version_is_fetched_after_the_heartbeat(make_kiosk):
    from providers.models import Provider

    h = make_kiosk()
    Provider.objects.filter(code="mts").update(max_amount=Decimal("9000.00"))
    assert h.kiosk.heartbeat.beat()
    assert h.flow.provider_by_code("mts")["limits"]["max"] == "9000.00"
