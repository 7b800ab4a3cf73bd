"""Cabinet encashments: list with differences, a page per collection (slip, linked and pending txns),
the bank's count, export; another dealer's encashment is a 404."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from terminals.encashments import EncashmentRequest, encashment_record
from terminals.models import Encashment, TerminalAudit

pytestmark = pytest.mark.django_db


def html(response) -> str:
    """The page with the number format's no-break spaces as plain spaces."""
    return response.content.decode().replace("\u00a0", " ").replace("\u202f", " ")


def post(terminal, *, notes, total, txns, closed=None, kiosk_id=None):
    closed = closed or timezone.now()
    row, _ = encashment_record(terminal=terminal, request=EncashmentRequest(
        kiosk_id=kiosk_id or uuid.uuid4(), opened_at=closed - timedelta(minutes=5), closed_at=closed,
        notes=notes, total=Decimal(total), txns=tuple(txns)))
    return row


@pytest.fixture
def collected(terminals, make_payment):
    """Terminal 1001: payments of 1000 (succeeded), 1200 (failed) and 500 (succeeded), notes 2700, one txn pending."""
    t = terminals["1001"]
    p1 = make_payment(t, "1000.00")
    p2 = make_payment(t, "1200.00", status="failed", reason="declined")
    row = post(t, notes={"100": 12, "500": 3}, total="2700.00", txns=[p1.txn, p2.txn, "9999"])
    return row


def test_the_list_shows_each_encashment_with_notes_recorded_and_difference(dealer_client, collected):
    page = html(dealer_client.get(reverse("cabinet:encashments")))
    assert f'data-id="{collected.pk}"' in page
    assert "2 700,00" in page  # notes
    assert "2 200,00" in page  # recorded: 1000 succeeded + 1200 failed
    assert "500,00" in page  # notes − recorded while txn 9999 is missing
    assert '<small class="badge warn">1 ' in page  # txn 9999 not received yet


def test_the_page_shows_the_slip_the_linked_and_pending_txns_and_the_difference(dealer_client, collected,
                                                                                 make_payment, terminals):
    url = reverse("cabinet:encashment", args=[collected.pk])
    page = html(dealer_client.get(url))
    assert "× 12" in page and "× 3" in page
    assert 'id="notes-total">2 700,00' in page
    assert '<span class="badge warn">9999</span>' in page
    assert '<span class="badge bad">500,00' in page
    # The missing payment arrives: opening the page links it and the difference is gone.
    late = make_payment(terminals["1001"], "500.00")
    from terminals.models import EncashmentTxn

    EncashmentTxn.objects.filter(encashment=collected, txn="9999").update(txn=late.txn)
    page = html(dealer_client.get(url))
    assert '<span class="badge ok">0,00' in page
    assert 'id="pending">—' in page


def test_a_dealer_user_enters_the_cash_counted_at_the_bank_and_sees_the_difference(dealer_client, collected,
                                                                                   dealer_user):
    url = reverse("cabinet:encashment_count", args=[collected.pk])
    response = dealer_client.post(url, {"counted": "2650.00"})
    assert response.status_code == 302
    collected.refresh_from_db()
    assert collected.counted_amount == Decimal("2650.00")
    assert collected.counted_by == dealer_user
    page = html(dealer_client.get(reverse("cabinet:encashment", args=[collected.pk])))
    assert 'id="counted-difference"><span class="badge bad">-50,00' in page or "−50,00" in page
    audit = TerminalAudit.objects.get(action="encashment_counted")
    assert audit.detail == {"encashment": collected.pk, "counted": "2650.00", "previous": None}


@pytest.mark.parametrize("value", ["", "-1.00", "abc", "1.234", "1" * 16])
def test_a_bad_counted_amount_is_a_form_error_and_saves_nothing(dealer_client, collected, value):
    response = dealer_client.post(reverse("cabinet:encashment_count", args=[collected.pk]), {"counted": value})
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    collected.refresh_from_db()
    assert collected.counted_amount is None


def test_counting_writes_no_ledger_entry(dealer_client, collected, demo):
    from dealers.models import LedgerEntry

    before = (LedgerEntry.objects.count(), demo.balance)
    dealer_client.post(reverse("cabinet:encashment_count", args=[collected.pk]), {"counted": "2700.00"})
    demo.refresh_from_db()
    assert (LedgerEntry.objects.count(), demo.balance) == before


def test_the_export_lists_the_figures_as_csv(dealer_client, collected):
    response = dealer_client.get(reverse("cabinet:encashments") + "?format=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, row = text.strip().splitlines()[:2]
    cells = row.split(";")
    assert cells[0] == str(collected.pk)
    assert cells[3] == "1001"
    assert cells[5] == "100×12, 500×3"
    assert cells[6:11] == ["2700.00", "2200.00", "500.00", "2", "1"]


def test_the_export_as_xlsx(dealer_client, collected):
    from io import BytesIO

    from openpyxl import load_workbook

    response = dealer_client.get(reverse("cabinet:encashments") + "?format=xlsx")
    assert response.status_code == 200
    ws = load_workbook(BytesIO(response.content)).active
    rows = list(ws.values)
    assert rows[1][0] == collected.pk and rows[1][6] == 2700


def test_the_list_filters_by_terminal_and_period(dealer_client, terminals, collected):
    other = post(terminals["1002"], notes={"1000": 1}, total="1000.00", txns=[],
                 closed=timezone.now() - timedelta(days=40))
    url = reverse("cabinet:encashments")
    page = dealer_client.get(url, {"terminal": terminals["1002"].pk}).content.decode()
    assert f'data-id="{other.pk}"' in page and f'data-id="{collected.pk}"' not in page
    day = (timezone.now() - timedelta(days=2)).date().isoformat()
    page = dealer_client.get(url, {"date_from": day}).content.decode()
    assert f'data-id="{other.pk}"' not in page and f'data-id="{collected.pk}"' in page


def test_a_bad_filter_is_a_form_error(dealer_client, world):
    response = dealer_client.get(reverse("cabinet:encashments"), {"date_from": "2026-13-01"})
    assert response.status_code == 400


def test_a_sub_agent_sees_its_own_encashments_only(client, terminals, collected):
    own = post(terminals["2001"], notes={"100": 1}, total="100.00", txns=[])
    client.login(username="subdealer", password="kit-demo")
    page = client.get(reverse("cabinet:encashments")).content.decode()
    assert f'data-id="{own.pk}"' in page and f'data-id="{collected.pk}"' not in page
    assert client.get(reverse("cabinet:encashment", args=[collected.pk])).status_code == 404
    assert client.post(reverse("cabinet:encashment_count", args=[collected.pk]), {"counted": "1.00"}).status_code == 404
    assert Encashment.objects.get(pk=collected.pk).counted_amount is None


def test_a_dealer_viewer_reads_an_encashment_but_cannot_enter_the_count(client, demo, collected):
    from dealers.services import dealer_user_create

    dealer_user_create(dealer=demo, username="watcher", email="", password="kit-demo-9x!", role="viewer")
    client.login(username="watcher", password="kit-demo-9x!")
    assert client.get(reverse("cabinet:encashment", args=[collected.pk])).status_code == 200
    response = client.post(reverse("cabinet:encashment_count", args=[collected.pk]), {"counted": "2700.00"})
    assert response.status_code == 403
    collected.refresh_from_db()
    assert collected.counted_amount is None
