"""The dealer cabinet as a dealer sees it: overview with its chart, payments filtered and exported,
an enrollment code, block and unblock; screenshots at desktop and phone size."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from tests.browser.conftest import login, shot


def _payments(n=6):
    from payments.models import Event, Payment
    from providers.models import Provider
    from terminals.models import Terminal

    t = Terminal.objects.get(number="1001")
    mts = Provider.objects.get(code="mts")
    now = timezone.now()
    for i in range(n):
        at = now - timedelta(days=i * 3)
        p = Payment.objects.create(terminal=t, dealer_id=t.dealer_id, txn=str(500 + i), provider=mts,
                                   provider_code="mts", account="9161234567", amount=Decimal(100 + 50 * i),
                                   credited=Decimal(100 + 50 * i), reward=Decimal("1.50"), status="succeeded",
                                   content_hash=f"b{i}", cheque_number=f"1001-{500 + i}", paid_at=at)
        Payment.objects.filter(pk=p.pk).update(received_at=at)
        Event.objects.create(payment=p, to_status="succeeded", actor="terminal:1001")
    return t


def test_a_dealer_uses_the_cabinet(page, phone_page):
    from openpyxl import load_workbook

    terminal = _payments()
    login(page, "dealer")
    assert "/cabinet/" in page.url
    assert page.locator("svg.chart rect.bar").count() == 30
    shot(page, "cabinet-overview")

    page.goto("/cabinet/payments/")
    page.select_option("#id_terminal", str(terminal.pk))
    page.select_option("#id_status", "succeeded")
    page.click("#payment-filters button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#payments tbody tr[data-id]").count() == 6
    shot(page, "cabinet-payments")

    with page.expect_download() as dl:
        page.click("#export-csv")
    rows = list(csv.reader(io.StringIO(open(dl.value.path(), encoding="utf-8-sig").read()), delimiter=";"))
    assert len(rows) == 1 + 6
    with page.expect_download() as dl:
        page.click("#export-xlsx")
    ws = load_workbook(io.BytesIO(open(dl.value.path(), "rb").read()), read_only=True).active
    assert len(list(ws.iter_rows())) == 1 + 6

    page.goto("/cabinet/terminals/")
    shot(page, "cabinet-terminals")
    page.click("#terminals tr[data-number='1001'] a")
    page.click("#issue-code")
    page.wait_for_load_state()
    assert len(page.locator("[data-code]").inner_text().replace("-", "")) == 12
    page.click("#block")
    page.wait_for_load_state()
    terminal.refresh_from_db()
    assert terminal.status == "blocked" and page.locator("#unblock").is_visible()
    page.click("#unblock")
    page.wait_for_load_state()
    terminal.refresh_from_db()
    assert terminal.status == "active"

    login(phone_page, "dealer")
    assert phone_page.locator("svg.chart").is_visible()
    # Every cell of the attention table, the badges of "what" too, lies within the 390 px screen.
    cells = phone_page.locator("#attention td")
    assert cells.count() >= 4
    for i in range(cells.count()):
        box = cells.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (i, box)
    shot(phone_page, "cabinet-overview-phone")
