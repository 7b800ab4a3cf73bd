"""The admin: queue commands for chosen terminals (an action) or one (the add form), see their states;
encashments read-only."""

import pytest

from terminals.models import TerminalAudit, TerminalCommand

pytestmark = pytest.mark.django_db


def test_the_admin_action_queues_a_restart_for_each_chosen_terminal(world, admin_user, client):
    from terminals.models import Terminal

    client.force_login(admin_user)
    chosen = list(Terminal.objects.filter(number__in=["1001", "2001"]).values_list("pk", flat=True))
    response = client.post("/admin/terminals/terminal/", {"action": "command_restart", "_selected_action": chosen},
                           follow=True)
    assert response.status_code == 200
    rows = TerminalCommand.objects.order_by("terminal__number")
    assert [(c.terminal.number, c.kind, c.state, c.created_by) for c in rows] == [
        ("1001", "restart", "queued", admin_user), ("2001", "restart", "queued", admin_user)]
    assert TerminalAudit.objects.filter(action="command", user=admin_user).count() == 2


def test_the_add_form_queues_an_update_with_its_release_and_refuses_one_without(terminal, admin_user, client):
    client.force_login(admin_user)
    url = "/admin/terminals/terminalcommand/add/"
    response = client.post(url, {"terminal": terminal.pk, "kind": "update", "release": ""})
    assert response.status_code == 200  # the form again, with the error
    assert TerminalCommand.objects.count() == 0
    response = client.post(url, {"terminal": terminal.pk, "kind": "update", "release": "1.6.0"})
    assert response.status_code == 302
    cmd = TerminalCommand.objects.get()
    assert (cmd.kind, cmd.args, cmd.state, cmd.created_by) == ("update", {"release": "1.6.0"}, "queued", admin_user)


def test_the_command_list_and_page_show_states(terminal, admin_user, client):
    from terminals.commands import command_queue

    [cmd] = command_queue(terminals=[terminal], kind="print_test")
    TerminalCommand.objects.filter(pk=cmd.pk).update(state="failed", message="no paper")
    client.force_login(admin_user)
    listing = client.get("/admin/terminals/terminalcommand/").content.decode()
    assert "no paper" in listing
    assert client.get(f"/admin/terminals/terminalcommand/{cmd.pk}/change/").status_code == 200


def test_encashments_are_read_only_in_the_admin(terminal, admin_user, client):
    import uuid
    from decimal import Decimal

    from django.utils import timezone

    from terminals.encashments import EncashmentRequest, encashment_record

    now = timezone.now()
    row, _ = encashment_record(terminal=terminal, request=EncashmentRequest(
        kiosk_id=uuid.uuid4(), opened_at=now, closed_at=now, notes={"500": 2}, total=Decimal("1000.00"),
        txns=("1", "2")))
    client.force_login(admin_user)
    assert client.get("/admin/terminals/encashment/").status_code == 200
    assert client.get(f"/admin/terminals/encashment/{row.pk}/change/").status_code == 200
    assert client.get("/admin/terminals/encashment/add/").status_code == 403
