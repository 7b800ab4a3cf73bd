"""The gateway-health page: who sees it, and what it shows."""

import pytest
from django.utils import timezone

from gateways.adapters.base import Outcome, Result
from gateways.breaker import breaker_record
from gateways.health import gateway_health_rows
from gateways.models import Gateway

pytestmark = pytest.mark.django_db
URL = "/gateways/health/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _attempts(gw, rows):
    """rows: (outcome, duration_ms, state) for attempts of one demo payment each."""
    from payments.models import Attempt, Payment
    from terminals.models import Terminal

    t = Terminal.objects.get(number="1001")
    for i, (outcome, ms, state) in enumerate(rows):
        p = Payment.objects.create(terminal=t, dealer=t.dealer, txn=f"h{gw.code}{i}", provider_code="mts",
                                   account="9160000000", amount="10.00", content_hash="x", cheque_number="c",
                                   paid_at=timezone.now())
        Attempt.objects.create(payment=p, gateway=gw, attempt_id=f"9{gw.pk:03d}{i:06d}", state=state,
                               outcome=outcome, duration_ms=ms)


def test_the_rows_show_breaker_success_rate_latency_and_open_attempts(world):
    gw = Gateway.objects.get(code="cyberplat")
    _attempts(gw, [("ok", 100, "closed")] * 8 + [("declined", 300, "closed"), ("retry", 900, "closed"),
                                                  ("unknown", None, "open")])
    for _ in range(10):
        breaker_record(gw, Result(Outcome.RETRY, "transport", "not sent"))
    row = next(r for r in gateway_health_rows() if r.gateway.code == "cyberplat")
    assert (row.breaker, row.failures) == ("open", 10)
    assert row.attempts == 11 and row.ok == 8 and row.success_rate == 80.0
    assert (row.p50_ms, row.p95_ms) == (100, 900)
    assert row.open_attempts == 1
    assert row.last_error == "retry:transport not sent"


def test_admin_and_support_see_the_page_with_an_open_breaker(client, admin_user, support_user):
    gw = Gateway.objects.get(code="osmp")
    breaker_record(gw, Result(Outcome.CONFIG, "150", "bad signature"))
    for user in (admin_user, support_user):
        client.force_login(user)
        r = client.get(URL)
        assert r.status_code == 200
        body = r.content.decode()
        assert "gateway-health" in body and "breaker-open" in body and "bad signature" in body


def test_the_table_alone_is_rendered_for_htmx(client, admin_user):
    client.force_login(admin_user)
    r = client.get(URL, headers={"HX-Request": "true"})
    assert r.status_code == 200 and b"<html" not in r.content and b"gateway-health" in r.content


def test_a_dealer_gets_404_and_a_visitor_is_sent_to_log_in(client, dealer_user):
    assert client.get(URL).status_code == 302
    client.force_login(dealer_user)
    assert client.get(URL).status_code == 404


def test_post_is_not_allowed(client, admin_user):
    client.force_login(admin_user)
    assert client.post(URL).status_code == 405
