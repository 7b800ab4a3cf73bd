"""Blacklists: what an entry matches, its history, and a blacklisted payment never reaching a gateway."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from payments.models import Attempt, Event
from payments.services import PaymentRequest, payment_accept, payment_transition
from payments.services.submit import payment_submit
from providers import selectors as catalogue
from providers.models import BlacklistChange, BlacklistedAccount, Provider
from providers.services import blacklist_remove, blacklist_save

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
def mts(world):
    return Provider.objects.get(code="mts")


@pytest.fixture
def gateway_calls(_inprocess_gateways):
    calls = []
    _inprocess_gateways.event_hooks["request"].append(lambda request: calls.append(str(request.url)))
    return calls


def block(actor="admin", **fields):
    return blacklist_save(entry=BlacklistedAccount(**fields), actor=actor)


def accept(terminal, txn, account, provider="mts"):
    req = PaymentRequest(txn=txn, provider_code=provider, account=account, amount=Decimal("100.00"),
                         paid_at=datetime(2026, 11, 20, 12, 0, tzinfo=MSK), fields={})
    payment, _ = payment_accept(terminal=terminal, request=req)
    return payment


# -- what an entry matches --------------------------------------------------------------------------
def test_an_exact_entry_matches_only_that_account(mts):
    block(account="9161112233")
    assert catalogue.account_blacklisted(mts, "9161112233") is True
    assert catalogue.account_blacklisted(mts, "9161112234") is False


def test_a_phone_entry_matches_the_number_in_any_format(mts):
    block(kind="phone", account="+7 (916) 111-22-33")
    assert BlacklistedAccount.objects.get().account == "9161112233"
    assert [catalogue.account_blacklisted(mts, a) for a in ("9161112233", "89161112233", "+79161112233")] == [
        True, True, True]


def test_a_prefix_and_a_pattern_match_card_like_numbers(mts):
    block(kind="prefix", account="220070")
    block(kind="pattern", account=r"4[0-9]{5}0000[0-9]{6}")
    assert catalogue.account_blacklisted(mts, "2200701234567890") is True
    assert catalogue.account_blacklisted(mts, "4123450000123456") is True
    assert catalogue.account_blacklisted(mts, "4123451111123456") is False


def test_an_entry_for_one_provider_leaves_the_others_alone(mts):
    block(provider=Provider.objects.get(code="beeline"), account="9161112233")
    assert catalogue.account_blacklisted(Provider.objects.get(code="beeline"), "9161112233") is True
    assert catalogue.account_blacklisted(mts, "9161112233") is False


def test_an_expired_entry_no_longer_blocks(mts):
    block(account="9161112233", expires_at=timezone.now() - timedelta(minutes=1))
    block(account="9161112244", expires_at=timezone.now() + timedelta(days=1))
    assert catalogue.account_blacklisted(mts, "9161112233") is False
    assert catalogue.account_blacklisted(mts, "9161112244") is True


@pytest.mark.parametrize("kind, account, field", [("pattern", "4[0-9", "account"), ("phone", "4951234567", "account")])
def test_a_bad_pattern_or_phone_is_refused_with_a_message(world, kind, account, field):
    with pytest.raises(ValidationError) as err:
        block(kind=kind, account=account)
    assert field in err.value.message_dict
    assert BlacklistedAccount.objects.count() == 0


def test_every_change_is_kept_in_the_history_also_after_removal(mts):
    entry = block(account="9161112233", reason="fraud", actor="admin")
    entry.reason = "fraud, confirmed"
    blacklist_save(entry=entry, actor="senior")
    blacklist_remove(entry=entry, actor="admin")
    history = list(BlacklistChange.objects.order_by("pk").values_list("action", "actor", "data__reason"))
    assert history == [("added", "admin", "fraud"), ("changed", "senior", "fraud, confirmed"),
                       ("removed", "admin", "fraud, confirmed")]
    assert BlacklistedAccount.objects.count() == 0
    assert catalogue.account_blacklisted(mts, "9161112233") is False


def test_the_admin_adds_an_entry_with_its_author_and_history(client, admin_user, mts):
    client.force_login(admin_user)
    response = client.post("/admin/providers/blacklistedaccount/add/", {
        "provider": mts.pk, "kind": "exact", "account": "9161112233", "reason": "fraud", "expires_at_0": "",
        "expires_at_1": "", "changes-TOTAL_FORMS": "0", "changes-INITIAL_FORMS": "0"})
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = BlacklistedAccount.objects.get()
    assert (entry.created_by, entry.reason) == ("admin", "fraud")
    assert list(BlacklistChange.objects.values_list("action", "actor")) == [("added", "admin")]


# -- a blacklisted payment never reaches a gateway ----------------------------------------------------
def test_a_payment_to_a_blacklisted_account_fails_and_creates_no_attempt(terminal, mts, gateway_calls):
    block(account="9161112233", reason="fraud")
    p = accept(terminal, "1", "9161112233")
    assert (p.status, p.reason) == ("failed", "blacklisted_account")
    assert payment_submit(payment_id=p.pk) is None
    assert Attempt.objects.filter(payment=p).count() == 0
    assert gateway_calls == []


def test_a_resend_of_a_blacklisted_payment_fails_again_without_an_attempt(terminal, mts, gateway_calls):
    block(account="9161112233", reason="fraud")
    p = accept(terminal, "1", "9161112233")
    payment_transition(payment=p, to="accepted", actor="user:senior", reason="resend")
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    assert (p.status, p.reason) == ("failed", "blacklisted_account")
    assert Attempt.objects.filter(payment=p).count() == 0
    assert gateway_calls == []
    assert list(Event.objects.filter(payment=p).order_by("pk").values_list("to_status", "reason")) == [
        ("failed", "blacklisted_account"), ("accepted", "resend"), ("failed", "blacklisted_account")]


def test_an_account_blacklisted_after_acceptance_never_reaches_a_gateway(terminal, mts, gateway_calls):
    p = accept(terminal, "1", "9161112233")
    assert p.status == "accepted"
    block(kind="prefix", account="916111", reason="fraud ring")
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    assert (p.status, p.reason) == ("failed", "blacklisted_account")
    assert Attempt.objects.filter(payment=p).count() == 0
    assert gateway_calls == []


def test_an_account_not_blacklisted_is_sent(terminal, mts, gateway_calls):
    block(account="9161112299")
    p = accept(terminal, "1", "9161112233")
    payment_submit(payment_id=p.pk)
    assert Attempt.objects.filter(payment=p).count() == 1
    assert len(gateway_calls) >= 1
