"""The cabinet's alerts: the list with its filters, the overview and terminal page, the user's choices."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from alerts.models import Alert, AlertChoice
from alerts.services import alert_close, alert_open

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alerts(foreign, terminals):
    t1001, t1002, t2001, t9001 = (terminals[n] for n in ("1001", "1002", "2001", "9001"))
    alert_open(dealer_id=t1001.dealer_id, terminal_id=t1001.pk, code="offline", now=T0)
    alert_open(dealer_id=t1002.dealer_id, terminal_id=t1002.pk, code="paper_out", now=T0)
    alert_close(dealer_id=t1002.dealer_id, terminal_id=t1002.pk, code="paper_out", now=T0.replace(hour=10))
    alert_open(dealer_id=t2001.dealer_id, terminal_id=t2001.pk, code="door_open", now=T0)
    alert_open(dealer_id=t9001.dealer_id, terminal_id=t9001.pk, code="offline", now=T0)
    return terminals


def _rows(response):
    return re.findall(r'<tr data-code="([a-z_]+)"', response.content.decode())


def test_the_list_shows_the_subtrees_alerts_and_no_foreign_ones(dealer_client, alerts):
    response = dealer_client.get(reverse("cabinet:alerts"))
    assert response.status_code == 200
    assert sorted(_rows(response)) == ["door_open", "offline", "paper_out"]


def test_the_list_filters_by_terminal_code_and_state(dealer_client, alerts):
    url = reverse("cabinet:alerts")
    assert _rows(dealer_client.get(url, {"terminal": alerts["1002"].pk})) == ["paper_out"]
    assert _rows(dealer_client.get(url, {"code": "door_open"})) == ["door_open"]
    assert sorted(_rows(dealer_client.get(url, {"state": "open"}))) == ["door_open", "offline"]
    assert _rows(dealer_client.get(url, {"state": "closed"})) == ["paper_out"]


def test_a_foreign_terminal_or_unknown_code_in_the_filter_is_a_form_error(dealer_client, alerts):
    url = reverse("cabinet:alerts")
    response = dealer_client.get(url, {"terminal": alerts["9001"].pk})
    assert response.status_code == 400 and _rows(response) == []
    assert dealer_client.get(url, {"code": "coffee_empty"}).status_code == 400


def test_a_sub_agent_sees_only_its_own_alerts(client, alerts):
    client.login(username="subdealer", password="kit-demo")
    assert _rows(client.get(reverse("cabinet:alerts"))) == ["door_open"]


def test_the_overview_shows_open_alerts_and_the_terminal_page_its_history(dealer_client, alerts):
    overview = dealer_client.get(reverse("cabinet:overview"))
    assert sorted(_rows(overview)) == ["door_open", "offline"]
    page = dealer_client.get(reverse("cabinet:terminal", args=[alerts["1002"].pk]))
    assert _rows(page) == ["paper_out"]


def test_a_user_chooses_which_alerts_it_is_notified_of(dealer_client, dealer_user):
    response = dealer_client.post(reverse("cabinet:account"), {"form": "alerts", "codes": ["offline", "door_open"]})
    assert response.status_code == 302
    assert AlertChoice.objects.get(user=dealer_user).codes == ["door_open", "offline"]
    page = dealer_client.get(reverse("cabinet:account")).content.decode()
    checked = re.findall(r'<input type="checkbox" name="codes" value="([a-z_]+)"[^>]* checked', page)
    assert checked == ["offline", "door_open"]


def test_an_unknown_alert_code_is_a_form_error_on_the_account_page(dealer_client, dealer_user):
    response = dealer_client.post(reverse("cabinet:account"), {"form": "alerts", "codes": ["offline", "coffee"]})
    assert response.status_code == 200
    assert "coffee" in response.content.decode()
    assert not AlertChoice.objects.filter(user=dealer_user).exists()


def test_alerts_survive_as_history_rows(alerts):
    assert Alert.objects.filter(closed_at__isnull=False).count() == 1
