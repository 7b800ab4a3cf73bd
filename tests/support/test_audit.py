"""The audit list: every operator action, newest first, filtered by operator, action, date and payment;
nobody edits or deletes it, admins included."""

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.db import transaction

from support.models import AuditEntry
from support.services import audit_record

pytestmark = pytest.mark.django_db


def _ids(resp):
    import re

    return [int(x) for x in re.findall(r'<tr data-id="(\d+)"', resp.content.decode())]


@pytest.fixture
def entries(pay, support_user, senior_user):
    p1 = pay("1001", "1", status="failed", reason="declined")
    p2 = pay("1001", "2", status="failed", reason="declined")
    # The rows cannot be changed afterwards (a trigger on PostgreSQL): write them at the chosen time.
    with transaction.atomic(), mock.patch("django.utils.timezone.now", return_value=datetime(2026, 11, 1, 9, tzinfo=UTC)):
        a = audit_record(user=senior_user, action="resend", payment=p1, before={"status": "failed"},
                         after={"status": "accepted"}, comment="клиент подтвердил номер")
    with transaction.atomic(), mock.patch("django.utils.timezone.now", return_value=datetime(2026, 11, 20, 9, tzinfo=UTC)):
        b = audit_record(user=support_user, action="poll", payment=p2)
        c = audit_record(user=senior_user, action="cancel", payment=p2, comment="возврат наличными")
    return {"a": a, "b": b, "c": c, "p1": p1, "p2": p2}


def test_the_list_shows_every_action_newest_first(support_client, entries):
    resp = support_client.get("/support/audit/")
    assert _ids(resp) == [entries["c"].pk, entries["b"].pk, entries["a"].pk]
    assert "клиент подтвердил номер" in resp.content.decode()


@pytest.mark.parametrize("query,expected", [
    ({"operator": "senior"}, ["c", "a"]),
    ({"action": "poll"}, ["b"]),
    ({"date_from": "2026-11-15", "date_to": "2026-11-30"}, ["c", "b"]),
    ({"operator": "nobody"}, []),
])
def test_the_filters(support_client, entries, query, expected):
    assert _ids(support_client.get("/support/audit/", query)) == [entries[k].pk for k in expected]


def test_the_payment_filter(support_client, entries):
    resp = support_client.get("/support/audit/", {"payment": entries["p2"].pk})
    assert _ids(resp) == [entries["c"].pk, entries["b"].pk]


def test_bad_filter_values_are_form_errors(support_client, entries):
    assert support_client.get("/support/audit/", {"date_from": "2026-13-40"}).status_code == 400
    assert support_client.get("/support/audit/", {"payment": "abc"}).status_code == 400
    assert support_client.get("/support/audit/", {"before": "x1"}).status_code == 400


def test_the_payment_page_lists_its_operator_actions(support_client, entries):
    body = support_client.get(f"/support/payments/{entries['p2'].pk}/").content.decode()
    table = body.split('id="payment-audit"', 1)[1].split("</table>", 1)[0]
    assert "<td>запрос статуса</td>" in table and "<td>отмена</td>" in table and "возврат наличными" in table


def test_admins_cannot_add_change_or_delete_audit_rows(client, entries):
    client.login(username="admin", password="kit-demo")
    pk = entries["a"].pk
    assert client.get("/admin/support/auditentry/add/").status_code == 403
    assert client.post(f"/admin/support/auditentry/{pk}/delete/").status_code == 403
    client.post(f"/admin/support/auditentry/{pk}/change/", {"comment": "edited"})
    entries["a"].refresh_from_db()
    assert entries["a"].comment == "клиент подтвердил номер"
    assert AuditEntry.objects.count() == 3


@pytest.mark.postgres
def test_the_database_refuses_to_change_or_delete_an_audit_row(entries):
    from django.db import DatabaseError

    for attempt in (lambda: AuditEntry.objects.filter(pk=entries["a"].pk).update(comment="x"),
                    lambda: AuditEntry.objects.filter(pk=entries["a"].pk).delete()):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    entries["a"].refresh_from_db()
    assert entries["a"].comment == "клиент подтвердил номер"


def test_the_list_names_each_action_in_words(support_client, entries, senior_user):
    with transaction.atomic():
        audit_record(user=senior_user, action="approve", payment=entries["p1"])
    text = support_client.get("/support/audit/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "повторная отправка" in text and "запрос статуса" in text and "согласовано" in text
    assert "<code>resend</code>" not in text
