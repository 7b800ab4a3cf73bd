"""The correction actions' pages and four eyes: who may do what alone, approvals, refusals, the audit.

Every amount is written in the test; payments are made in the state each test needs.
"""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from dealers.models import Dealer, LedgerEntry
from payments.models import Attempt, Event, Payment
from support.models import ActionRequest, AuditEntry

pytestmark = pytest.mark.django_db

_txn = itertools.count(9000)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_payment(terminal, *, amount="300.00", status="failed", reason="declined", account="9161234567",
                 provider="mts"):
    from providers.models import Provider

    amount = Decimal(amount)
    txn = str(next(_txn))
    p = Payment.objects.create(terminal=terminal, dealer_id=terminal.dealer_id, txn=txn,
                               provider=Provider.objects.get(code=provider), provider_code=provider, account=account,
                               amount=amount, credited=amount, status=status, reason=reason, content_hash=f"h{txn}",
                               cheque_number=f"{terminal.number}-{txn}", paid_at=timezone.now())
    Event.objects.create(payment=p, to_status=status, reason=reason, actor="terminal:1001")
    return p


def unknown_payment(terminal, amount="300.00"):
    """A processing payment whose attempt's outcome is not known (debited, as the engine leaves it)."""
    from django.db import transaction

    from dealers.services import ledger_post
    from gateways.models import Gateway

    p = make_payment(terminal, amount=amount, status="processing", reason="outcome_unknown")
    gw = Gateway.objects.get(code="cyberplat")
    Payment.objects.filter(pk=p.pk).update(gateway=gw, next_try_at=timezone.now() + timedelta(minutes=5))
    Attempt.objects.create(payment=p, gateway=gw, attempt_id=f"7{p.pk:017d}", outcome="unknown")
    with transaction.atomic():
        ledger_post(dealer_id=p.dealer_id, kind="payment_debit", amount=-Decimal(amount), payment=p)
    return p


@pytest.fixture
def senior2(world):
    user = get_user_model().objects.create_user("senior2", password="kit-demo")
    user.groups.add(Group.objects.get(name="senior support"))
    return user


def as_user(client, user):
    client.force_login(user)
    return client


def url(p, action):
    return f"/support/payments/{p.pk}/actions/{action}/"


# --- access -------------------------------------------------------------------------------------
def test_every_action_url_sends_anonymous_users_to_the_login_page_and_gives_dealers_403(
        client, terminal, dealer_user, support_user):
    p = make_payment(terminal)
    urls = [url(p, "resend"), url(p, "correct"), "/support/approvals/", "/support/queue/resend/"]
    for u in urls:
        r = client.get(u)
        assert r.status_code == 302 and r["Location"].startswith("/accounts/login/"), u
    req = ActionRequest.objects.create(action="cancel", payment=p, comment="x", requested_by=support_user,
                                       payment_status="failed", payment_round=1,
                                       expires_at=timezone.now() + timedelta(hours=1))
    decide = f"/support/approvals/{req.pk}/"
    r = client.post(decide, {"decision": "approve", "comment": "x"})
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
    as_user(client, dealer_user)
    for u in urls:
        assert client.get(u).status_code == 403, u
        assert client.post(u, {"comment": "x"}).status_code == 403, u
    assert client.post(decide, {"decision": "approve", "comment": "x"}).status_code == 403
    req.refresh_from_db()
    assert req.state == "pending"
    as_user(client, support_user)
    for u in urls:
        assert client.get(u).status_code == 200, u


def test_an_unknown_payment_id_or_action_is_404(client, terminal, support_user):
    p = make_payment(terminal)
    as_user(client, support_user)
    assert client.get(f"/support/payments/{p.pk + 1000}/actions/resend/").status_code == 404
    assert client.get(url(p, "explode")).status_code == 404
    assert client.post("/support/approvals/999999/", {"decision": "approve", "comment": "x"}).status_code == 404


def test_an_action_post_without_the_csrf_token_is_refused(terminal, support_user):
    from django.test import Client

    p = make_payment(terminal)
    c = Client(enforce_csrf_checks=True)
    c.force_login(support_user)
    assert c.post(url(p, "resend"), {"comment": "x"}).status_code == 403
    p.refresh_from_db()
    assert p.status == "failed"


@pytest.mark.parametrize("action, data, field", [
    ("resolve", {"comment": "x", "outcome": "maybe", "reference": "R"}, "outcome"),
    ("reverse", {"comment": "x", "reference": ""}, "reference"),
    ("correct", {"comment": "x", "account": "", "provider": ""}, "__all__"),
    ("correct", {"comment": "x", "provider": "no-such-provider"}, "provider"),
    ("cancel", {"comment": "x" * 1001}, "comment"),
])
def test_malformed_action_forms_are_form_errors_and_change_nothing(client, terminal, senior_user, action, data,
                                                                   field):
    p = make_payment(terminal, status="succeeded" if action == "reverse" else "failed", reason="")
    r = as_user(client, senior_user).post(url(p, action), data)
    assert r.status_code == 400
    assert field in r.context["form"].errors
    assert not ActionRequest.objects.exists() and not AuditEntry.objects.exists()


def test_the_menu_lists_approvals_for_support_and_not_for_dealers(client, support_user, dealer_user):
    assert 'href="/support/approvals/"' in as_user(client, support_user).get("/support/approvals/").content.decode()
    assert 'href="/support/approvals/"' not in as_user(client, dealer_user).get("/cabinet/").content.decode()


def test_the_queue_link_carries_its_filter_to_the_bulk_resend_page(support_user):
    request = RequestFactory().get("/support/queue/?reason=declined&provider=mts")
    request.user = support_user
    html = Template('{% include "support/_bulk_resend_link.html" %}').render(Context({"request": request}))
    assert 'href="/support/queue/resend/?reason=declined&amp;provider=mts"' in html


# --- alone --------------------------------------------------------------------------------------
def test_support_resends_a_failed_payment_alone_with_an_event_and_an_audit_row(client, terminal, support_user):
    p = make_payment(terminal, amount="300.00")
    start = Dealer.objects.get(name="Demo").balance
    r = as_user(client, support_user).post(url(p, "resend"), {"comment": "customer called"})
    assert r.status_code == 302
    p.refresh_from_db()
    assert (p.status, p.round) == ("accepted", 2)
    assert Dealer.objects.get(name="Demo").balance == start - Decimal("300.00")
    assert Event.objects.filter(payment=p, user=support_user, reason="resent").count() == 1
    entry = AuditEntry.objects.get(payment=p)
    assert (entry.action, entry.user, entry.comment, entry.approval) == ("resend", support_user, "customer called", "")


def test_an_action_without_a_comment_is_a_form_error_and_changes_nothing(client, terminal, support_user):
    p = make_payment(terminal)
    r = as_user(client, support_user).post(url(p, "resend"), {"comment": ""})
    assert r.status_code == 400
    assert "comment" in r.context["form"].errors
    p.refresh_from_db()
    assert p.status == "failed"
    assert not AuditEntry.objects.exists()


def test_an_action_in_a_state_that_does_not_allow_it_answers_400_with_the_reason(client, terminal, senior_user):
    p = make_payment(terminal, status="succeeded", reason="")
    r = as_user(client, senior_user).post(url(p, "cancel"), {"comment": "customer wants the cash"})
    assert r.status_code == 400
    assert r.context["form"].non_field_errors() == ["Статус платежа не позволяет это действие. (succeeded)"]
    p.refresh_from_db()
    assert p.status == "succeeded"
    assert not ActionRequest.objects.exists() and not AuditEntry.objects.exists()


def test_a_senior_cancels_a_small_failed_payment_alone_and_the_ledger_does_not_move(client, terminal, senior_user):
    p = make_payment(terminal, amount="300.00")
    start = Dealer.objects.get(name="Demo").balance
    r = as_user(client, senior_user).post(url(p, "cancel"), {"comment": "cash given back"})
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.status == "cancelled"
    assert Dealer.objects.get(name="Demo").balance == start
    assert not LedgerEntry.objects.filter(payment=p).exists()
    assert AuditEntry.objects.get(payment=p).action == "cancel"


# --- four eyes ----------------------------------------------------------------------------------
def test_support_may_not_cancel_alone_a_senior_approves(client, terminal, support_user, senior_user):
    p = make_payment(terminal, amount="300.00")
    r = as_user(client, support_user).post(url(p, "cancel"), {"comment": "cash given back"})
    assert r.status_code == 302 and r["Location"] == "/support/approvals/"
    req = ActionRequest.objects.get(payment=p)
    assert (req.action, req.state, req.amount, req.payment_status) == ("cancel", "pending", Decimal("300.00"),
                                                                       "failed")
    p.refresh_from_db()
    assert p.status == "failed"
    r = as_user(client, senior_user).post(f"/support/approvals/{req.pk}/", {"decision": "approve", "comment": "ok"})
    assert r.status_code == 302
    p.refresh_from_db()
    req.refresh_from_db()
    assert (p.status, req.state, req.decided_by) == ("cancelled", "done", senior_user)
    assert list(AuditEntry.objects.filter(payment=p).order_by("pk").values_list("action", "user__username")) == [
        ("request", "support"), ("cancel", "senior"), ("approve", "senior")]


def test_a_large_cancel_waits_for_a_second_senior(client, terminal, senior_user, senior2):
    p = make_payment(terminal, amount="6000.00")
    as_user(client, senior_user).post(url(p, "cancel"), {"comment": "cash given back"})
    req = ActionRequest.objects.get(payment=p)
    assert (req.state, req.amount) == ("pending", Decimal("6000.00"))
    p.refresh_from_db()
    assert p.status == "failed"
    as_user(client, senior2).post(f"/support/approvals/{req.pk}/", {"decision": "approve", "comment": "seen"})
    p.refresh_from_db()
    assert p.status == "cancelled"


def test_a_cancel_of_exactly_the_limit_runs_for_a_senior_alone(client, terminal, senior_user, settings):
    settings.KIT_FOUR_EYES_AMOUNT = Decimal("5000.00")
    p = make_payment(terminal, amount="5000.00")
    as_user(client, senior_user).post(url(p, "cancel"), {"comment": "cash given back"})
    p.refresh_from_db()
    assert p.status == "cancelled"
    assert not ActionRequest.objects.exists()


def test_a_requester_cannot_approve_their_own_request(client, terminal, senior_user):
    p = make_payment(terminal, amount="300.00")
    as_user(client, senior_user).post(url(p, "correct"), {"comment": "misdialled", "account": "9161234000",
                                                         "confirm": "1"})
    req = ActionRequest.objects.get(payment=p)
    r = client.post(f"/support/approvals/{req.pk}/", {"decision": "approve", "comment": "me"}, follow=True)
    assert f"Запрос №{req.pk}: Нельзя согласовать собственный запрос." in r.content.decode()
    req.refresh_from_db()
    p.refresh_from_db()
    assert (req.state, p.status, p.account) == ("pending", "failed", "9161234567")


def test_support_cannot_approve(terminal, support_user, senior_user):
    from payments.errors import ActionRefused
    from support.approvals import action_approve, action_request

    q = make_payment(terminal, amount="7000.00")
    asked = action_request(user=senior_user, action="cancel", payment_id=q.pk, comment="x")
    with pytest.raises(ActionRefused) as refused:
        action_approve(request_id=asked.request.pk, user=support_user, comment="ok")
    assert refused.value.code == "not_senior"
    asked.request.refresh_from_db()
    assert asked.request.state == "pending"


def test_an_expired_request_cannot_be_approved(client, terminal, support_user, senior_user, settings):
    p = make_payment(terminal, amount="300.00")
    as_user(client, support_user).post(url(p, "cancel"), {"comment": "cash given back"})
    req = ActionRequest.objects.get(payment=p)
    ActionRequest.objects.filter(pk=req.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    r = as_user(client, senior_user).post(f"/support/approvals/{req.pk}/", {"decision": "approve", "comment": "ok"},
                                          follow=True)
    req.refresh_from_db()
    p.refresh_from_db()
    assert (req.state, p.status) == ("expired", "failed")
    assert any(m.level_tag == "error" for m in r.context["messages"])


def test_a_request_whose_payment_moved_meanwhile_is_refused_with_the_reason(terminal, support_user, senior_user):
    from payments.errors import ActionRefused
    from payments.services.resend import payment_resend
    from support.approvals import action_approve, action_request

    p = make_payment(terminal, amount="300.00")
    asked = action_request(user=support_user, action="cancel", payment_id=p.pk, comment="cash back")
    payment_resend(payment_id=p.pk, user=support_user, comment="the customer wants it sent after all")
    with pytest.raises(ActionRefused) as refused:
        action_approve(request_id=asked.request.pk, user=senior_user, comment="ok")
    assert refused.value.code == "payment_moved"
    asked.request.refresh_from_db()
    p.refresh_from_db()
    assert (asked.request.state, asked.request.result["code"], p.status) == ("refused", "payment_moved", "accepted")


def test_a_double_request_makes_one_pending_request(client, terminal, support_user):
    p = make_payment(terminal)
    as_user(client, support_user)
    for _ in range(2):
        client.post(url(p, "cancel"), {"comment": "cash given back"})
    assert ActionRequest.objects.filter(payment=p, state="pending").count() == 1


def test_a_rejected_request_changes_nothing(client, terminal, support_user, senior_user):
    p = make_payment(terminal)
    as_user(client, support_user).post(url(p, "cancel"), {"comment": "cash given back"})
    req = ActionRequest.objects.get(payment=p)
    as_user(client, senior_user).post(f"/support/approvals/{req.pk}/", {"decision": "reject", "comment": "no"})
    req.refresh_from_db()
    p.refresh_from_db()
    assert (req.state, p.status) == ("rejected", "failed")
    assert AuditEntry.objects.filter(action="reject", user=senior_user).count() == 1


def test_an_approval_without_a_comment_changes_nothing(client, terminal, support_user, senior_user):
    p = make_payment(terminal)
    as_user(client, support_user).post(url(p, "cancel"), {"comment": "cash given back"})
    req = ActionRequest.objects.get(payment=p)
    as_user(client, senior_user).post(f"/support/approvals/{req.pk}/", {"decision": "approve", "comment": ""})
    req.refresh_from_db()
    assert req.state == "pending"


# --- correct ------------------------------------------------------------------------------------
def test_a_correction_shows_the_difference_before_it_is_requested(client, terminal, support_user):
    p = make_payment(terminal, amount="1000.00", reason="account_format", account="7712345678")
    r = as_user(client, support_user).post(url(p, "correct"), {"comment": "electricity", "account": "",
                                                               "provider": "mosenergosbyt"})
    assert r.status_code == 200
    q = r.context["preview"]
    assert (q.fee, q.credited, q.reward) == (Decimal("10.00"), Decimal("990.00"), Decimal("4.95"))
    assert 'id="preview"' in r.content.decode()
    assert not ActionRequest.objects.exists()
    r = client.post(url(p, "correct"), {"comment": "electricity", "provider": "mosenergosbyt", "confirm": "1"})
    assert r.status_code == 302
    req = ActionRequest.objects.get(payment=p)
    assert (req.action, req.params) == ("correct", {"provider": "mosenergosbyt"})


def test_a_correction_to_an_account_the_provider_refuses_is_a_clear_message(client, terminal, support_user):
    p = make_payment(terminal)
    r = as_user(client, support_user).post(url(p, "correct"), {"comment": "x", "account": "12ab", "confirm": "1"})
    assert r.status_code == 400
    assert r.context["form"].non_field_errors()
    assert not ActionRequest.objects.exists()


# --- unknown outcome ----------------------------------------------------------------------------
def render_actions(user, payment) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return Template('{% include "support/_payment_actions.html" %}').render(
        Context({"payment": payment, "request": request}))


def test_an_unknown_outcome_offers_poll_and_resolve_but_neither_cancel_nor_resend(client, terminal, senior_user):
    p = unknown_payment(terminal)
    html = render_actions(senior_user, p)
    assert 'id="action-poll"' in html and 'id="action-resolve"' in html
    assert 'id="action-cancel"' not in html and 'id="action-resend"' not in html
    r = as_user(client, senior_user).post(url(p, "cancel"), {"comment": "x"})
    assert r.status_code == 400
    p.refresh_from_db()
    assert p.status == "processing"


def test_a_failed_payment_offers_resend_correct_and_cancel(terminal, support_user):
    html = render_actions(support_user, make_payment(terminal))
    assert [a in html for a in ('id="action-resend"', 'id="action-correct"', 'id="action-cancel"')] == [True] * 3


def test_a_resolution_approved_closes_the_attempt_and_stops_polling(client, terminal, support_user, senior_user):
    p = unknown_payment(terminal)
    as_user(client, support_user).post(url(p, "resolve"), {"comment": "phoned CyberPlat", "outcome": "succeeded",
                                                           "reference": "CP-123"})
    req = ActionRequest.objects.get(payment=p)
    as_user(client, senior_user).post(f"/support/approvals/{req.pk}/", {"decision": "approve", "comment": "ok"})
    p.refresh_from_db()
    a = Attempt.objects.get(payment=p)
    assert (p.status, p.next_try_at) == ("succeeded", None)
    assert (a.state, a.outcome, a.result_code) == ("closed", "ok", "manual:CP-123")


def test_a_resolution_without_the_reference_is_a_form_error(client, terminal, support_user):
    p = unknown_payment(terminal)
    r = as_user(client, support_user).post(url(p, "resolve"), {"comment": "x", "outcome": "succeeded"})
    assert r.status_code == 400
    assert "reference" in r.context["form"].errors


# --- bulk resend --------------------------------------------------------------------------------
def test_the_bulk_resend_page_shows_the_count_and_the_sum_of_the_selection(client, terminal, senior_user):
    make_payment(terminal, amount="100.00")
    make_payment(terminal, amount="250.50")
    make_payment(terminal, amount="999.00", reason="account_format", account="12")
    make_payment(terminal, amount="70.00", status="held", reason="insufficient_balance")
    r = as_user(client, senior_user).get("/support/queue/resend/?reason=declined&provider=mts")
    assert (r.context["count"], r.context["total"]) == (2, Decimal("350.50"))
    r = client.get("/support/queue/resend/")
    assert (r.context["count"], r.context["total"]) == (3, Decimal("1349.50"))


def test_a_bulk_resend_resends_what_passes_and_lists_what_was_refused_and_why(client, terminal, senior_user):
    good = make_payment(terminal, amount="100.00")
    bad = make_payment(terminal, amount="200.00", reason="account_format", account="12")
    r = as_user(client, senior_user).get("/support/queue/resend/")
    ids = r.context["form"].initial["payments"]
    r = client.post("/support/queue/resend/", {"comment": "gateway fixed", "payments": ids})
    assert r.status_code == 200
    assert [p.pk for p in r.context["resent"]] == [good.pk]
    assert [(p.pk, code) for p, code, _ in r.context["refused"]] == [(bad.pk, "account_format")]
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, bad.status) == ("accepted", "failed")
    assert AuditEntry.objects.filter(action="bulk_resend", user=senior_user).count() == 1


def test_a_bulk_resend_by_support_or_above_the_limit_waits_for_a_senior(client, terminal, support_user, senior_user,
                                                                        senior2):
    a = make_payment(terminal, amount="3000.00")
    b = make_payment(terminal, amount="2500.00")
    for user in (support_user, senior_user):
        as_user(client, user)
        ids = client.get("/support/queue/resend/").context["form"].initial["payments"]
        r = client.post("/support/queue/resend/", {"comment": "gateway fixed", "payments": ids})
        assert r.status_code == 302
    reqs = list(ActionRequest.objects.filter(action="bulk_resend").order_by("pk"))
    assert [(r.requested_by.username, r.amount) for r in reqs] == [("support", Decimal("5500.00")),
                                                                   ("senior", Decimal("5500.00"))]
    as_user(client, senior2).post(f"/support/approvals/{reqs[1].pk}/", {"decision": "approve", "comment": "ok"})
    reqs[1].refresh_from_db()
    assert reqs[1].result == {"resent": [a.pk, b.pk], "refused": []}
    a.refresh_from_db()
    assert a.status == "accepted"


@pytest.mark.parametrize("query", ["age=abc", "dealer=x", "reason=nonsense", "age=99999999"])
def test_a_malformed_bulk_selection_is_a_form_error(client, support_user, world, query):
    r = as_user(client, support_user).get(f"/support/queue/resend/?{query}")
    assert r.status_code == 400
    assert 'id="selection-errors"' in r.content.decode()


def test_a_tampered_bulk_selection_is_a_form_error(client, support_user, world):
    r = as_user(client, support_user).post("/support/queue/resend/", {"comment": "x", "payments": "1;DROP"})
    assert r.status_code == 400


# --- the approvals page -------------------------------------------------------------------------
def test_the_approvals_page_lists_what_each_pending_request_would_do(client, terminal, support_user, senior_user):
    p = make_payment(terminal, amount="300.00")
    as_user(client, support_user).post(url(p, "correct"), {"comment": "misdialled", "account": "9161234000",
                                                          "confirm": "1"})
    html = as_user(client, senior_user).get("/support/approvals/").content.decode()
    req = ActionRequest.objects.get(payment=p)
    assert f'id="request-{req.pk}"' in html
    assert "9161234000" in html and p.cheque_number in html
    assert f'id="approve-{req.pk}"' in html
    html = as_user(client, support_user).get("/support/approvals/").content.decode()
    assert f'id="approve-{req.pk}"' not in html


def test_the_approvals_page_shows_a_provider_corrections_new_amounts(client, terminal, support_user, senior_user):
    p = make_payment(terminal, amount="1000.00", reason="account_format", account="7712345678")
    as_user(client, support_user).post(url(p, "correct"), {"comment": "electricity", "provider": "mosenergosbyt",
                                                          "confirm": "1"})
    html = as_user(client, senior_user).get("/support/approvals/").content.decode()
    assert "1\xa0000,00\xa0₽ → 990,00\xa0₽" in html
