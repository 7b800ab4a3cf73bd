"""Cabinet remote commands: a dealer queues for one terminal or several in its subtree, sees each state;
a foreign terminal is a 404; bad input is a form error."""

import pytest
from django.urls import reverse

from terminals.commands import command_queue
from terminals.models import TerminalAudit, TerminalCommand

pytestmark = pytest.mark.django_db


def test_a_dealer_queues_a_restart_for_one_terminal_and_sees_it_queued(dealer_client, terminals, dealer_user):
    t = terminals["1001"]
    url = reverse("cabinet:commands")
    response = dealer_client.post(url + f"?terminal={t.pk}", {"kind": "restart", "terminals": [str(t.pk)]})
    assert response.status_code == 302
    assert response["Location"] == f"{url}?terminal={t.pk}"
    cmd = TerminalCommand.objects.get()
    assert (cmd.terminal_id, cmd.kind, cmd.state, cmd.args, cmd.created_by) == (t.pk, "restart", "queued", {},
                                                                              dealer_user)
    assert TerminalAudit.objects.filter(terminal=t, action="command", user=dealer_user).exists()
    page = dealer_client.get(response["Location"]).content.decode()
    assert f'<tr data-id="{cmd.pk}">' in page
    assert 'class="badge warn">в очереди<' in page


def test_one_command_for_several_terminals_including_a_sub_agents(dealer_client, terminals):
    ids = [terminals[n].pk for n in ("1001", "1002", "2001")]
    response = dealer_client.post(reverse("cabinet:commands"), {"kind": "refresh_config",
                                                                "terminals": [str(i) for i in ids]})
    assert response.status_code == 302
    assert sorted(TerminalCommand.objects.values_list("terminal__number", flat=True)) == ["1001", "1002", "2001"]


def test_an_update_needs_its_release(dealer_client, terminals):
    t = terminals["1001"]
    response = dealer_client.post(reverse("cabinet:commands"), {"kind": "update", "terminals": [str(t.pk)]})
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert TerminalCommand.objects.count() == 0
    dealer_client.post(reverse("cabinet:commands"), {"kind": "update", "release": "1.5.0", "terminals": [str(t.pk)]})
    assert TerminalCommand.objects.get().args == {"release": "1.5.0"}


@pytest.mark.parametrize("data", [{"kind": "reboot"}, {"kind": "restart", "terminals": []}, {}])
def test_bad_command_input_is_a_form_error_and_queues_nothing(dealer_client, terminals, data):
    data = {"terminals": [str(terminals["1001"].pk)], **data}
    response = dealer_client.post(reverse("cabinet:commands"), data)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert TerminalCommand.objects.count() == 0


def test_a_command_for_a_terminal_outside_the_subtree_is_404(client, terminals, foreign):
    from terminals.models import Terminal

    theirs = Terminal.objects.get(number="9001")
    client.login(username="dealer", password="kit-demo")
    url = reverse("cabinet:commands")
    assert client.post(url, {"kind": "restart", "terminals": [str(theirs.pk)]}).status_code == 404
    assert client.post(url, {"kind": "restart", "terminals": [str(terminals["1001"].pk), str(theirs.pk)]}
                       ).status_code == 404
    assert client.post(url, {"kind": "restart", "terminals": ["abc"]}).status_code == 404
    assert client.get(url, {"terminal": theirs.pk}).status_code == 404
    assert client.get(url, {"terminal": "x"}).status_code == 404
    assert TerminalCommand.objects.count() == 0


def test_a_sub_agent_cannot_command_its_parents_terminal(client, terminals):
    client.login(username="subdealer", password="kit-demo")
    response = client.post(reverse("cabinet:commands"), {"kind": "restart", "terminals": [str(terminals["1001"].pk)]})
    assert response.status_code == 404
    assert TerminalCommand.objects.count() == 0


def test_the_list_shows_only_the_subtrees_commands_with_their_states(client, terminals, foreign):
    from terminals.models import Terminal

    ours = command_queue(terminals=[terminals["2001"]], kind="print_test")[0]
    TerminalCommand.objects.filter(pk=ours.pk).update(state="done", message="printed")
    theirs = command_queue(terminals=[Terminal.objects.get(number="9001")], kind="restart")[0]
    parents = command_queue(terminals=[terminals["1001"]], kind="restart")[0]
    client.login(username="subdealer", password="kit-demo")
    page = client.get(reverse("cabinet:commands")).content.decode()
    assert f'data-id="{ours.pk}"' in page and "printed" in page
    assert f'data-id="{theirs.pk}"' not in page and f'data-id="{parents.pk}"' not in page
    assert 'class="badge ok">' in page


def test_a_dealer_viewer_sees_the_commands_but_cannot_queue_one(client, demo, terminals):
    from dealers.services import dealer_user_create

    dealer_user_create(dealer=demo, username="watcher", email="", password="kit-demo-9x!", role="viewer")
    client.login(username="watcher", password="kit-demo-9x!")
    page = client.get(reverse("cabinet:commands"))
    assert page.status_code == 200
    assert 'id="command-form"' not in page.content.decode()
    response = client.post(reverse("cabinet:commands"), {"kind": "restart", "terminals": [str(terminals["1001"].pk)]})
    assert response.status_code == 403
    assert TerminalCommand.objects.count() == 0
