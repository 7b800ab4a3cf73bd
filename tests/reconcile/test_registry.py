"""The simulators' registry endpoint and the registry format."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client

from gateways.reconcile import registry

from .conftest import MSK, NOON


def _rows(resp):
    return list(csv.DictReader(io.StringIO(resp.content.decode("utf-8"))))


def test_registry_lists_the_days_payments_as_csv_without_counters(world, book):
    book("cyberplat", "100000000000000001", "paid", "100.00", upstream_id="CP1")
    book("cyberplat", "100000000000000002", "declined", "20.50", account="9160000001")
    book("cyberplat", "100000000000000003", "pending", "30.00", at=NOON + dt.timedelta(hours=11, minutes=59))
    book("cyberplat", "counter:transient:9160000004", "counter", None, account="")
    book("cyberplat", "100000000000000004", "paid", "40.00", at=NOON - dt.timedelta(hours=12, seconds=1))  # 19th
    book("cyberplat", "100000000000000005", "paid", "50.00", at=NOON + dt.timedelta(hours=12))  # 21st
    book("osmp", "100000000000000006", "paid", "60.00")
    resp = Client().get("/sim/cyberplat/registry?date=2026-11-20")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    assert resp.content.decode().splitlines()[0] == "key,upstream_id,account,amount,status,created_at"
    assert _rows(resp) == [
        {"key": "100000000000000001", "upstream_id": "CP1", "account": "9161234567", "amount": "100.00",
         "status": "paid", "created_at": "2026-11-20T12:00:00+03:00"},
        {"key": "100000000000000002", "upstream_id": "U100000000000000002", "account": "9160000001",
         "amount": "20.50", "status": "declined", "created_at": "2026-11-20T12:00:00+03:00"},
        {"key": "100000000000000003", "upstream_id": "U100000000000000003", "account": "9161234567",
         "amount": "30.00", "status": "pending", "created_at": "2026-11-20T23:59:00+03:00"},
    ]


def test_every_simulator_serves_its_own_registry(world, book):
    for code in ("osmp", "contact", "comepay", "provider"):
        book(code, f"9{len(code)}0000000000000001", "paid", "10.00")
        rows = _rows(Client().get(f"/sim/{code}/registry?date=2026-11-20"))
        assert [r["key"] for r in rows] == [f"9{len(code)}0000000000000001"]


def test_the_registry_parses_back_into_the_same_rows(world, book):
    book("cyberplat", "100000000000000001", "paid", "100.00")
    text = Client().get("/sim/cyberplat/registry?date=2026-11-20").content.decode()
    (row,) = registry.parse(text, day=dt.date(2026, 11, 20))
    assert (row.key, row.amount, row.status, row.created_at) == ("100000000000000001", Decimal("100.00"), "paid",
                                                                 NOON)


@pytest.mark.parametrize("query", ["", "?date=", "?date=2026-02-30", "?date=yesterday", "?date=20.11.2026"])
def test_registry_without_a_valid_date_is_400(world, query):
    assert Client().get(f"/sim/cyberplat/registry{query}").status_code == 400


def test_registry_of_an_unknown_simulator_is_404(world):
    assert Client().get("/sim/nosuch/registry?date=2026-11-20").status_code == 404


def test_registry_only_answers_get(world):
    assert Client().post("/sim/cyberplat/registry?date=2026-11-20").status_code == 405


def test_a_time_without_an_offset_is_moscow_time():
    text = "key,upstream_id,account,amount,status,created_at\n1,,916,1,paid,2026-11-20T00:30:00\n"
    (row,) = registry.parse(text, day=dt.date(2026, 11, 20))
    assert row.created_at == dt.datetime(2026, 11, 20, 0, 30, tzinfo=MSK) and row.amount == Decimal("1.00")


def test_columns_may_come_in_any_order_and_extra_ones_are_ignored():
    text = "status,amount,created_at,comment,key,account,upstream_id\npaid,5.5,2026-11-20T10:00:00+03:00,x,K,A,U\n"
    (row,) = registry.parse(text)
    assert (row.key, row.account, row.upstream_id, row.amount) == ("K", "A", "U", Decimal("5.50"))


def test_a_utf8_bom_is_accepted():
    data = "\ufeffkey,upstream_id,account,amount,status,created_at\r\n".encode()
    assert registry.parse(registry.decode(data)) == []


def test_a_declined_row_may_leave_the_amount_empty_but_a_paid_one_may_not():
    head = "key,upstream_id,account,amount,status,created_at\n"
    (row,) = registry.parse(head + "1,,916,,declined,2026-11-20T10:00:00+03:00\n")
    assert row.amount is None
    with pytest.raises(registry.RegistryInvalid) as exc:
        registry.parse(head + "1,,916,,paid,2026-11-20T10:00:00+03:00\n")
    assert exc.value.code == "registry_invalid" and " 2: " in exc.value.errors[0]


def test_a_file_with_many_bad_lines_reports_a_bounded_list():
    head = "key,upstream_id,account,amount,status,created_at\n"
    with pytest.raises(registry.RegistryInvalid) as exc:
        registry.parse(head + "1,,916,x,paid,2026-11-20T10:00:00+03:00\n" * 1000)
    assert len(exc.value.errors) == registry.MAX_ERRORS + 1
