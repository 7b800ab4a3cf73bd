"""Admins see alerts across the network, filtered by code and dealer."""

import re

import pytest

from alerts.services import alert_open

from .conftest import T0

pytestmark = pytest.mark.django_db


def test_the_admin_list_filters_by_code_and_dealer(client, admin_user, terminals_by_number, foreign):
    t1001, t9001 = terminals_by_number["1001"], terminals_by_number["9001"]
    a = alert_open(dealer_id=t1001.dealer_id, terminal_id=t1001.pk, code="offline", now=T0)
    b = alert_open(dealer_id=t1001.dealer_id, terminal_id=t1001.pk, code="door_open", now=T0)
    c = alert_open(dealer_id=t9001.dealer_id, terminal_id=t9001.pk, code="offline", now=T0)
    client.force_login(admin_user)

    def ids(query):
        page = client.get("/admin/alerts/alert/" + query)
        assert page.status_code == 200
        return sorted(int(x) for x in re.findall(r'/admin/alerts/alert/(\d+)/change/', page.content.decode()))

    assert ids("") == sorted([a.pk, b.pk, c.pk])
    assert ids("?code__exact=offline") == sorted([a.pk, c.pk])
    assert ids(f"?dealer__id__exact={foreign.pk}") == [c.pk]
    assert ids(f"?code__exact=door_open&dealer__id__exact={t1001.dealer_id}") == [b.pk]


@pytest.fixture
def terminals_by_number(foreign):
    from terminals.models import Terminal

    return {t.number: t for t in Terminal.objects.all()}
