"""Payments, exports, reports and aggregates: totals against sums written here, bad filters as
form errors, aggregates against a recount from the payments."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.cabinet.conftest import msk


@pytest.mark.django_db
def test_payments_filters_totals_pages_and_exports(dealer_client, terminals, make_payment, settings):
    t1, t2, sub = terminals["1001"], terminals["1002"], terminals["2001"]
    make_payment(t1, "100.00", fee="2.00", reward="1.50", at=msk(2026, 11, 3))
    make_payment(t1, "250.50", fee="0.00", reward="3.75", at=msk(2026, 11, 4))
    make_payment(t2, "40.00", status="failed", at=msk(2026, 11, 4))
    make_payment(sub, "10.00", reward="0.10", at=msk(2026, 11, 5))
    make_payment(t1, "999.00", at=msk(2026, 10, 31, 23, 59))  # outside the period
    url = reverse("cabinet:payments")
    resp = dealer_client.get(url, {"date_from": "2026-11-01", "date_to": "2026-11-30", "status": "succeeded"})
    assert resp.status_code == 200
    totals = resp.context["totals"]
    assert totals["count"] == 3
    assert totals["amount"] == D("360.50") and totals["fee"] == D("2.00")
    assert totals["credited"] == D("358.50") and totals["reward"] == D("5.35")
    # a terminal filter, and a sub-agent's payment seen by its parent
    resp = dealer_client.get(url, {"terminal": sub.pk})
    assert [p.amount for p in resp.context["payments"]] == [D("10.00")]

    # keyset pages: 50 then the rest, no overlap
    for i in range(52):
        make_payment(t2, "1.00", at=msk(2026, 11, 20))
    page1 = dealer_client.get(url, {"date_from": "2026-11-20", "date_to": "2026-11-20"}).context
    assert len(page1["payments"]) == 50 and page1["next_before"]
    page2 = dealer_client.get(url, {"date_from": "2026-11-20", "date_to": "2026-11-20",
                                    "before": page1["next_before"]}).context
    assert len(page2["payments"]) == 2
    assert not {p.pk for p in page1["payments"]} & {p.pk for p in page2["payments"]}

    # CSV of the filter: header + 3 rows; an empty selection: the header only
    resp = dealer_client.get(url, {"date_from": "2026-11-01", "date_to": "2026-11-10", "status": "succeeded",
                                   "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 4 and sorted(r[7] for r in rows[1:]) == ["10.00", "100.00", "250.50"]
    resp = dealer_client.get(url, {"account": "0000", "format": "csv"})
    assert len(list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8-sig"))))) == 1

    # XLSX at once for a small selection; a job for a large one (limit lowered here)
    from openpyxl import load_workbook

    resp = dealer_client.get(url, {"date_from": "2026-11-01", "date_to": "2026-11-10", "format": "xlsx"})
    ws = load_workbook(io.BytesIO(resp.content), read_only=True).active
    assert len(list(ws.iter_rows())) == 1 + 4
    resp = dealer_client.get(url, {"account": "0000", "format": "xlsx"})
    assert len(list(load_workbook(io.BytesIO(resp.content), read_only=True).active.iter_rows())) == 1

    settings.KIT_EXPORT_INLINE_ROWS = 2
    resp = dealer_client.get(url, {"date_from": "2026-11-20", "date_to": "2026-11-20", "format": "xlsx"})
    assert resp.status_code == 302
    job_url = resp["Location"]
    assert 'data-state="pending"' in dealer_client.get(job_url).content.decode()
    from dealers.exports import export_job_build
    from dealers.models import ExportJob

    job = ExportJob.objects.get()
    export_job_build(job_id=job.pk)
    export_job_build(job_id=job.pk)  # twice: no harm
    assert 'data-state="done"' in dealer_client.get(job_url).content.decode()
    data = b"".join(dealer_client.get(reverse("cabinet:export_download", args=[job.pk])).streaming_content)
    assert len(list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows())) == 1 + 52


@pytest.mark.django_db
def test_bad_filter_values_are_form_errors_not_500(dealer_client, world):
    for name, query in [("payments", {"date_from": "2026-13-40"}), ("payments", {"amount_min": "abc"}),
                        ("payments", {"terminal": "999999"}), ("balance", {"date_to": "yesterday"}),
                        ("reports", {"date_from": "2026-02-30"}),
                        ("payments", {"date_from": "2026-11-10", "date_to": "2026-11-01"})]:
        resp = dealer_client.get(reverse(f"cabinet:{name}"), query)
        assert resp.status_code == 400, (name, query)
        assert resp.context["form"].errors


@pytest.mark.django_db
def test_payment_page_speaks_the_dealers_words(dealer_client, terminals, make_payment):
    p = make_payment(terminals["1001"], "50.00", status="held", reason="insufficient_balance")
    text = dealer_client.get(reverse("cabinet:payment", args=[p.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "waiting for balance" in text or "ожидает" in text
    assert "attempt" not in text.lower() and "exchange" not in text.lower()


@pytest.mark.django_db
def test_balance_shows_running_balance_and_totals_per_kind(dealer_client, demo):
    from dealers.services import dealer_topup

    dealer_topup(dealer=demo, amount="500.00")
    dealer_topup(dealer=demo, amount="250.25")
    resp = dealer_client.get(reverse("cabinet:balance"), {"kind": "topup"})
    per_kind = resp.context["per_kind"]
    assert [(k["count"], k["total"]) for k in per_kind] == [(3, D("1000750.25"))]
    assert [e.balance_after for e in resp.context["entries"]] == [D("1000750.25"), D("1000500.00"), D("1000000.00")]
    resp = dealer_client.get(reverse("cabinet:balance"), {"kind": "topup", "format": "csv"})
    assert len(b"".join(resp.streaming_content).decode("utf-8-sig").strip().splitlines()) == 4


@pytest.mark.django_db
def test_aggregates_equal_a_recount_and_a_late_change_rebuilds_its_day(world, demo, terminals, make_payment):
    from dealers.aggregates import aggregates_refresh, report_build
    from dealers.models import AggregateDay, DailyAggregate
    from payments.models import Event, Payment

    today = timezone.now().astimezone(msk(2026, 1, 1).tzinfo).date()
    d1, d2 = today - timedelta(days=3), today - timedelta(days=2)
    t1, sub = terminals["1001"], terminals["2001"]
    make_payment(t1, "100.00", fee="1.00", reward="1.50", at=msk(d1.year, d1.month, d1.day, 0, 5))
    make_payment(t1, "200.00", reward="3.00", at=msk(d1.year, d1.month, d1.day, 23, 55))
    late = make_payment(sub, "30.00", status="processing", at=msk(d2.year, d2.month, d2.day))
    make_payment(t1, "7.00", at=timezone.now())  # today: live

    aggregates_refresh()
    assert AggregateDay.objects.filter(day=d1).exists() and not AggregateDay.objects.filter(day=today).exists()
    rows = DailyAggregate.objects.filter(day=d1, status="succeeded")
    assert sum(r.count for r in rows) == 2 and sum(r.amount for r in rows) == D("300.00")

    report = report_build(dealer=demo, date_from=d1, date_to=today, group="day")
    assert {k: (t.count, t.amount) for k, t in report.rows} == {d1: (2, D("300.00")), today: (1, D("7.00"))}

    # the late success of a finished day's payment: its day is rebuilt on the next run
    Payment.objects.filter(pk=late.pk).update(status="succeeded")
    Event.objects.create(payment=late, from_status="processing", to_status="succeeded", actor="worker")
    assert aggregates_refresh()["rebuilt"] == 1
    report = report_build(dealer=demo, date_from=d1, date_to=today, group="agent")
    assert {k: (t.count, t.amount) for k, t in report.rows} == {
        demo.pk: (3, D("307.00")), sub.dealer_id: (1, D("30.00"))}
    # against a recount straight from the payments
    for day in (d1, d2):
        recount = Payment.objects.filter(status="succeeded", received_at__date=day).count()
        assert sum(r.count for r in DailyAggregate.objects.filter(day=day, status="succeeded")) == recount
    assert report_build(dealer=demo, date_from=d1, date_to=today, group=None).total.count == 4
    # the sub-agent sees only its own
    from dealers.models import Dealer

    assert report_build(dealer=Dealer.objects.get(pk=sub.dealer_id), date_from=d1, date_to=today,
                        group=None).total.count == 1
    assert isinstance(d1, date)
