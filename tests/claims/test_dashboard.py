"""The list's dashboard (counts, answered in time per month, median time to answer) and the admin pages."""

from datetime import timedelta

import pytest

from claims.models import CalendarDay, Claim
from claims.selectors import claims_dashboard
from claims.services import claim_escalate, claim_transition

from .conftest import msk

pytestmark = pytest.mark.django_db


def _answer(claim, user, at):
    claim_transition(claim=claim, to="rejected", user=user, comment="ответ", answer="Ответ.", now=at)


def test_the_dashboard_counts_statuses_shares_in_time_and_the_median(register, support_user):
    # March 2026: one answered in time (due 23.03), one late; February: one in time.
    in_time = register(None, received_at=msk(2026, 3, 13, 10, 0))
    _answer(in_time, support_user, msk(2026, 3, 14, 10, 0))                   # 24 h
    late = register(None, received_at=msk(2026, 3, 1, 10, 0))                # due 11.03.2026
    _answer(late, support_user, msk(2026, 3, 12, 10, 0))                      # 264 h
    february = register(None, received_at=msk(2026, 2, 2, 10, 0))
    _answer(february, support_user, msk(2026, 2, 4, 10, 0))                  # 48 h
    register(None, received_at=msk(2026, 3, 2, 10, 0))                        # open, due 12.03.2026
    investigating = register(None, received_at=msk(2026, 3, 20, 10, 0))
    claim_transition(claim=investigating, to="investigating", user=support_user, comment="смотрим")

    d = claims_dashboard(msk(2026, 3, 21, 12, 0))
    assert d.counts == {"registered": 1, "investigating": 1, "resolved": 0, "rejected": 3}
    assert d.overdue == 1
    assert (d.this_month.label, d.this_month.answered, d.this_month.in_time, d.this_month.percent) == (
        "03.2026", 2, 1, 50)
    assert (d.last_month.label, d.last_month.answered, d.last_month.in_time, d.last_month.percent) == (
        "02.2026", 1, 1, 100)
    assert d.median_hours == 48.0


def test_the_dashboard_of_a_january_looks_back_at_december(register, support_user):
    claim = register(None, received_at=msk(2026, 12, 1, 10, 0))
    _answer(claim, support_user, msk(2026, 12, 2, 10, 0))
    d = claims_dashboard(msk(2027, 1, 15, 12, 0))
    assert (d.last_month.label, d.last_month.answered, d.this_month.label, d.this_month.percent) == (
        "12.2026", 1, "01.2027", None)


def test_the_admin_maintains_the_calendar_and_reads_claims(client, admin_user, register, support_user):
    claim = register(None)
    from gateways.models import Gateway

    claim_escalate(claim=claim, user=support_user, gateway=Gateway.objects.get(code="osmp"), reference="Q-1",
                   happened_at=msk(2026, 3, 14), comment="запрос")
    client.force_login(admin_user)
    assert client.get("/admin/claims/calendarday/").status_code == 200
    resp = client.post("/admin/claims/calendarday/add/", {"day": "2027-11-13", "kind": "workday",
                                                          "note": "рабочая суббота"})
    assert resp.status_code == 302
    assert CalendarDay.objects.get(day=msk(2027, 11, 13).date()).kind == "workday"
    assert client.get(f"/admin/claims/claim/{claim.pk}/change/").status_code == 200
    assert client.post(f"/admin/claims/claim/{claim.pk}/delete/").status_code == 403
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_the_claim_page_refuses_an_illegal_step_and_records_an_escalation(client, register, support_user):
    claim = register(None)
    client.force_login(support_user)
    url = f"/support/claims/{claim.number}/"
    resp = client.post(url + "step/", {"to": "resolved", "comment": "сразу", "outcome": "explained", "answer": "a"})
    assert resp.status_code == 400
    assert "Этот шаг невозможен из текущего статуса претензии." in resp.content.decode()
    from gateways.models import Gateway

    osmp = Gateway.objects.get(code="osmp")
    resp = client.post(url + "escalate/", {"escalate-gateway": osmp.pk, "escalate-reference": "Q-77",
                                           "escalate-happened_at": "2026-03-14T11:00",
                                           "escalate-comment": "написали в QIWI"})
    assert resp.status_code == 302
    step = claim.steps.get(kind="escalated")
    assert (step.gateway, step.reference, step.comment) == (osmp, "Q-77", "написали в QIWI")
    resp = client.post(url + "escalate/", {"escalate-gateway": osmp.pk, "escalate-happened_at": "2026-03-14T11:00",
                                           "escalate-comment": ""})
    assert resp.status_code == 400
    assert claim.steps.filter(kind="escalated").count() == 1
    assert timedelta(0) <= step.created_at - claim.created_at
