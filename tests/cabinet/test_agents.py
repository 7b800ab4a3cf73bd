"""Cabinet pages of the agent network: sub-agents, rates, users, transfers, thresholds, statements and
top-up requests; bad input as form messages with nothing written; viewers change nothing."""

import io
import uuid
from datetime import UTC
from decimal import Decimal as D

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(demo):
    from dealers.services import agent_create

    return agent_create(parent=demo, name="Ларёк", inn="7700000055")


@pytest.fixture
def viewer_client(client, demo):
    from dealers.services import dealer_user_create

    dealer_user_create(dealer=demo, username="watcher", email="", password="kit-demo-9x!", role="viewer")
    client.login(username="watcher", password="kit-demo-9x!")
    return client


def test_a_dealer_creates_a_sub_agent_with_zero_credit_and_sees_the_tree(dealer_client, demo):
    from dealers.models import Dealer

    resp = dealer_client.post(reverse("cabinet:agents"), {
        "name": "Новый агент", "inn": "7700000066", "contact": "a@example.org", "support_phone": "8 800 1",
        "time_zone": "Asia/Yekaterinburg", "credit_limit": "100000"})
    agent = Dealer.objects.get(name="Новый агент")
    assert resp.status_code == 302 and resp["Location"] == reverse("cabinet:agent", args=[agent.pk])
    assert (agent.parent_id, agent.credit_limit, agent.time_zone, agent.path) == (
        demo.pk, D("0.00"), "Asia/Yekaterinburg", f"{demo.path}{agent.pk}/")
    tree = dealer_client.get(reverse("cabinet:agents")).context["tree"]
    assert [(r["dealer"].name, r["depth"]) for r in tree] == [("Demo", 0), ("Demo Sub", 1), ("Новый агент", 1)]


def test_bad_agent_details_are_form_errors(dealer_client):
    from dealers.models import Dealer

    resp = dealer_client.post(reverse("cabinet:agents"), {"name": "", "inn": "12345", "time_zone": "Mars/Olympus"})
    assert resp.status_code == 400
    assert set(resp.context["form"].errors) == {"name", "inn", "time_zone"}
    assert Dealer.objects.count() == 2


def test_editing_a_sub_agent_and_deactivating_it_blocks_its_terminals_until_it_is_active_again(
        dealer_client, demo_sub):
    from terminals.models import Terminal

    url = reverse("cabinet:agent_edit", args=[demo_sub.pk])
    resp = dealer_client.post(url, {"name": "Demo Sub", "inn": "7700000002", "contact": "new@example.org",
                                    "support_phone": "8 800 000-00-22", "time_zone": "Europe/Samara"})
    assert resp.status_code == 302
    demo_sub.refresh_from_db()
    assert (demo_sub.contact, demo_sub.support_phone, demo_sub.time_zone) == (
        "new@example.org", "8 800 000-00-22", "Europe/Samara")
    Terminal.objects.create(number="2002", dealer=demo_sub, status="blocked")  # blocked by hand before
    dealer_client.post(reverse("cabinet:agent_deactivate", args=[demo_sub.pk]))
    demo_sub.refresh_from_db()
    assert not demo_sub.is_active
    assert dict(Terminal.objects.filter(dealer=demo_sub).values_list("number", "status")) == {
        "2001": "blocked", "2002": "blocked"}
    t2001 = Terminal.objects.get(number="2001")
    dealer_client.post(reverse("cabinet:terminal_unblock", args=[t2001.pk]))  # refused while deactivated
    t2001.refresh_from_db()
    assert t2001.status == "blocked"
    dealer_client.post(reverse("cabinet:agent_activate", args=[demo_sub.pk]))
    assert dict(Terminal.objects.filter(dealer=demo_sub).values_list("number", "status")) == {
        "2001": "active", "2002": "blocked"}  # the one blocked by hand stays blocked


def test_a_payment_at_a_deactivated_agents_terminal_is_held(dealer_client, demo_sub):
    from datetime import datetime

    from payments.services import PaymentRequest, payment_accept
    from terminals.models import Terminal

    dealer_client.post(reverse("cabinet:agent_deactivate", args=[demo_sub.pk]))
    terminal = Terminal.objects.get(number="2001")
    p, _created = payment_accept(terminal=terminal, request=PaymentRequest(
        txn="1", provider_code="mts", account="9161234567", amount=D("100.00"),
        paid_at=datetime.now(UTC)))
    assert (p.status, p.reason) == ("held", "terminal_blocked")


def test_setting_a_rate_and_a_rate_above_the_parents_is_refused_with_a_message(dealer_client, agent):
    from providers.models import Provider, RewardRule

    mts = Provider.objects.get(code="mts")
    url = reverse("cabinet:agent_rate", args=[agent.pk])
    resp = dealer_client.post(url, {"provider": mts.pk, "percent": "1.600", "fixed": "0"})
    assert resp.status_code == 400
    assert "1.5% + 0.00" in " ".join(resp.context["rate_form"].non_field_errors())
    assert not RewardRule.objects.filter(dealer=agent).exists()
    for bad in ({"percent": "-1"}, {"percent": "101"}, {"percent": "1.0001"}, {"percent": "1", "fixed": "0.001"}):
        assert dealer_client.post(url, {"provider": mts.pk, "fixed": "0", **bad}).status_code == 400
    assert not RewardRule.objects.filter(dealer=agent).exists()
    assert dealer_client.post(url, {"provider": mts.pk, "percent": "1.250", "fixed": ""}).status_code == 302
    rule = RewardRule.objects.get(dealer=agent)
    assert (rule.percent, rule.fixed, rule.valid_to) == (D("1.250"), D("0.00"), None)
    rates = {r["provider"].code: r for r in dealer_client.get(reverse("cabinet:agent", args=[agent.pk]))
             .context["rates"]}
    assert rates["mts"]["effective"].percent == D("1.250") and rates["beeline"]["effective"] is None


def test_creating_and_deactivating_a_sub_agents_user(dealer_client, agent):
    from django.test import Client

    from dealers.models import DealerUser

    url = reverse("cabinet:agent_user_create", args=[agent.pk])
    resp = dealer_client.post(url, {"username": "larek", "email": "larek@example.org",
                                    "password": "Kiosk-pass-2026", "role": "admin"})
    assert resp.status_code == 302
    link = DealerUser.objects.select_related("user").get(user__username="larek")
    assert (link.dealer_id, link.role, link.user.email) == (agent.pk, "admin", "larek@example.org")
    assert dealer_client.post(url, {"username": "larek", "password": "Kiosk-pass-2026", "role": "admin"}
                              ).status_code == 400  # taken
    assert dealer_client.post(url, {"username": "x2", "password": "123", "role": "admin"}).status_code == 400
    assert DealerUser.objects.filter(dealer=agent).count() == 1
    client = Client()
    client.login(username="larek", password="Kiosk-pass-2026")
    assert client.get(reverse("cabinet:overview")).status_code == 200
    dealer_client.post(reverse("cabinet:agent_user_deactivate", args=[link.pk]))
    link.user.refresh_from_db()
    assert not link.user.is_active
    assert client.get(reverse("cabinet:overview")).status_code == 302  # logged out: to the login page


def test_a_transfer_from_the_agent_page_and_a_double_submit_moves_money_once(dealer_client, demo, agent):
    from dealers.models import Transfer

    url = reverse("cabinet:agent_transfer", args=[agent.pk])
    form = {"direction": "to", "amount": "1000.00", "comment": "на размен", "key": str(uuid.uuid4())}
    assert dealer_client.post(url, form).status_code == 302
    assert dealer_client.post(url, form).status_code == 302
    agent.refresh_from_db()
    assert agent.balance == D("1000.00") and Transfer.objects.count() == 1
    page = dealer_client.get(reverse("cabinet:agent", args=[agent.pk]))
    assert [t.amount for t in page.context["transfers"]] == [D("1000.00")]


@pytest.mark.parametrize("amount", ["0", "-10.00", "10.001", "abc", ""])
def test_bad_transfer_sums_are_form_errors_and_write_nothing(dealer_client, agent, amount):
    from dealers.models import LedgerEntry, Transfer

    entries = LedgerEntry.objects.count()
    resp = dealer_client.post(reverse("cabinet:agent_transfer", args=[agent.pk]),
                              {"direction": "to", "amount": amount, "key": str(uuid.uuid4())})
    assert resp.status_code == 400 and resp.context["transfer_form"].errors["amount"]
    assert Transfer.objects.count() == 0 and LedgerEntry.objects.count() == entries


def test_a_transfer_beyond_the_balance_is_a_form_message(dealer_client, agent):
    resp = dealer_client.post(reverse("cabinet:agent_transfer", args=[agent.pk]),
                              {"direction": "from", "amount": "0.01", "key": str(uuid.uuid4())})
    assert resp.status_code == 400
    assert "credit is never transferred" in " ".join(resp.context["transfer_form"].errors["amount"]) or \
        "кредит" in " ".join(resp.context["transfer_form"].errors["amount"])


def test_a_transfer_to_a_dealer_outside_the_subtree_is_404(dealer_client, foreign, demo):
    from dealers.models import Transfer

    for pk in (foreign.pk, demo.pk):
        resp = dealer_client.post(reverse("cabinet:agent_transfer", args=[pk]),
                                  {"direction": "to", "amount": "1.00", "key": str(uuid.uuid4())})
        assert resp.status_code == 404
    assert Transfer.objects.count() == 0


def test_a_viewer_sees_the_pages_but_every_change_is_refused_and_writes_nothing(viewer_client, demo, agent):
    from dealers.models import Dealer, LedgerEntry, TopUpRequest, Transfer
    from providers.models import Provider, RewardRule

    for name, args in [("agents", []), ("agent", [agent.pk]), ("statements", []), ("topups", [])]:
        assert viewer_client.get(reverse(f"cabinet:{name}", args=args)).status_code == 200
    page = viewer_client.get(reverse("cabinet:agent", args=[agent.pk])).content.decode()
    assert 'id="transfer"' not in page and 'id="rate"' not in page
    entries = LedgerEntry.objects.count()
    posts = [
        ("agents", [], {"name": "X", "time_zone": "Europe/Moscow"}),
        ("agent_transfer", [agent.pk], {"direction": "to", "amount": "1.00", "key": str(uuid.uuid4())}),
        ("agent_rate", [agent.pk], {"provider": Provider.objects.get(code="mts").pk, "percent": "1"}),
        ("agent_deactivate", [agent.pk], {}),
        ("agent_user_create", [agent.pk], {"username": "v2", "password": "Kiosk-pass-2026", "role": "admin"}),
        ("dealer_threshold", [demo.pk], {"threshold": "10"}),
        ("topups", [], {"amount": "10.00", "paid_on": "2026-11-01", "order_number": "1", "key": str(uuid.uuid4())}),
        ("terminals", [], {"number": "5555", "dealer": demo.pk}),
    ]
    for name, args, data in posts:
        resp = viewer_client.post(reverse(f"cabinet:{name}", args=args), data)
        assert resp.status_code == 403 and 'id="read-only"' in resp.content.decode(), name
    assert Dealer.objects.count() == 3 and Transfer.objects.count() == 0 and TopUpRequest.objects.count() == 0
    assert not RewardRule.objects.filter(dealer=agent).exists() and LedgerEntry.objects.count() == entries
    # the own account page stays usable
    assert viewer_client.post(reverse("cabinet:account"), {"form": "settings", "time_zone": "Europe/Moscow",
                                                           "language": "en"}).status_code == 302


def test_the_statement_page_pdf_and_xlsx(dealer_client, demo_sub):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    resp = dealer_client.get(reverse("cabinet:statements"), {"dealer": demo_sub.pk, "month": "2026-12"})
    st = resp.context["st"]
    assert st.dealer == demo_sub and st.closing == st.ledger_closing == D("100000.00")
    pdf = dealer_client.get(reverse("cabinet:statements"), {"dealer": demo_sub.pk, "month": "2026-12",
                                                            "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert "Demo Sub" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    xlsx = dealer_client.get(reverse("cabinet:statements"), {"dealer": demo_sub.pk, "month": "2026-12",
                                                             "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert D(str(rows[-1][1])) == D("100000.00")


def test_bad_statement_parameters_are_form_errors(client, foreign, demo):
    client.login(username="subdealer", password="kit-demo")
    for query in ({"month": "2026-13"}, {"month": "November"}, {"dealer": foreign.pk}, {"dealer": demo.pk}):
        resp = client.get(reverse("cabinet:statements"), query)
        assert resp.status_code == 400, query


def test_a_top_up_request_from_the_cabinet_with_its_scan_and_its_state(dealer_client, demo, admin_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dealers.models import TopUpRequest
    from dealers.services import topup_request_reject

    key = str(uuid.uuid4())
    form = {"amount": "25000.00", "paid_on": "2026-11-30", "order_number": "318", "key": key}
    scan = SimpleUploadedFile("order.pdf", b"%PDF-1.4 scan", content_type="application/pdf")
    assert dealer_client.post(reverse("cabinet:topups"), {**form, "scan": scan}).status_code == 302
    assert dealer_client.post(reverse("cabinet:topups"), form).status_code == 302  # double submit: one request
    req = TopUpRequest.objects.get()
    assert (req.dealer_id, req.amount, req.order_number, req.state) == (demo.pk, D("25000.00"), "318", "pending")
    download = dealer_client.get(reverse("cabinet:topup_scan", args=[req.pk]))
    assert b"".join(download.streaming_content) == b"%PDF-1.4 scan"
    topup_request_reject(request_id=req.pk, by=admin_user, reason="нет такого платежа")
    page = dealer_client.get(reverse("cabinet:topups")).content.decode()
    assert 'data-state="rejected"' in page and "нет такого платежа" in page
    demo.refresh_from_db()
    assert demo.balance == D("1000000.00")


def test_bad_top_up_requests_are_form_errors(dealer_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dealers.models import TopUpRequest

    good = {"amount": "10.00", "paid_on": "2026-11-30", "order_number": "1"}
    for bad in ({"amount": "0"}, {"amount": "1.001"}, {"paid_on": "2099-01-01"}, {"order_number": ""},
                {"scan": SimpleUploadedFile("x.exe", b"MZ\x90\x00", content_type="application/pdf")}):
        resp = dealer_client.post(reverse("cabinet:topups"), {**good, "key": str(uuid.uuid4()), **bad})
        assert resp.status_code == 400, bad
    assert TopUpRequest.objects.count() == 0


def test_the_low_balance_banner_and_the_threshold_form(dealer_client, demo):
    url = reverse("cabinet:dealer_threshold", args=[demo.pk])
    assert dealer_client.post(url, {"threshold": "-5"}).status_code == 302
    assert 'id="low-balance"' not in dealer_client.get(reverse("cabinet:overview")).content.decode()
    dealer_client.post(url, {"threshold": "2000000.00"})
    assert 'id="low-balance"' in dealer_client.get(reverse("cabinet:overview")).content.decode()


def test_the_banner_and_the_form_follow_the_default_threshold_until_the_dealer_sets_one(dealer_client, demo,
                                                                                         settings):
    """The banner shows what opens `balance_low`: the dealer's own threshold, else KIT_ALERT_BALANCE_THRESHOLD."""
    settings.KIT_ALERT_BALANCE_THRESHOLD = "2000000.00"  # Demo has 1,000,000.00
    page = dealer_client.get(reverse("cabinet:agents")).content.decode()
    assert 'id="low-balance"' in page and 'value="2000000.00"' in page
    dealer_client.post(reverse("cabinet:dealer_threshold", args=[demo.pk]), {"threshold": "0"})  # off
    page = dealer_client.get(reverse("cabinet:agents")).content.decode()
    assert 'id="low-balance"' not in page and 'name="threshold" value="0.00"' in page
