"""Isolation, generated from the cabinet's URL patterns: every URL with an id answers 404 for an id
outside the viewer's subtree (a foreign dealer's, and for a sub-agent its parent's), so a new URL
cannot be forgotten: one whose id kind is not listed in OWNERS fails here first."""

import pytest
from django.urls import URLPattern, URLResolver, reverse

from dealers import cabinet_urls


def _patterns(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield p


def _with_ids():
    return sorted(p.name for p in _patterns(cabinet_urls.urlpatterns) if p.pattern.converters)


# URL name -> which kind of object its id names. A new URL with an id must be added here.
OWNERS = {
    "terminal": "terminal", "terminal_code": "terminal", "terminal_block": "terminal",
    "terminal_unblock": "terminal", "terminal_providers": "terminal",
    "payment": "payment",
    "export": "export", "export_download": "export",
    "encashment": "encashment", "encashment_count": "encashment",
    "theme": "theme", "ad": "ad",
    # sub-agents, their users, thresholds, top-up requests (issue 17)
    "agent": "dealer", "agent_edit": "dealer", "agent_deactivate": "dealer", "agent_activate": "dealer",
    "agent_rate": "dealer", "agent_user_create": "dealer", "agent_transfer": "dealer", "dealer_threshold": "dealer",
    "agent_user_deactivate": "dealeruser", "agent_user_activate": "dealeruser", "topup_scan": "topup",
    "claim": "claim",
    "terminal_log": "log",
}


def _object(kind, dealer, user, make_payment):
    from dealers.models import ExportJob
    from terminals.models import Terminal

    terminal = Terminal.objects.filter(dealer=dealer).order_by("pk").first()
    if kind == "terminal":
        return terminal
    if kind == "payment":
        return make_payment(terminal, "10.00")
    if kind == "export":
        return ExportJob.objects.create(user=user, dealer=dealer, kind="payments", state="done")
    if kind == "theme":
        from screens.models import Theme

        return Theme.objects.create(dealer=dealer, name="owned")
    if kind == "ad":
        from datetime import date, time

        from screens.models import Ad

        return Ad.objects.create(dealer=dealer, name="owned", text="x", date_from=date(2026, 1, 1),
                                 date_to=date(2026, 12, 31), time_from=time(8), time_to=time(20))
    if kind in ("dealer", "dealeruser", "topup"):
        return _dealer_object(kind, dealer, user)
    if kind == "claim":
        return _claim(make_payment(terminal, "10.00"))
    if kind == "encashment":
        return _encashment(terminal)
    if kind == "log":
        return _log(terminal)
    raise AssertionError(f"no object kind {kind}")


def _dealer_object(kind, dealer, user):
    import uuid

    from dealers.models import DealerUser, TopUpRequest

    if kind == "dealer":
        return dealer
    if kind == "dealeruser":
        return DealerUser.objects.get(user=user)
    return TopUpRequest.objects.create(dealer=dealer, amount="10.00", paid_on="2026-11-02", order_number="1",
                                       key=uuid.uuid4(), scan="topups/x.pdf")


def _claim(payment):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from claims.services import Cheque, claim_register

    return claim_register(user=get_user_model().objects.get(username="support"), payment=payment,
                          customer_name="Иванов Иван", customer_phone="+79161234567", ask="credit",
                          text="Не зачислено.", received_at=timezone.now(), cheque=Cheque())


def _encashment(terminal):
    import uuid
    from decimal import Decimal

    from django.utils import timezone

    from terminals.encashments import EncashmentRequest, encashment_record

    now = timezone.now()
    row, _ = encashment_record(terminal=terminal, request=EncashmentRequest(
        kiosk_id=uuid.uuid4(), opened_at=now, closed_at=now, notes={"100": 1}, total=Decimal("100.00"), txns=()))
    return row


def _log(terminal):
    import base64
    import uuid

    from terminals.logs import LogBundle, encode_log, log_record

    text = "a kiosk log line\n"
    row, _ = log_record(terminal=terminal, bundle=LogBundle(kiosk_id=uuid.uuid4(), command_id=None, truncated=False,
                                                            text=text, gzip=base64.b64decode(encode_log(text))))
    return row


def test_every_cabinet_url_with_an_id_is_in_the_isolation_table():
    assert _with_ids(), "the cabinet has URLs with ids"
    assert set(_with_ids()) <= set(OWNERS), f"add these URL names to OWNERS: {set(_with_ids()) - set(OWNERS)}"


@pytest.mark.django_db
def test_every_id_outside_the_viewers_subtree_is_404_for_get_and_post(client, world, foreign, demo,
                                                                       make_payment):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    cases = [
        # (viewer, owner dealer of the object, the owner's user)
        ("dealer", foreign, users.get(username="foreigner")),
        ("foreigner", demo, users.get(username="dealer")),
        ("subdealer", demo, users.get(username="dealer")),
    ]
    checked = 0
    for viewer, owner, owner_user in cases:
        client.logout()
        client.login(username=viewer, password="kit-demo")
        for name in _with_ids():
            obj = _object(OWNERS[name], owner, owner_user, make_payment)
            url = reverse(f"cabinet:{name}", kwargs={"pk": obj.pk})
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                # A POST-only action refuses GET (405) before any lookup; its POST must be 404.
                allowed = (404, 405) if method == "get" else (404,)
                assert status in allowed, (viewer, method, url, status)
                checked += 1
    assert checked == len(cases) * len(_with_ids()) * 2


@pytest.mark.django_db
def test_the_owner_sees_each_of_those_objects(client, world, demo, make_payment, dealer_user):
    client.login(username="dealer", password="kit-demo")
    for name in ("terminal", "payment", "theme", "ad", "claim", "encashment", "terminal_log"):
        obj = _object(OWNERS[name], demo, dealer_user, make_payment)
        assert client.get(reverse(f"cabinet:{name}", kwargs={"pk": obj.pk})).status_code == 200


@pytest.mark.django_db
def test_a_parent_sees_its_sub_agents_terminal(client, world, demo_sub, make_payment):
    from terminals.models import Terminal

    client.login(username="dealer", password="kit-demo")
    t = Terminal.objects.get(number="2001")
    assert client.get(reverse("cabinet:terminal", kwargs={"pk": t.pk})).status_code == 200


@pytest.mark.django_db
def test_staff_without_a_dealer_link_get_a_clear_page(client, world):
    client.login(username="support", password="kit-demo")
    for name in ("overview", "terminals", "payments", "balance", "reports", "account", "alerts", "themes", "ads"):
        resp = client.get(reverse(f"cabinet:{name}"))
        assert resp.status_code == 403
        assert 'id="no-dealer"' in resp.content.decode()


@pytest.mark.django_db
def test_anonymous_is_sent_to_log_in(client, world):
    resp = client.get(reverse("cabinet:overview"))
    assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")
