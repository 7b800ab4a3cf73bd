"""Top-up requests (confirmed once, only by an administrator) and low-balance alerts (one e-mail per dip)."""

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


def test_the_low_balance_email_is_sent_once_per_crossing(demo, demo_sub, subdealer_user):
    from dealers.services import balance_alert_set, balance_alerts_check, balance_is_low, transfer_make

    subdealer_user.email = "sub@example.org"
    subdealer_user.save()
    balance_alert_set(dealer=demo_sub, threshold="50000.00")
    assert balance_alerts_check() == {"sent": 0, "rearmed": 0}

    def move(direction, amount):
        transfer_make(dealer=demo, agent_id=demo_sub.pk, amount=amount, direction=direction, key=uuid.uuid4())
        demo_sub.refresh_from_db()

    move("from", "60000.00")  # 40,000.00: below
    assert balance_is_low(demo_sub)
    assert balance_alerts_check() == {"sent": 1, "rearmed": 0}
    assert balance_alerts_check() == {"sent": 0, "rearmed": 0}
    move("from", "1000.00")  # still below: no second mail
    assert balance_alerts_check() == {"sent": 0, "rearmed": 0}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["sub@example.org"] and "Demo Sub" in mail.outbox[0].subject
    assert "40000.00" in mail.outbox[0].body
    move("to", "11000.00")  # 50,000.00: back at the threshold
    assert not balance_is_low(demo_sub)
    assert balance_alerts_check() == {"sent": 0, "rearmed": 1}
    move("from", "0.01")  # below again: the next dip, the next mail
    assert balance_alerts_check() == {"sent": 1, "rearmed": 0}
    assert len(mail.outbox) == 2


def test_a_failed_mail_is_retried_on_the_next_check(demo_sub, subdealer_user, monkeypatch):
    from dealers import services
    from dealers.models import BalanceAlert

    subdealer_user.email = "sub@example.org"
    subdealer_user.save()
    services.balance_alert_set(dealer=demo_sub, threshold="200000.00")

    def broken(*a, **k):
        raise OSError("smtp down")

    monkeypatch.setattr("django.core.mail.send_mail", broken)
    assert services.balance_alerts_check() == {"sent": 0, "rearmed": 0}
    assert BalanceAlert.objects.get(dealer=demo_sub).alerted_at is None
    monkeypatch.undo()
    assert services.balance_alerts_check() == {"sent": 1, "rearmed": 0}


def test_a_negative_or_over_precise_threshold_is_refused(demo_sub):
    from dealers.models import BalanceAlert
    from dealers.services import DealerError, balance_alert_set

    for value in ("-1", "1.001", "x"):
        with pytest.raises(DealerError):
            balance_alert_set(dealer=demo_sub, threshold=value)
    assert BalanceAlert.objects.count() == 0
