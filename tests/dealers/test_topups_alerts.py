"""Top-up requests (confirmed once, only by an administrator) and the low balance: the alerts app's
`balance_low`, opened once per crossing and e-mailed by the alerts notifier (one mechanism)."""

import uuid
from datetime import date
from decimal import Decimal as D

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db


def _request(dealer, amount="5000.00"):
    from dealers.services import topup_request_create

    return topup_request_create(dealer=dealer, amount=amount, paid_on=date(2026, 11, 30), order_number="4711",
                                key=uuid.uuid4())


def test_a_top_up_confirmed_twice_credits_once(demo_sub, admin_user):
    from dealers.models import LedgerEntry
    from dealers.services import topup_request_confirm

    req = _request(demo_sub)
    assert req.state == "pending"
    first = topup_request_confirm(request_id=req.pk, by=admin_user)
    second = topup_request_confirm(request_id=req.pk, by=admin_user)
    assert first.state == second.state == "confirmed" and first.entry_id == second.entry_id
    demo_sub.refresh_from_db()
    assert demo_sub.balance == D("105000.00")
    assert list(LedgerEntry.objects.filter(dealer=demo_sub, kind="topup").order_by("pk")
                .values_list("amount", flat=True)) == [D("100000.00"), D("5000.00")]


def test_a_top_up_confirmed_twice_through_the_admin_credits_once(client, demo_sub, admin_user):
    from dealers.models import LedgerEntry

    req = _request(demo_sub, "123.45")
    client.force_login(admin_user)
    url = f"/admin/dealers/topuprequest/{req.pk}/confirm/"
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302
    assert LedgerEntry.objects.filter(dealer=demo_sub, kind="topup", amount=D("123.45")).count() == 1
    page = client.get(f"/admin/dealers/topuprequest/{req.pk}/change/").content.decode()
    assert "confirm-topup" not in page  # decided: no button any more


def test_a_top_up_confirmed_by_a_dealer_user_or_support_is_refused_and_writes_nothing(demo_sub, dealer_user,
                                                                                      support_user, client):
    from dealers.models import LedgerEntry
    from dealers.services import DealerError, topup_request_confirm

    req = _request(demo_sub)
    for user in (dealer_user, support_user):
        with pytest.raises(DealerError) as exc:
            topup_request_confirm(request_id=req.pk, by=user)
        assert exc.value.code == "not_allowed"
    client.force_login(dealer_user)
    assert client.post(f"/admin/dealers/topuprequest/{req.pk}/confirm/").status_code == 302  # to the admin login
    req.refresh_from_db()
    assert req.state == "pending" and LedgerEntry.objects.filter(kind="topup", dealer=demo_sub).count() == 1


def test_a_rejected_request_needs_a_reason_and_cannot_be_confirmed_later(demo_sub, admin_user):
    from dealers.services import DealerError, topup_request_confirm, topup_request_reject

    req = _request(demo_sub)
    with pytest.raises(DealerError) as exc:
        topup_request_reject(request_id=req.pk, by=admin_user, reason="  ")
    assert exc.value.code == "no_reason"
    topup_request_reject(request_id=req.pk, by=admin_user, reason="no such transfer on our account")
    with pytest.raises(DealerError) as exc:
        topup_request_confirm(request_id=req.pk, by=admin_user)
    assert exc.value.code == "already_decided"
    demo_sub.refresh_from_db()
    assert demo_sub.balance == D("100000.00")


@pytest.mark.parametrize("amount, code", [("0.00", "not_positive"), ("-1", "not_positive"),
                                          ("1.005", "too_many_decimals")])
def test_bad_top_up_sums_are_refused(demo_sub, amount, code):
    from dealers.models import TopUpRequest
    from dealers.services import DealerError

    with pytest.raises(DealerError) as exc:
        _request(demo_sub, amount)
    assert exc.value.code == code and TopUpRequest.objects.count() == 0


# -- the low balance: the alerts app's `balance_low`, its e-mail the alerts notifier's ----------
@pytest.fixture
def mails(settings, subdealer_user, monkeypatch):
    """E-mail through the alerts notifier into Django's locmem outbox; the tasks sent on commit
    (alert notifications, resuming held payments) are recorded instead of reaching a broker."""
    from alerts import tasks as alert_tasks
    from payments import tasks as payment_tasks

    settings.KIT_ALERT_NOTIFIERS = ["email"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KIT_ALERT_BALANCE_THRESHOLD = ""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    subdealer_user.email = "sub@example.org"
    subdealer_user.save(update_fields=["email"])
    queued = []
    monkeypatch.setattr(alert_tasks.notify, "apply_async", lambda args=(), **kw: queued.append("notify"))
    monkeypatch.setattr(payment_tasks.resume_held, "apply_async", lambda args=(), **kw: queued.append("resume"))
    return queued


def _low_alerts(dealer):
    from alerts.models import Alert

    return list(Alert.objects.filter(dealer=dealer, code="balance_low").order_by("pk")
                .values_list("closed_at", "detail"))


def test_the_low_balance_email_comes_from_the_balance_low_alert_once_per_crossing(
        demo, demo_sub, mails, settings, django_capture_on_commit_callbacks):
    from alerts.services import alerts_balance_sweep, alerts_notify_pending
    from dealers.services import balance_alert_set, balance_is_low, transfer_make

    settings.KIT_ALERT_FLAP_SECONDS = 0  # every crossing here is a real one (flapping: the test below)

    def move(direction, amount):
        """A transfer by a person: `balance_low` is judged right after the commit."""
        with django_capture_on_commit_callbacks(execute=True):
            transfer_make(dealer=demo, agent_id=demo_sub.pk, amount=amount, direction=direction, key=uuid.uuid4())
        demo_sub.refresh_from_db()
        return alerts_notify_pending()  # what the `notify` task queued on commit does

    balance_alert_set(dealer=demo_sub, threshold="50000.00")
    assert _low_alerts(demo_sub) == [] and mails == []

    assert move("from", "60000.00") == 1  # 40,000.00: below
    assert balance_is_low(demo_sub)
    assert _low_alerts(demo_sub) == [(None, {"available": "40000.00", "threshold": "50000.00"})]
    assert mails.count("notify") == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sub@example.org"]
    assert message.subject == "Тревога: доступный баланс ниже порога (Demo Sub)"
    assert "доступно 40\xa0000,00\xa0₽, ниже порога 50\xa0000,00\xa0₽" in message.body

    assert alerts_balance_sweep() == 0 and alerts_notify_pending() == 0  # the sweep: still the same dip
    assert move("from", "1000.00") == 0  # 39,000.00: still below, no second mail
    assert len(_low_alerts(demo_sub)) == 1 and len(mail.outbox) == 1

    assert move("to", "11000.00") == 0  # 50,000.00: back at the threshold, the alert closes
    assert not balance_is_low(demo_sub)
    [(closed_at, _detail)] = _low_alerts(demo_sub)
    assert closed_at is not None

    assert move("from", "0.01") == 1  # below again: the next crossing, the next alert and mail
    assert [closed is None for closed, _d in _low_alerts(demo_sub)] == [False, True]
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["sub@example.org"]
    assert "49\xa0999,99\xa0₽" in mail.outbox[1].body


def test_the_email_goes_to_the_dealers_users_who_chose_balance_low(demo, demo_sub, mails, dealer_user):
    from alerts.services import alert_choice_set, alerts_balance_sweep, alerts_notify_pending
    from dealers.services import balance_alert_set, dealer_user_create

    dealer_user.email = "parent@example.org"  # Demo's user: Demo Sub's balance is not its alert
    dealer_user.save(update_fields=["email"])
    chose = dealer_user_create(dealer=demo_sub, username="chose", email="chose@example.org", password="x",
                               role="viewer").user
    alert_choice_set(user=chose, codes=["balance_low", "offline"])
    other = dealer_user_create(dealer=demo_sub, username="other", email="other@example.org", password="x",
                               role="admin").user
    alert_choice_set(user=other, codes=["offline", "paper_out"])
    dealer_user_create(dealer=demo_sub, username="nomail", email="", password="x", role="admin")
    balance_alert_set(dealer=demo_sub, threshold="200000.00")  # 100,000.00 is below

    assert alerts_balance_sweep() == 1
    assert alerts_notify_pending() == 2
    # `subdealer` never chose: no choice saved means every code, as #17 mailed every user.
    assert sorted(m.to[0] for m in mail.outbox) == ["chose@example.org", "sub@example.org"]


def test_a_balance_flapping_within_a_minute_does_not_reopen_or_mail_again(demo_sub, mails, settings):
    from datetime import UTC, datetime, timedelta

    from django.db import transaction

    from alerts.services import alerts_notify_pending, balance_alert_check
    from dealers.services import balance_alert_set, dealer_topup, ledger_debit_covered

    settings.KIT_ALERT_FLAP_SECONDS = 60
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    balance_alert_set(dealer=demo_sub, threshold="100000.01")  # 100,000.00: below by a kopeck
    assert balance_alert_check(dealer=demo_sub, now=t0) is not None
    dealer_topup(dealer=demo_sub, amount="0.01")
    demo_sub.refresh_from_db()
    assert balance_alert_check(dealer=demo_sub, now=t0 + timedelta(seconds=10)) is None  # closes
    with transaction.atomic():
        ledger_debit_covered(dealer_id=demo_sub.pk, amount=D("0.01"), kind="payment_debit")
    demo_sub.refresh_from_db()
    assert balance_alert_check(dealer=demo_sub, now=t0 + timedelta(seconds=40)) is None  # revived, not new
    assert [closed for closed, _d in _low_alerts(demo_sub)] == [None]
    assert alerts_notify_pending() == 1 and len(mail.outbox) == 1


def test_people_moving_money_recheck_at_once_while_payment_debits_wait_for_the_sweep(
        demo_sub, admin_user, mails, settings, django_capture_on_commit_callbacks):
    from django.db import transaction

    from alerts.services import alerts_balance_sweep
    from dealers.services import balance_alert_set, ledger_debit_covered, topup_request_confirm

    settings.KIT_ALERT_FLAP_SECONDS = 0  # the reopening at the end is a crossing, not a flap
    with django_capture_on_commit_callbacks(execute=True):
        balance_alert_set(dealer=demo_sub, threshold="50000.00")
    assert _low_alerts(demo_sub) == []

    # A payment's debit (acceptance) adds no statement and no on-commit work: the sweep finds it.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            ledger_debit_covered(dealer_id=demo_sub.pk, amount=D("60000.00"), kind="payment_debit")
    assert callbacks == [] and _low_alerts(demo_sub) == []
    assert alerts_balance_sweep() == 1
    assert [closed for closed, _d in _low_alerts(demo_sub)] == [None]

    # A confirmed top-up closes it as soon as it commits, without waiting for the sweep.
    req = _request(demo_sub, "20000.00")
    with django_capture_on_commit_callbacks(execute=True):
        topup_request_confirm(request_id=req.pk, by=admin_user)
    [(closed_at, _detail)] = _low_alerts(demo_sub)
    assert closed_at is not None

    # A threshold raised above the balance opens it as soon as it is saved.
    with django_capture_on_commit_callbacks(execute=True):
        balance_alert_set(dealer=demo_sub, threshold="70000.00")
    assert [closed is None for closed, _d in _low_alerts(demo_sub)] == [False, True]


def test_a_failing_recheck_never_fails_the_transfer(demo, demo_sub, mails, monkeypatch, caplog,
                                                    django_capture_on_commit_callbacks):
    from alerts import services as alert_services
    from dealers.services import balance_alert_set, transfer_make

    def broken(**kwargs):
        raise RuntimeError("alerts down")

    balance_alert_set(dealer=demo_sub, threshold="50000.00")
    monkeypatch.setattr(alert_services, "balance_alert_check", broken)
    with django_capture_on_commit_callbacks(execute=True):
        transfer = transfer_make(dealer=demo, agent_id=demo_sub.pk, amount="60000.00", direction="from",
                                 key=uuid.uuid4())
    assert transfer.in_entry_id and "the sweep checks again" in caplog.text
    demo_sub.refresh_from_db()
    assert demo_sub.balance == D("40000.00")


def test_there_is_one_low_balance_mechanism(demo_sub, mails):
    """The beat runs one sweep for the low balance (every KIT_BALANCE_ALERT_SECONDS); dealers has no
    check, no task and no 'sent' flag of its own any more; running every alerts run twice sends one mail."""
    from django.conf import settings
    from django.db import transaction

    from alerts import tasks as alert_tasks
    from dealers import tasks as dealer_tasks
    from dealers.models import BalanceAlert
    from dealers.services import balance_alert_set, ledger_debit_covered
    from kit.celery import app

    app.finalize()  # the entries read from settings are added when the app is finalized
    schedule = app.conf.beat_schedule
    low_balance = {name: entry for name, entry in schedule.items()
                   if "balance" in entry["task"] or entry["task"] == "alerts.tasks.sweep"}
    assert low_balance == {"alerts-sweep": {"task": "alerts.tasks.sweep",
                                            "schedule": settings.KIT_BALANCE_ALERT_SECONDS,
                                            "options": {"expires": settings.KIT_BALANCE_ALERT_SECONDS}}}
    assert "dealers.tasks.check_balance_alerts" not in app.tasks
    assert not hasattr(dealer_tasks, "check_balance_alerts")
    assert [f.name for f in BalanceAlert._meta.get_fields()] == ["dealer", "threshold"]

    balance_alert_set(dealer=demo_sub, threshold="50000.00")
    with transaction.atomic():
        ledger_debit_covered(dealer_id=demo_sub.pk, amount=D("60000.00"), kind="payment_debit")
    alert_tasks.sweep()
    alert_tasks.sweep()
    alert_tasks.notify()
    assert len(mail.outbox) == 1


def test_a_negative_or_over_precise_threshold_is_refused(demo_sub):
    from dealers.models import BalanceAlert
    from dealers.services import DealerError, balance_alert_set

    for value in ("-1", "1.001", "x"):
        with pytest.raises(DealerError):
            balance_alert_set(dealer=demo_sub, threshold=value)
    assert BalanceAlert.objects.count() == 0
