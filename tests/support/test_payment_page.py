"""The payment page: the cheque, status and reason in words, the timeline in the viewer's time zone,
every gateway attempt with its code's meaning and secrets masked, the ledger; the actions' place."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(pay, support_user):
    from dealers.models import LedgerEntry
    from payments.models import Event

    p = pay("1001", "42", amount="500.00", status="failed", reason="declined", gateway="cyberplat",
            at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
            attempts=[{"attempt_id": "700000000000000042", "upstream_id": "CP-5550001", "state": "closed",
                       "outcome": "declined", "result_code": "23", "message": "no such subscriber",
                       "duration_ms": 412,
                       "exchange": [{"op": "pay", "url": "https://gw.example/pay?login=kit&password=hunter2",
                                     "request": "SESSION=700000000000000042&NUMBER=9161234567&PASSWD=hunter2",
                                     "status": 200, "response": "ERROR=23\nRESULT=1", "ms": 412}]}])
    Event.objects.filter(payment=p).update(created_at=datetime(2026, 11, 20, 9, 30, 5, tzinfo=UTC))
    Event.objects.create(payment=p, from_status="processing", to_status="failed", reason="declined", actor="worker",
                         detail={"attempt": "700000000000000042", "secret": "topsecret"})
    LedgerEntry.objects.create(dealer=p.dealer, kind="payment_debit", amount=Decimal("-500.00"),
                               balance_after=Decimal("999500.00"), payment=p)
    return p


def test_the_page_shows_the_cheque_status_and_reason_in_russian(support_client, story):
    body = support_client.get(f"/support/payments/{story.pk}/").content.decode()
    assert 'id="payment-status">ошибка</span>' in body
    assert "шлюз или поставщик отклонил платёж" in body and "<code>declined</code>" in body
    assert "<dd>1001</dd>" in body and "<dd>42</dd>" in body and "<dd>1001-42</dd>" in body
    assert "500,00\xa0₽" in body


def test_times_are_in_the_viewers_time_zone(support_client, story):
    body = support_client.get(f"/support/payments/{story.pk}/").content.decode()
    # 09:30:05 UTC is 12:30:05 in Moscow, the console's default zone.
    assert "20.11.2026 12:30:05" in body


def test_the_timeline_has_every_event_with_who_and_why(support_client, story):
    body = support_client.get(f"/support/payments/{story.pk}/").content.decode()
    timeline = body.split('id="timeline"', 1)[1].split("</table>", 1)[0]
    assert timeline.count("<tr>") == 3  # the header and two events
    assert "терминал 1001" in timeline and "обработчик" in timeline
    assert "проводится → <strong>ошибка</strong>" in timeline


def test_each_attempt_shows_ids_code_meaning_outcome_and_duration(support_client, story):
    body = support_client.get(f"/support/payments/{story.pk}/").content.decode()
    attempt = body.split('id="attempt-700000000000000042"', 1)[1].split("</section>", 1)[0]
    assert "CyberPlat" in attempt
    assert "<code>CP-5550001</code>" in attempt
    assert "<code>23</code>" in attempt
    assert "отказ (окончательный в этом шлюзе)" in attempt
    assert "412 мс" in attempt


def test_no_secret_reaches_the_page(support_client, story):
    body = support_client.get(f"/support/payments/{story.pk}/").content.decode()
    assert "hunter2" not in body and "topsecret" not in body
    assert "PASSWD=***" in body and "password=***" in body


def test_the_ledger_entries_of_the_payment_are_listed(support_client, story):
    body = support_client.get(f"/support/payments/{story.pk}/").content.decode()
    ledger = body.split('id="ledger"', 1)[1].split("</table>", 1)[0]
    assert "-500,00\xa0₽" in ledger and "999\xa0500,00\xa0₽" in ledger


def test_the_dealer_and_the_terminal_are_shown(support_client, story):
    body = support_client.get(f"/support/payments/{story.pk}/").content.decode()
    assert 'id="dealer">Demo' in body and 'id="terminal">1001' in body


def test_the_actions_place_is_on_the_page(support_client, story, settings, tmp_path):
    (tmp_path / "support").mkdir()
    (tmp_path / "support" / "_payment_actions.html").write_text('<b id="actions-here">{{ payment.pk }}</b>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    body = support_client.get(f"/support/payments/{story.pk}/").content.decode()
    assert f'<b id="actions-here">{story.pk}</b>' in body


def test_the_payment_page_and_a_miss_link_to_registering_a_claim(support_client, story):
    body = support_client.get(f"/support/payments/{story.pk}/").content.decode()
    assert f'id="register-claim" href="/support/claims/new/?payment={story.pk}"' in body
    miss = support_client.get("/support/cheque/", {"terminal": "1001", "txn": "999", "account": ""})
    assert 'href="/support/claims/new/?terminal=1001&amp;txn=999"' in miss.content.decode()


def test_the_admin_payment_page_links_to_the_console(client, story):
    client.login(username="admin", password="kit-demo")
    body = client.get(f"/admin/payments/payment/{story.pk}/change/").content.decode()
    assert f'href="/support/payments/{story.pk}/" id="support-console-link"' in body


def test_a_payment_without_attempts_says_so(support_client, pay):
    p = pay("1001", "43", status="failed", reason="account_format")
    body = support_client.get(f"/support/payments/{p.pk}/").content.decode()
    assert 'id="no-attempts"' in body
    assert "счёт не соответствует формату поставщика" in body
