"""The hourly overdue task with a frozen clock: marks the claim, one e-mail per claim per day, the banner."""

import pytest
from django.core import mail
from django.utils import timezone

from claims.models import Claim, OverdueNotice
from claims.services import claim_transition
from claims.tasks import mark_overdue

from .conftest import msk

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    """clock(at): from now on django.utils.timezone.now() answers `at`."""

    def set_to(at):
        monkeypatch.setattr(timezone, "now", lambda: at)

    return set_to


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """The task as the worker runs it: its on-commit mail goes out when its transaction commits."""

    def task():
        with django_capture_on_commit_callbacks(execute=True):
            return mark_overdue()

    return task


@pytest.fixture
def seniors(senior_user, admin_user):
    senior_user.email = "senior@example.org"
    senior_user.save(update_fields=["email"])
    return senior_user


def test_an_overdue_claim_is_marked_and_mailed_once_a_day(register, seniors, support_user, clock, run):
    late = register(None, received_at=msk(2026, 3, 13, 10, 0), name="Петров Пётр")  # due 23.03.2026 23:59
    answered = register(None, received_at=msk(2026, 3, 13, 11, 0))
    claim_transition(claim=answered, to="rejected", user=support_user, comment="дубль", answer="Ответ дан ранее.")
    not_yet = register(None, received_at=msk(2026, 3, 20, 10, 0))  # due 30.03.2026

    clock(msk(2026, 3, 23, 23, 0))
    assert run() == 0
    assert len(mail.outbox) == 0

    clock(msk(2026, 3, 24, 0, 30))
    assert run() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["senior@example.org"]
    assert late.number in mail.outbox[0].subject
    assert "Петров Пётр" in mail.outbox[0].body
    assert Claim.objects.get(pk=late.pk).overdue_since == msk(2026, 3, 24, 0, 30)

    for hour in (1, 2, 13, 23):  # the same day, hourly
        clock(msk(2026, 3, 24, hour, 7))
        assert run() == 0
    assert len(mail.outbox) == 1

    clock(msk(2026, 3, 25, 0, 7))
    assert run() == 1
    assert len(mail.outbox) == 2
    assert list(OverdueNotice.objects.filter(claim=late).values_list("day", flat=True).order_by("day")) == [
        msk(2026, 3, 24).date(), msk(2026, 3, 25).date()]
    assert late.steps.filter(kind="overdue").count() == 1
    assert not OverdueNotice.objects.filter(claim__in=[answered, not_yet]).exists()


def test_a_claim_answered_after_its_deadline_is_mailed_no_more(register, seniors, support_user, clock, run):
    claim = register(None, received_at=msk(2026, 3, 13, 10, 0))
    clock(msk(2026, 3, 24, 9, 0))
    assert run() == 1
    claim_transition(claim=claim, to="rejected", user=support_user, comment="поздно", answer="Ответ.")
    clock(msk(2026, 3, 25, 9, 0))
    assert run() == 0
    assert len(mail.outbox) == 1


def test_the_console_shows_a_banner_while_a_claim_is_overdue(client, register, support_user, clock):
    client.force_login(support_user)
    assert 'id="claims-overdue-banner"' not in client.get("/support/claims/").content.decode()
    register(None, received_at=msk(2026, 3, 13, 10, 0))
    from django.core.cache import cache

    cache.clear()
    page = client.get("/support/claims/").content.decode()
    assert 'id="claims-overdue-banner"' in page


def test_the_overdue_task_is_in_the_beat_schedule_hourly():
    from kit.celery import app

    entry = app.conf.beat_schedule["claims-mark-overdue"]
    assert entry["task"] == "claims.tasks.mark_overdue"
    assert entry["schedule"].minute == {7} and len(entry["schedule"].hour) == 24


def test_a_mail_that_fails_is_tried_again_at_the_next_run(register, seniors, clock, run, monkeypatch):
    import claims.services

    claim = register(None, received_at=msk(2026, 3, 13, 10, 0))

    def down(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(claims.services, "send_mail", down)
    clock(msk(2026, 3, 24, 9, 7))
    assert run() == 1
    assert not OverdueNotice.objects.filter(claim=claim).exists()
    monkeypatch.undo()  # the mail server is back (and the clock patch went with it: set it again)
    clock(msk(2026, 3, 24, 10, 7))
    assert run() == 1
    assert len(mail.outbox) == 1
    assert OverdueNotice.objects.filter(claim=claim).count() == 1
