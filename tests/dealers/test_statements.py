"""The monthly statement: each line the ledger's sum of its kinds, closing = opening + lines = the balance
the ledger recorded at the month's end; the same figures in the PDF and the XLSX."""

import io
from datetime import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
def booked(demo):
    """A sub-agent with one entry in October, one of each kind in November 2026, one in December."""
    from dealers.models import LedgerEntry
    from dealers.services import agent_create, ledger_post

    agent = agent_create(parent=demo, name="Статистик", inn="7700000077")
    K = LedgerEntry.Kind
    book = [(datetime(2026, 10, 31, 23, 59, tzinfo=MSK), K.TOPUP, "1000.00"),
            (datetime(2026, 11, 1, 0, 0, tzinfo=MSK), K.TOPUP, "500.00"),
            (datetime(2026, 11, 2, 10, 0, tzinfo=MSK), K.TRANSFER_IN, "200.00"),
            (datetime(2026, 11, 3, 10, 0, tzinfo=MSK), K.TRANSFER_OUT, "-100.00"),
            (datetime(2026, 11, 10, 10, 0, tzinfo=MSK), K.PAYMENT_DEBIT, "-300.00"),
            (datetime(2026, 11, 11, 10, 0, tzinfo=MSK), K.PAYMENT_CREDIT, "50.00"),
            (datetime(2026, 11, 20, 10, 0, tzinfo=MSK), K.REWARD, "12.34"),
            (datetime(2026, 11, 30, 23, 59, tzinfo=MSK), K.ADJUSTMENT, "-2.34"),
            (datetime(2026, 12, 1, 0, 0, tzinfo=MSK), K.PAYMENT_DEBIT, "-10.00")]
    for at, kind, amount in book:
        with transaction.atomic():
            entry = ledger_post(dealer_id=agent.pk, kind=kind, amount=D(amount))
        LedgerEntry.objects.filter(pk=entry.pk).update(created_at=at)
    agent.refresh_from_db()
    return agent


def test_the_statements_closing_balance_equals_the_ledger_balance_at_the_months_end(booked):
    from dealers.statements import statement_build

    st = statement_build(dealer=booked, month=datetime(2026, 11, 1).date())
    assert st.opening == D("1000.00")
    assert {code: total for code, _label, total in st.lines} == {
        "topups": D("500.00"), "transfers_in": D("200.00"), "transfers_out": D("-100.00"),
        "payments": D("-300.00"), "refunds": D("50.00"), "rewards": D("12.34"), "adjustments": D("-2.34")}
    assert st.closing == D("1360.00") == st.ledger_closing
    assert st.entries == 7
    assert booked.balance == D("1350.00")  # after December's debit
    december = statement_build(dealer=booked, month=datetime(2026, 12, 1).date())
    assert december.opening == D("1360.00") and december.closing == D("1350.00") == booked.balance


def test_the_pdf_and_xlsx_carry_the_same_figures(booked):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from dealers.statements import statement_build, statement_pdf, statement_xlsx

    st = statement_build(dealer=booked, month=datetime(2026, 11, 1).date())
    text = PdfReader(io.BytesIO(statement_pdf(st))).pages[0].extract_text()
    assert "Статистик" in text and "7700000077" in text
    assert "1 360,00" in text.replace("\u00a0", " ") or "1,360.00" in text
    rows = list(load_workbook(io.BytesIO(statement_xlsx(st))).active.iter_rows(values_only=True))
    figures = [r[1] for r in rows[4:]]
    assert [D(str(f)) for f in figures] == [D("1000.00"), D("500.00"), D("200.00"), D("-100.00"), D("-300.00"),
                                            D("50.00"), D("12.34"), D("-2.34"), D("1360.00")]
