"""Remote commands in the heartbeat: delivered until acknowledged, acknowledged once, expired after the setting."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from terminals.commands import CommandError, command_queue, commands_expire
from terminals.models import Terminal, TerminalAudit, TerminalCommand

pytestmark = pytest.mark.django_db


def code_of(response):
    return response.json()["error"]["code"]


def test_a_queued_command_is_in_the_heartbeat_reply_and_marked_delivered(kiosk, terminal, dealer_user):
    [cmd] = command_queue(terminals=[terminal], kind="restart", by=dealer_user)
    reply = kiosk.heartbeat({})
    assert reply.status_code == 200
    assert reply.json()["commands"] == [{"id": cmd.pk, "kind": "restart", "args": {}}]
    cmd.refresh_from_db()
    assert cmd.state == "delivered"
    assert cmd.deliveries == 1
    assert TerminalAudit.objects.filter(terminal=terminal, action="command", user=dealer_user).count() == 1


def test_a_command_is_delivered_again_until_acknowledged_then_no_more(kiosk, terminal):
    [cmd] = command_queue(terminals=[terminal], kind="refresh_config")
    assert [c["id"] for c in kiosk.heartbeat({}).json()["commands"]] == [cmd.pk]
    assert [c["id"] for c in kiosk.heartbeat({}).json()["commands"]] == [cmd.pk]
    reply = kiosk.heartbeat({"acks": [{"id": cmd.pk, "ok": True, "message": "config 3f2a"}]})
    assert reply.json()["commands"] == []
    cmd.refresh_from_db()
    assert (cmd.state, cmd.deliveries, cmd.message) == ("done", 2, "config 3f2a")
    assert cmd.finished_at is not None
    assert kiosk.heartbeat({}).json()["commands"] == []


def test_a_negative_ack_fails_the_command_with_the_kiosks_message(kiosk, terminal):
    [cmd] = command_queue(terminals=[terminal], kind="print_test")
    kiosk.heartbeat({})
    kiosk.heartbeat({"acks": [{"id": cmd.pk, "ok": False, "message": "no paper"}]})
    cmd.refresh_from_db()
    assert (cmd.state, cmd.message) == ("failed", "no paper")


def test_an_ack_repeated_after_a_lost_reply_changes_nothing(kiosk, terminal):
    [cmd] = command_queue(terminals=[terminal], kind="collect_logs")
    kiosk.heartbeat({})
    kiosk.heartbeat({"acks": [{"id": cmd.pk, "ok": True}]})
    kiosk.heartbeat({"acks": [{"id": cmd.pk, "ok": False, "message": "late"}]})
    cmd.refresh_from_db()
    assert (cmd.state, cmd.message) == ("done", "")


def test_an_ack_for_an_unknown_or_foreign_command_id_is_ignored_and_logged(kiosk, terminal, caplog):
    other = Terminal.objects.get(number="1002")
    [foreign] = command_queue(terminals=[other], kind="restart")
    with caplog.at_level(logging.WARNING, logger="terminals.commands"):
        reply = kiosk.heartbeat({"acks": [{"id": 999999, "ok": True}, {"id": foreign.pk, "ok": True}]})
    assert reply.status_code == 200
    foreign.refresh_from_db()
    assert foreign.state == "queued"
    assert "unknown command id 999999" in caplog.text
    assert f"unknown command id {foreign.pk}" in caplog.text


@pytest.mark.parametrize("acks", [
    "x", [1], [{"id": "1", "ok": True}], [{"id": 1, "ok": "yes"}], [{"id": 1}], [{"id": -1, "ok": True}],
    [{"id": 1, "ok": True, "message": 5}], [{"id": 1, "ok": True, "message": "a" * 256}],
    [{"id": 1, "ok": True, "message": "bad\x00"}], [{"id": i, "ok": True} for i in range(101)],
])
def test_malformed_acks_are_400_invalid(kiosk, acks):
    response = kiosk.heartbeat({"acks": acks})
    assert response.status_code == 400
    assert code_of(response) == "invalid"
    assert "acks" in response.json()["error"]["fields"]


def test_a_command_expires_after_the_setting_and_is_no_longer_delivered(kiosk, terminal, settings):
    settings.KIT_COMMAND_EXPIRY_HOURS = 2
    [cmd] = command_queue(terminals=[terminal], kind="resend_queue")
    assert timedelta(hours=2) - timedelta(seconds=5) < cmd.expires_at - cmd.created_at <= timedelta(hours=2)
    kiosk.heartbeat({})
    TerminalCommand.objects.filter(pk=cmd.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert kiosk.heartbeat({}).json()["commands"] == []
    cmd.refresh_from_db()
    assert cmd.state == "expired"
    assert cmd.deliveries == 1


def test_the_expiry_task_expires_commands_of_terminals_that_never_call(terminal):
    from terminals.tasks import expire_commands

    [cmd] = command_queue(terminals=[terminal], kind="restart")
    [fresh] = command_queue(terminals=[terminal], kind="print_test")
    TerminalCommand.objects.filter(pk=cmd.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert expire_commands.apply().get() == 1
    cmd.refresh_from_db()
    fresh.refresh_from_db()
    assert (cmd.state, fresh.state) == ("expired", "queued")
    assert commands_expire() == 0


def test_a_late_ack_of_an_expired_command_records_what_the_kiosk_did(kiosk, terminal):
    [cmd] = command_queue(terminals=[terminal], kind="restart")
    kiosk.heartbeat({})
    TerminalCommand.objects.filter(pk=cmd.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    commands_expire()
    kiosk.heartbeat({"acks": [{"id": cmd.pk, "ok": True}]})
    cmd.refresh_from_db()
    assert cmd.state == "done"


def test_update_carries_its_release_and_the_others_carry_nothing(kiosk, terminal):
    command_queue(terminals=[terminal], kind="update", release="1.4.0")
    command_queue(terminals=[terminal], kind="print_test", release="ignored")
    assert [(c["kind"], c["args"]) for c in kiosk.heartbeat({}).json()["commands"]] == [
        ("update", {"release": "1.4.0"}), ("print_test", {})]


def test_collect_logs_carries_the_servers_limit_of_a_log(kiosk, terminal, settings):
    settings.KIT_TERMINAL_LOGS_MAX_BYTES = 12345
    [cmd] = command_queue(terminals=[terminal], kind="collect_logs")
    assert kiosk.heartbeat({}).json()["commands"] == [{"id": cmd.pk, "kind": "collect_logs",
                                                       "args": {"max_bytes": 12345}}]
    cmd.refresh_from_db()
    assert cmd.args == {}  # added when delivered, so a changed limit applies to commands already queued


@pytest.mark.parametrize("kind,release,code", [("update", "", "release_required"), ("reboot", "", "unknown_kind"),
                                               ("update", "x" * 41, "release_required")])
def test_a_bad_command_is_refused_with_a_stable_code(terminal, kind, release, code):
    with pytest.raises(CommandError) as exc:
        command_queue(terminals=[terminal], kind=kind, release=release)
    assert exc.value.code == code
    assert TerminalCommand.objects.count() == 0


def test_one_command_for_several_terminals_is_one_row_each(world):
    terminals = list(Terminal.objects.filter(number__in=["1001", "1002", "1003"]))
    rows = command_queue(terminals=terminals, kind="refresh_config")
    assert sorted(r.terminal.number for r in rows) == ["1001", "1002", "1003"]
    assert TerminalAudit.objects.filter(action="command").count() == 3


def test_a_blocked_terminal_still_gets_its_commands(kiosk, terminal):
    from terminals.services import terminal_block

    [cmd] = command_queue(terminals=[terminal], kind="collect_logs")
    terminal_block(terminal=terminal)
    reply = kiosk.heartbeat({}).json()
    assert reply["blocked"] is True
    assert [c["id"] for c in reply["commands"]] == [cmd.pk]


def test_the_heartbeat_reply_with_commands_matches_the_schema(kiosk, terminal):
    import jsonschema

    from terminals.api.openapi import SCHEMA

    command_queue(terminals=[terminal], kind="update", release="2.0.0")
    reply = kiosk.heartbeat({"acks": []}).json()
    schema = {**SCHEMA["components"]["schemas"]["HeartbeatOut"], "components": SCHEMA["components"]}
    jsonschema.validate(reply, schema)
    assert len(reply["commands"]) == 1
