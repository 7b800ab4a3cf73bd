"""Terminal actions from the cabinet: block / unblock (audited, held payments resume), enrollment codes
shown once, create, providers, heartbeat history and its pruning, the attention list."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone


@pytest.mark.django_db
def test_block_then_unblock_is_audited_and_resumes_held_payments(dealer_client, terminal, dealer_user, monkeypatch):
    from payments import tasks
    from payments.models import Payment
    from payments.services import PaymentRequest, payment_accept
    from terminals.models import TerminalAudit

    sent = []
    monkeypatch.setattr(tasks.resume_held, "apply_async", lambda args=(), **kw: sent.append(("resume", args)))
    monkeypatch.setattr(tasks.submit_payment, "apply_async", lambda args=(), **kw: sent.append(("submit", args)))
    with __import__("django.test", fromlist=["TestCase"]).TestCase.captureOnCommitCallbacks(execute=True):
        dealer_client.post(reverse("cabinet:terminal_block", args=[terminal.pk]))
    terminal.refresh_from_db()
    assert terminal.status == "blocked"
    payment, _ = payment_accept(terminal=terminal, request=PaymentRequest(
        txn="77", provider_code="mts", account="9161234567", amount=Decimal("100.00"), paid_at=timezone.now()))
    assert payment.status == "held" and payment.reason == "terminal_blocked"

    with __import__("django.test", fromlist=["TestCase"]).TestCase.captureOnCommitCallbacks(execute=True):
        dealer_client.post(reverse("cabinet:terminal_unblock", args=[terminal.pk]))
    terminal.refresh_from_db()
    assert terminal.status == "active"
    assert ("resume", (terminal.dealer_id,)) in sent
    tasks.resume_held.run(terminal.dealer_id)
    assert Payment.objects.get(pk=payment.pk).status == "accepted"
    assert list(TerminalAudit.objects.filter(terminal=terminal).order_by("id").values_list("action", "user")) == [
        ("block", dealer_user.pk), ("unblock", dealer_user.pk)]


@pytest.mark.django_db
def test_an_enrollment_code_is_shown_once_then_only_its_expiry(dealer_client, terminal):
    from terminals.services import terminal_enroll

    resp = dealer_client.post(reverse("cabinet:terminal_code", args=[terminal.pk]))
    code = re.search(r"data-code>([0-9-]+)<", resp.content.decode()).group(1)
    again = dealer_client.get(reverse("cabinet:terminal", args=[terminal.pk])).content.decode()
    assert code not in again and 'id="code-expiry"' in again
    assert terminal_enroll(number=terminal.number, code=code, public_key="A" * 44).enrolled_at is not None


@pytest.mark.django_db
def test_create_a_terminal_and_choose_its_providers(dealer_client, demo_sub, world):
    from providers.models import Provider
    from terminals.models import Terminal

    resp = dealer_client.post(reverse("cabinet:terminals"), {"number": "3001", "address": "Тула", "dealer": demo_sub.pk})
    t = Terminal.objects.get(number="3001")
    assert resp.status_code == 302 and t.dealer == demo_sub
    resp = dealer_client.post(reverse("cabinet:terminals"), {"number": "3001", "dealer": demo_sub.pk})
    assert resp.status_code == 200 and resp.context["create_form"].errors["number"]
    mts, beeline = Provider.objects.get(code="mts"), Provider.objects.get(code="beeline")
    dealer_client.post(reverse("cabinet:terminal_providers", args=[t.pk]), {"providers": [mts.pk, beeline.pk]})
    assert set(t.providers.values_list("code", flat=True)) == {"mts", "beeline"}
    Provider.objects.filter(pk=beeline.pk).update(is_active=False)
    resp = dealer_client.post(reverse("cabinet:terminal_providers", args=[t.pk]), {"providers": [beeline.pk]})
    assert resp.status_code == 400 and set(t.providers.values_list("code", flat=True)) == {"mts", "beeline"}


@pytest.mark.django_db
def test_heartbeats_make_a_history_pruned_after_the_kept_days_and_the_attention_list(dealer_client, terminal, settings):
    from terminals.models import Heartbeat
    from terminals.services import heartbeat_record, heartbeats_prune

    heartbeat_record(terminal=terminal, software_version="1.4", cash_notes=950, cash_amount=Decimal("1000.00"),
                     devices={"printer": {"state": "ok", "paper": "low"},
                              "bill_validator": {"state": "ok", "error": "", "capacity": 1000}})
    heartbeat_record(terminal=terminal, software_version="1.4", devices=None, cash_notes=None, cash_amount=None)
    assert Heartbeat.objects.filter(terminal=terminal).count() == 2
    old = Heartbeat.objects.filter(terminal=terminal).order_by("id").first()
    Heartbeat.objects.filter(pk=old.pk).update(reported_at=timezone.now() - timedelta(days=8))
    assert heartbeats_prune() == 1 and Heartbeat.objects.filter(terminal=terminal).count() == 1

    attention = {v.terminal.number: v.problems for v in dealer_client.get(reverse("cabinet:overview")).context["attention"]}
    problems = " ".join(str(p) for p in attention["1001"])
    assert "95" in problems  # cash box 95 % full
    assert "1002" in attention  # never sent a heartbeat
    settings.KIT_OFFLINE_MINUTES = 0
    from terminals.models import Terminal
    Terminal.objects.filter(pk=terminal.pk).update(last_seen=timezone.now() - timedelta(minutes=1))
    text = dealer_client.get(reverse("cabinet:terminals"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1001" in text


@pytest.mark.django_db
def test_the_terminal_pages_actions_are_named_in_words(dealer_client, terminal, dealer_user):
    from terminals.models import AUDIT_ACTIONS, TerminalAudit

    for action in [*AUDIT_ACTIONS, "something_new"]:
        TerminalAudit.objects.create(terminal=terminal, action=action, user=dealer_user)
    page = dealer_client.get(reverse("cabinet:terminal", args=[terminal.pk])).content.decode()
    cells = re.findall(r"<td>([^<]*)</td></tr>", page)
    for word in ("заблокирован", "разблокирован", "поставлена команда", "скачан журнал", "назначено оформление",
                 "выдан код регистрации", "внесён пересчёт банка", "изменены услуги", "терминал создан"):
        assert word in cells
    assert "log_downloaded" not in cells and "command" not in cells
    assert "something_new" in cells  # an action nobody named yet still shows, as its code
