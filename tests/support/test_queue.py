"""The queue holds exactly the payments that wait for a person, oldest first, in keyset pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from support import selectors

pytestmark = pytest.mark.django_db


def _ids(resp) -> list[int]:
    import re

    return [int(x) for x in re.findall(r'<tr data-id="(\d+)"', resp.content.decode())]


@pytest.fixture
def mixed(pay):
    """One payment per queue reason, and the ones that must stay out of it."""
    now = timezone.now()
    at = lambda hours: now - timedelta(hours=hours)  # noqa: E731
    inside = {
        "declined": pay("1001", "1", status="failed", reason="declined", at=at(50), gateway="cyberplat"),
        "account_format": pay("1001", "2", status="failed", reason="account_format", at=at(40)),
        "insufficient_balance": pay("1001", "3", status="held", reason="insufficient_balance", at=at(30)),
        "outcome_unknown": pay("1002", "4", status="processing", reason="outcome_unknown", at=at(20),
                               gateway="cyberplat"),
        "gateway_config": pay("1002", "5", status="processing", reason="gateway_config", at=at(10), gateway="osmp",
                              provider="beeline"),
        "no_gateway_available": pay("1002", "6", status="processing", reason="no_gateway_available", at=at(5)),
    }
    outside = [
        pay("1001", "7", status="succeeded", at=at(60)),
        pay("1001", "8", status="processing", reason="", at=at(1)),
        pay("1001", "9", status="accepted", at=at(1)),
        pay("1001", "10", status="cancelled", at=at(70)),
    ]
    return inside, outside


def test_the_queue_holds_exactly_the_payments_waiting_for_a_person_oldest_first(support_client, mixed):
    inside, _outside = mixed
    resp = support_client.get("/support/queue/")
    assert resp.status_code == 200
    assert _ids(resp) == [inside[r].pk for r in ("declined", "account_format", "insufficient_balance",
                                                 "outcome_unknown", "gateway_config", "no_gateway_available")]


def test_the_counts_per_reason_are_at_the_top(support_client, mixed):
    rows = selectors.queue_counts()
    assert sorted(rows) == sorted([
        ("failed", "declined", 1), ("failed", "account_format", 1), ("held", "insufficient_balance", 1),
        ("processing", "outcome_unknown", 1), ("processing", "gateway_config", 1),
        ("processing", "no_gateway_available", 1)])
    body = support_client.get("/support/queue/").content.decode()
    assert '<div class="big" data-count="total">6</div>' in body
    assert 'data-count="outcome_unknown"' in body


def test_the_counts_refresh_alone_for_htmx(support_client, mixed):
    resp = support_client.get("/support/queue/", headers={"HX-Request": "true"})
    body = resp.content.decode()
    assert resp.status_code == 200
    assert body.lstrip().startswith('<div id="queue-counts"') and "<html" not in body
    assert 'hx-trigger="every 20s"' in body


def test_the_reasons_are_shown_in_words(support_client, mixed):
    body = support_client.get("/support/queue/").content.decode()
    assert "шлюз не даёт ответа больше суток" in body
    assert "у дилера не хватает баланса" in body


@pytest.mark.parametrize("query,expected", [
    ({"reason": "outcome_unknown"}, ["outcome_unknown"]),
    ({"age": "24h"}, ["declined", "account_format", "insufficient_balance"]),
])
def test_the_filters_narrow_the_queue(support_client, mixed, query, expected):
    inside, _ = mixed
    assert _ids(support_client.get("/support/queue/", query)) == [inside[r].pk for r in expected]


def test_the_gateway_provider_and_dealer_filters(support_client, mixed, demo_sub):
    from gateways.models import Gateway
    from providers.models import Provider

    inside, _ = mixed
    osmp = Gateway.objects.get(code="osmp").pk
    assert _ids(support_client.get("/support/queue/", {"gateway": osmp})) == [inside["gateway_config"].pk]
    beeline = Provider.objects.get(code="beeline").pk
    assert _ids(support_client.get("/support/queue/", {"provider": beeline})) == [inside["gateway_config"].pk]
    assert _ids(support_client.get("/support/queue/", {"dealer": demo_sub.pk})) == []


def test_keyset_pages_walk_the_queue_without_repeats_or_gaps(support_client, pay):
    now = timezone.now()
    made = [pay("1001", str(100 + i), status="failed", reason="declined", at=now - timedelta(minutes=100 - i))
            for i in range(7)]
    seen, after = [], None
    while True:
        rows, cursor = selectors.queue_page(selectors.QueueFilter(), after=after, size=3)
        seen += [r["id"] for r in rows]
        if cursor is None:
            break
        after = cursor
    assert seen == [p.pk for p in made]


def test_payments_received_in_the_same_instant_are_not_lost_between_pages(pay):
    same = timezone.now() - timedelta(hours=1)
    made = [pay("1001", str(200 + i), status="held", reason="provider_disabled", at=same) for i in range(5)]
    first, cursor = selectors.queue_page(selectors.QueueFilter(), size=2)
    second, cursor2 = selectors.queue_page(selectors.QueueFilter(), after=cursor, size=2)
    third, cursor3 = selectors.queue_page(selectors.QueueFilter(), after=cursor2, size=2)
    assert [r["id"] for r in first + second + third] == [p.pk for p in made]
    assert cursor3 is None


def test_the_next_page_link_carries_the_filters_and_the_cursor(support_client, pay):
    now = timezone.now()
    for i in range(52):
        pay("1001", str(300 + i), status="failed", reason="declined", at=now - timedelta(minutes=200 - i))
    resp = support_client.get("/support/queue/", {"reason": "declined"})
    body = resp.content.decode()
    assert len(_ids(resp)) == 50
    link = body.split('id="next-page" href="?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert link.startswith("reason=declined&after=")
    second = support_client.get("/support/queue/?" + link)
    assert len(_ids(second)) == 2


def test_a_broken_page_link_shows_the_first_page_with_a_message(support_client, mixed):
    resp = support_client.get("/support/queue/", {"after": "abc"})
    assert resp.status_code == 400
    assert "Ссылка на страницу испорчена" in resp.content.decode()
    assert len(_ids(resp)) == 6


def test_a_bad_filter_value_is_a_form_error(support_client, mixed):
    resp = support_client.get("/support/queue/", {"gateway": "abc", "age": "forever"})
    assert resp.status_code == 400
    assert "errorlist" in resp.content.decode()


def test_the_queue_links_to_bulk_resend_with_its_filter(support_client, mixed):
    body = support_client.get("/support/queue/", {"reason": "declined"}).content.decode()
    assert 'id="bulk-resend" href="/support/queue/resend/?reason=declined"' in body
    assert body.count('id="bulk-resend"') == 1
