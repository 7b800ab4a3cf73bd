"""Notifications: one message per opening through every configured notifier, a digest past a few,
each user's choice of codes respected, and nothing sent twice."""

from datetime import timedelta

import pytest
from django.core import mail

from alerts.catalogue import Code
from alerts.notifiers import NOTIFIERS
from alerts.notifiers.base import Notifier
from alerts.services import alert_choice_set, alert_open, alerts_notify_pending

from .conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def dealer_mail(dealer_user):
    dealer_user.email = "dealer@example.com"
    dealer_user.save(update_fields=["email"])
    return dealer_user


def _open(terminal, code, at=T0):
    return alert_open(dealer_id=terminal.dealer_id, terminal_id=terminal.pk, code=code, now=at)


def test_every_notifier_implements_the_interface():
    assert {name: issubclass(cls, Notifier) for name, cls in NOTIFIERS.items()} == {"email": True, "memory": True}


def test_one_email_per_opening(terminal, dealer_mail, settings):
    settings.KIT_ALERT_NOTIFIERS = ["email"]
    _open(terminal, Code.PAPER_OUT)
    _open(terminal, Code.PAPER_OUT, T0 + timedelta(minutes=1))
    assert alerts_notify_pending(now=T0 + timedelta(minutes=1)) == 1
    assert alerts_notify_pending(now=T0 + timedelta(minutes=2)) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dealer@example.com"]
    assert message.subject == "Тревога: принтер без бумаги (1001)"
    assert "1001" in message.body and "/cabinet/alerts/" in message.body
    assert "01.12.2026 12:00" in message.body  # Moscow time, the dealer's zone


def test_the_test_notifier_gets_the_same_single_messages(terminal, dealer_user, outbox):
    _open(terminal, Code.PAPER_OUT)
    _open(terminal, Code.DOOR_OPEN)
    assert alerts_notify_pending(now=T0) == 2
    assert outbox == [("dealer", ["paper_out"], False), ("dealer", ["door_open"], False)]


def test_more_than_a_few_at_once_go_out_as_one_digest(terminal, dealer_mail, settings):
    settings.KIT_ALERT_NOTIFIERS = ["email"]
    settings.KIT_ALERT_DIGEST_AFTER = 3
    for code in (Code.PAPER_OUT, Code.DOOR_OPEN, Code.CLOCK_SKEW, Code.QUEUE_STALE):
        _open(terminal, code)
    assert alerts_notify_pending(now=T0) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "4 тревоги с ваших терминалов"
    assert mail.outbox[0].body.count("1001") == 4


def test_a_user_gets_only_the_codes_it_chose(terminal, dealer_user, outbox):
    alert_choice_set(user=dealer_user, codes=["door_open"])
    _open(terminal, Code.PAPER_OUT)
    _open(terminal, Code.DOOR_OPEN)
    alerts_notify_pending(now=T0)
    assert outbox == [("dealer", ["door_open"], False)]


def test_an_unknown_code_is_refused_as_a_choice(dealer_user):
    with pytest.raises(ValueError):
        alert_choice_set(user=dealer_user, codes=["door_open", "coffee_empty"])


def test_another_dealers_users_hear_nothing(terminal, foreign, outbox):
    _open(terminal, Code.PAPER_OUT)
    alerts_notify_pending(now=T0)
    assert [user for user, _, _ in outbox] == ["dealer"]


def test_a_failing_notifier_does_not_stop_the_others(terminal, dealer_user, settings, monkeypatch, outbox):
    from alerts.notifiers.email import EmailNotifier

    settings.KIT_ALERT_NOTIFIERS = ["email", "memory"]
    dealer_user.email = "dealer@example.com"
    dealer_user.save(update_fields=["email"])

    def broken(self, **kw):
        raise OSError("smtp down")

    monkeypatch.setattr(EmailNotifier, "send", broken)
    _open(terminal, Code.PAPER_OUT)
    assert alerts_notify_pending(now=T0) == 1
    assert outbox == [("dealer", ["paper_out"], False)]


def test_the_console_mail_backend_prints_one_message_per_opening(terminal, dealer_mail, settings, capsys):
    settings.KIT_ALERT_NOTIFIERS = ["email"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    _open(terminal, Code.CASSETTE_FULL)
    _open(terminal, Code.CASSETTE_FULL, T0 + timedelta(minutes=5))
    assert alerts_notify_pending(now=T0) == 1
    out = capsys.readouterr().out
    assert out.count("To: dealer@example.com") == 1
    assert "— кассета заполнена: терминал 1001, Москва, Тверская ул., 1\n  с 01.12.2026 12:00" in out


def test_the_balance_low_email_names_the_available_balance_and_the_threshold(demo, dealer_mail, settings):
    from django.utils import translation

    from alerts.services import balance_alert_check
    from kit.templatetags.kit import rub

    settings.KIT_ALERT_NOTIFIERS = ["email"]
    settings.KIT_ALERT_BALANCE_THRESHOLD = "2000000.00"
    balance_alert_check(dealer=demo, now=T0)
    assert alerts_notify_pending(now=T0) == 1
    [message] = mail.outbox
    assert message.subject == "Тревога: доступный баланс ниже порога (Demo)"
    with translation.override("ru"):
        available, threshold = rub(demo.balance + demo.credit_limit), rub("2000000.00")
    assert threshold == "2\xa0000\xa0000,00\xa0₽"
    assert (f"доступно {available}, ниже порога {threshold}: платежи, которые не помещаются в баланс, "
            "ждут пополнения") in message.body
