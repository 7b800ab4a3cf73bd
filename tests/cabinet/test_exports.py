"""The CSV export: PostgreSQL's COPY writes the same rows as the csv module, in the viewer's time zone and words."""

import csv
import io
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import translation

from dealers import exports
from dealers.models import LedgerEntry
from payments.models import Payment
from tests.cabinet.conftest import msk

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def parse(chunks) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig")), delimiter=";"))


def python_rows(kind, qs, tz) -> list[list[str]]:
    header, rows = exports.KINDS[kind](qs, tz)
    return parse(exports._csv_chunks(header, rows))


def test_copy_writes_the_payments_as_the_csv_module_does(dealer_client, terminals, make_payment):
    make_payment(terminals["1001"], "100.00", fee="2.50", reward="1.50", at=msk(2026, 11, 3, 0, 30))
    make_payment(terminals["1002"], "40.00", status="failed", reason="declined", at=msk(2026, 11, 4))
    make_payment(terminals["2001"], "10.00", account='12;"3"', at=msk(2026, 11, 5))
    with translation.override("ru"):
        response = dealer_client.get(reverse("cabinet:payments"), {"format": "csv"})
        copied = parse(response.streaming_content)
        expected = python_rows("payments", Payment.objects.all(), zoneinfo.ZoneInfo("Europe/Moscow"))
    assert copied == expected
    assert len(copied) == 4
    assert copied[3][1:3] == ["2026-11-03 00:30:00", "2026-11-03 00:30:00"]  # Moscow time, as the viewer's
    assert copied[2][11:13] == ["ошибка", "declined"]
    assert copied[1][6] == '12;"3"'


def test_copy_writes_the_ledger_as_the_csv_module_does(dealer_client, demo):
    response = dealer_client.get(reverse("cabinet:balance"), {"format": "csv"})
    copied = parse(response.streaming_content)
    expected = python_rows("ledger", LedgerEntry.objects.filter(dealer=demo),
                           zoneinfo.ZoneInfo("Europe/Moscow"))
    assert copied == expected
    assert copied[1][5] == "1000000.00"


def test_an_empty_selection_gives_the_header_only(dealer_client, world):
    response = dealer_client.get(reverse("cabinet:payments"), {"account": "0000", "format": "csv"})
    rows = parse(response.streaming_content)
    assert rows == [["Номер", "Получен", "Оплачен в терминале", "Терминал", "Дилер", "Поставщик", "Счёт", "Наличные", "Комиссия", "Зачислено", "Вознаграждение", "Статус", "Причина", "Чек"]]
