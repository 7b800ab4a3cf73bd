"""The kiosk's side of encashments and remote commands, end to end against the in-process server:
the collector's slip and its post (the server links the payments), commands run at most once and
acknowledged in the next heartbeat, refresh_config, restart without losing the queue."""

from decimal import Decimal

import pytest

from terminals.commands import command_queue
from terminals.models import Encashment, TerminalCommand

pytestmark = pytest.mark.django_db


def test_after_three_payments_the_collectors_encashment_prints_a_slip_and_the_server_links_them(make_kiosk,
                                                                                                terminal):
    h = make_kiosk()
    h.store.meta_set("encashment_opened_at", "2026-11-28T18:00:00+03:00")
    for account, notes in (("9161234567", (100, 500)), ("9161234568", (1000,)), ("9161234569", (100, 100))):
        h.pay("mts", account, *notes)
        h.flow.done()
    collection = h.flow.collect()
    assert collection["txns"] == ["1", "2", "3"]
    slip = h.printer_sim.last_document()
    assert "100 x 3 = 300,00 руб." in slip
    assert "500 x 1 = 500,00 руб." in slip
    assert "1000 x 1 = 1 000,00 руб." in slip
    assert "Сумма: 1 800,00 руб." in slip
    assert "Платежей: 3" in slip
    assert h.kiosk.heartbeat.beat()  # posts the encashment before its heartbeat (the payments go by the sender)
    row = Encashment.objects.get(terminal=terminal)
    assert str(row.kiosk_id) == collection["uuid"]
    assert row.notes == {"100": 3, "500": 1, "1000": 1}
    assert row.total == Decimal("1800.00")
    assert row.opened_at.isoformat() == "2026-11-28T15:00:00+00:00"
    assert h.sender.send_once() == 3
    from terminals.encashments import encashment_links_sweep, reconciliation

    encashment_links_sweep()
    figures = reconciliation(row)
    assert (figures.linked, figures.pending, figures.recorded) == (3, 0, Decimal("1800.00"))
    assert h.store.collections_unreported() == []
    assert h.kiosk.heartbeat.beat()
    assert Encashment.objects.count() == 1


def test_an_encashment_posted_while_offline_goes_with_a_later_heartbeat_with_the_same_body(make_kiosk, terminal):
    h = make_kiosk()
    h.pay("mts", "9161234567", 500)
    h.flow.done()
    h.online = False
    collection = h.flow.collect()
    assert not h.kiosk.heartbeat.beat()
    assert len(h.store.collections_unreported()) == 1
    h.online = True
    assert h.kiosk.heartbeat.beat()
    assert str(Encashment.objects.get(terminal=terminal).kiosk_id) == collection["uuid"]
    assert h.store.collections_unreported() == []


def test_the_next_encashment_takes_only_payments_after_the_previous_one(make_kiosk):
    h = make_kiosk()
    h.pay("mts", "9161234567", 100)
    h.flow.done()
    assert h.flow.collect()["txns"] == ["1"]
    h.pay("mts", "9161234568", 500)
    h.flow.done()
    assert h.flow.collect()["txns"] == ["2"]


def test_a_command_runs_once_and_is_acknowledged_in_the_next_heartbeat(make_kiosk, terminal):
    h = make_kiosk()
    [cmd] = command_queue(terminals=[terminal], kind="print_test")
    before = h.printer_sim.counts()["documents"]
    assert h.kiosk.heartbeat.beat()  # delivered, printed
    assert h.printer_sim.counts()["documents"] == before + 1
    assert "ТЕСТ ПРИНТЕРА" in h.printer_sim.last_document()
    cmd.refresh_from_db()
    assert cmd.state == "delivered"
    assert h.kiosk.heartbeat.beat()  # acknowledged
    cmd.refresh_from_db()
    assert (cmd.state, cmd.message) == ("done", "printed")
    assert h.printer_sim.counts()["documents"] == before + 1


def test_a_command_is_executed_once_even_when_the_kiosk_is_killed_before_acknowledging(make_kiosk, terminal,
                                                                                        tmp_path):
    from terminals.commands import commands_deliver

    h = make_kiosk(tmp_path / "k")
    [cmd] = command_queue(terminals=[terminal], kind="print_test")
    before = h.printer_sim.counts()["documents"]
    assert h.kiosk.heartbeat.beat()  # executed; killed before the next heartbeat
    h.close()
    again = make_kiosk(tmp_path / "k", enroll=False)
    # The server still has it as delivered and sends it again: the store remembers it ran.
    resent = commands_deliver(terminal=terminal)
    assert [c["id"] for c in resent] == [cmd.pk]
    assert again.kiosk.heartbeat.commands.run(resent) == 0
    assert again.kiosk.heartbeat.beat()
    cmd.refresh_from_db()
    assert cmd.state == "done"
    assert h.printer_sim.counts()["documents"] == before + 1
    assert "ТЕСТ ПРИНТЕРА" not in again.printer_sim.text()
    assert TerminalCommand.objects.get(pk=cmd.pk).deliveries == 2


def test_refresh_config_is_acknowledged_and_the_kiosks_config_changes(make_kiosk, terminal):
    from providers.models import Provider

    h = make_kiosk()
    cached, _ = h.store.config_cached()
    # A change the heartbeat's config_version would not reveal: the cached copy is made stale by hand.
    h.store.config_save({**cached, "providers": []}, h.store.meta_get("config_etag"))
    Provider.objects.filter(code="mts").update(max_amount=Decimal("7000.00"))
    h.kiosk.heartbeat.beat()  # (the new version alone would refresh it too; the command must as well)
    h.store.config_save({**h.store.config_cached()[0], "providers": []}, h.store.meta_get("config_etag"))
    [cmd] = command_queue(terminals=[terminal], kind="refresh_config")
    assert h.kiosk.heartbeat.beat()
    assert h.flow.provider_by_code("mts")["limits"]["max"] == "7000.00"
    assert h.kiosk.heartbeat.beat()
    cmd.refresh_from_db()
    assert cmd.state == "done"
    assert cmd.message.startswith("config ")


def test_a_restart_restarts_the_program_without_losing_its_queue(make_kiosk, terminal, tmp_path):
    from payments.models import Payment

    h = make_kiosk(tmp_path / "k")
    h.online = False
    h.pay("mts", "9161234567", 100)
    h.flow.done()
    h.online = True
    [cmd] = command_queue(terminals=[terminal], kind="restart")
    # The heartbeat thread runs the command; the payment is still queued (the sender did not run).
    assert h.kiosk.heartbeat.beat()
    assert h.kiosk.restart_requested.is_set()
    assert h.store.queue_summary()["count"] == 1
    h.close()
    again = make_kiosk(tmp_path / "k", enroll=False)
    assert again.store.queue_summary()["count"] == 1
    assert again.kiosk.heartbeat.beat()  # acknowledges the restart; not run a second time
    assert not again.kiosk.restart_requested.is_set()
    cmd.refresh_from_db()
    assert (cmd.state, cmd.message) == ("done", "restarted")
    assert again.sender.send_once() == 1
    assert Payment.objects.filter(terminal=terminal, txn="1").exists()


def test_unknown_commands_and_an_update_it_cannot_check_are_acknowledged_as_failed(make_kiosk, terminal):
    h = make_kiosk()
    # A release nobody uploaded: delivered without a hash and size, so the updater refuses it.
    [update] = command_queue(terminals=[terminal], kind="update", release="9.9.9")
    h.kiosk.heartbeat.commands.run([{"id": 424242, "kind": "selfdestruct", "args": {}}])
    assert h.kiosk.heartbeat.beat()
    assert h.kiosk.heartbeat.beat()
    update.refresh_from_db()
    assert update.state == "failed" and "bad_command" in update.message
    assert tuple(h.store.db.execute("SELECT ok, message FROM commands WHERE id = 424242").fetchone()) == (
        0, "unknown command 'selfdestruct'")


def test_a_cassette_pulled_with_no_encashment_open_is_a_tamper_event_in_the_heartbeat(make_kiosk, terminal):
    from kiosk.sync import heartbeat_doc
    from terminals.models import TerminalState

    h = make_kiosk()
    h.validator_sim.remove_cassette()
    h.clock.advance(2)
    h.ticks(3)
    cassette = heartbeat_doc(h.flow)["devices"]["cassette"]
    assert cassette["tampers"] == 1
    assert cassette["last_tamper_at"]
    assert cassette["encashment_open"] is False
    h.ticks(3)  # still out: one pull, one event
    assert heartbeat_doc(h.flow)["devices"]["cassette"]["tampers"] == 1
    assert h.kiosk.heartbeat.beat()
    assert TerminalState.objects.get(terminal=terminal).devices["cassette"]["tampers"] == 1


def test_a_cassette_pulled_during_an_open_encashment_is_no_tamper_and_the_encashment_keeps_its_opening(
        make_kiosk, terminal):
    from kiosk.sync import heartbeat_doc

    h = make_kiosk()
    h.pay("mts", "9161234567", 100)
    h.flow.done()
    opened = h.flow.encashment_open()
    h.validator_sim.remove_cassette()
    h.clock.advance(2)
    h.ticks(3)
    assert heartbeat_doc(h.flow)["devices"]["cassette"] == {"tampers": 0, "last_tamper_at": None,
                                                            "encashment_open": True}
    h.validator_sim.insert_cassette()
    h.clock.advance(2)
    h.ticks(3)
    collection = h.flow.collect()
    assert collection["opened_at"] == opened
    assert heartbeat_doc(h.flow)["devices"]["cassette"]["encashment_open"] is False
    assert h.kiosk.heartbeat.beat()
    assert Encashment.objects.get(terminal=terminal).txns.count() == 1


def test_a_cassette_out_during_an_open_encashment_raises_no_alert_and_without_one_it_does(make_kiosk, terminal):
    from alerts.models import Alert

    h = make_kiosk()
    h.pay("mts", "9161234567", 100)
    h.flow.done()
    h.flow.encashment_open()
    h.validator_sim.remove_cassette()
    h.clock.advance(2)
    h.ticks(3)
    assert h.kiosk.heartbeat.beat()
    assert not Alert.objects.filter(terminal=terminal, code="cassette_removed").exists()
    h.validator_sim.insert_cassette()
    h.clock.advance(2)
    h.ticks(3)
    assert h.flow.collect() is not None  # closes the encashment
    h.validator_sim.remove_cassette()
    h.clock.advance(2)
    h.ticks(3)
    assert h.kiosk.heartbeat.beat()
    assert Alert.objects.filter(terminal=terminal, code="cassette_removed", closed_at__isnull=True).count() == 1
