"""Kiosk logs in the cabinet: a done collect_logs command links to the bundle it brought, the terminal's page
lists its bundles, the download is the text as an attachment (audited); dealer admins only, within the subtree."""

import uuid

import pytest
from django.urls import reverse

from terminals.commands import command_queue
from terminals.logs import LogBundle, encode_log, log_record
from terminals.models import Terminal, TerminalAudit, TerminalCommand

pytestmark = pytest.mark.django_db

TEXT = "2026-11-28 12:00:00,000 WARNING kiosk.sync: heartbeat: server not reached — связь пропала\n"


def posted(terminal, text=TEXT, *, command=None, truncated=False):
    """A bundle as POST /logs records it."""
    import base64

    data = base64.b64decode(encode_log(text))
    row, _ = log_record(terminal=terminal, bundle=LogBundle(kiosk_id=uuid.uuid4(), command_id=command,
                                                            truncated=truncated, text=text, gzip=data))
    return row


def viewer(client, demo):
    from dealers.services import dealer_user_create

    dealer_user_create(dealer=demo, username="watcher", email="", password="kit-demo-9x!", role="viewer")
    client.login(username="watcher", password="kit-demo-9x!")
    return client


def test_a_done_collect_logs_command_links_to_its_log_and_the_download_is_the_text(dealer_client, terminals,
                                                                                   dealer_user):
    t = terminals["1001"]
    [cmd] = command_queue(terminals=[t], kind="collect_logs")
    [other] = command_queue(terminals=[t], kind="print_test")
    row = posted(t, command=cmd.pk, truncated=True)
    TerminalCommand.objects.filter(pk=cmd.pk).update(state="done", message="sent 1 KB (1 KB of log)")
    page = dealer_client.get(reverse("cabinet:commands") + f"?terminal={t.pk}").content.decode()
    url = reverse("cabinet:terminal_log", args=[row.pk])
    mine = page.split(f'<tr data-id="{cmd.pk}">', 1)[1].split("</tr>", 1)[0]
    assert f'href="{url}"' in mine and "Скачать журнал киоска" in mine and "старые строки опущены" in mine
    assert "/cabinet/logs/" not in page.split(f'<tr data-id="{other.pk}">', 1)[1].split("</tr>", 1)[0]
    response = dealer_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="kiosk-1001-')
    assert response["Cache-Control"] == "no-store"
    assert response.content == TEXT.encode()
    audit = TerminalAudit.objects.get(action="log_downloaded")
    assert (audit.terminal_id, audit.user, audit.detail) == (t.pk, dealer_user, {"log": row.pk, "size": row.size})


def test_the_terminals_page_lists_its_logs_for_a_dealer_admin(dealer_client, terminals):
    t = terminals["1001"]
    row = posted(t)
    posted(terminals["1002"], "another terminal's\n")
    page = dealer_client.get(reverse("cabinet:terminal", args=[t.pk])).content.decode()
    table = page.split('id="terminal-logs"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 2  # the header and its one bundle
    assert reverse("cabinet:terminal_log", args=[row.pk]) in table


def test_a_dealer_viewer_neither_sees_nor_downloads_the_logs(client, demo, terminals):
    t = terminals["1001"]
    [cmd] = command_queue(terminals=[t], kind="collect_logs")
    row = posted(t, command=cmd.pk)
    viewer(client, demo)
    page = client.get(reverse("cabinet:commands")).content.decode()
    assert "Журнал киоска получен" in page and "/cabinet/logs/" not in page
    assert 'id="terminal-logs"' not in client.get(reverse("cabinet:terminal", args=[t.pk])).content.decode()
    response = client.get(reverse("cabinet:terminal_log", args=[row.pk]))
    assert response.status_code == 403 and 'id="logs-admins-only"' in response.content.decode()
    assert TEXT not in response.content.decode()
    assert not TerminalAudit.objects.filter(action="log_downloaded").exists()


def test_a_foreign_or_parents_log_is_404_and_a_post_is_refused(client, dealer_client, terminals, foreign):
    theirs = posted(Terminal.objects.get(number="9001"))
    assert dealer_client.get(reverse("cabinet:terminal_log", args=[theirs.pk])).status_code == 404
    parents = posted(terminals["1001"])
    assert dealer_client.post(reverse("cabinet:terminal_log", args=[parents.pk])).status_code == 405
    assert dealer_client.get(reverse("cabinet:terminal_log", args=[parents.pk + 1000])).status_code == 404
    client.logout()
    client.login(username="subdealer", password="kit-demo")
    assert client.get(reverse("cabinet:terminal_log", args=[parents.pk])).status_code == 404
    assert not TerminalAudit.objects.filter(action="log_downloaded").exists()


def test_the_admin_lists_the_logs_read_only_and_the_commands_link_to_them(client, admin_user, terminals):
    admin_client = client
    admin_client.force_login(admin_user)
    t = terminals["1001"]
    [cmd] = command_queue(terminals=[t], kind="collect_logs")
    row = posted(t, "line one\nline two <b>not bold</b>\n", command=cmd.pk)
    listing = admin_client.get(reverse("admin:terminals_terminallog_changelist")).content.decode()
    assert reverse("admin:terminals_terminallog_change", args=[row.pk]) in listing
    assert reverse("admin:terminals_terminallog_add") not in listing
    page = admin_client.get(reverse("admin:terminals_terminallog_change", args=[row.pk])).content.decode()
    assert "line two &lt;b&gt;not bold&lt;/b&gt;" in page and 'name="_save"' not in page
    download = admin_client.get(reverse("admin:terminals_terminallog_download", args=[row.pk]))
    assert download.content == b"line one\nline two <b>not bold</b>\n"
    assert download["Content-Disposition"].startswith('attachment; filename="kiosk-1001-')
    commands = admin_client.get(reverse("admin:terminals_terminalcommand_changelist")).content.decode()
    assert reverse("admin:terminals_terminallog_change", args=[row.pk]) in commands
    assert admin_client.post(reverse("admin:terminals_terminallog_delete", args=[row.pk]),
                             {"post": "yes"}).status_code == 403
