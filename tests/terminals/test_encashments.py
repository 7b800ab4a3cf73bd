"""POST /encashments: idempotent on the kiosk's id, checked, linked to payments (also those that come later)."""

from decimal import Decimal

import pytest

from dealers.models import LedgerEntry
from payments.models import Payment
from terminals.encashments import encashment_links_sweep, reconciliation
from terminals.models import Encashment, EncashmentTxn

from .conftest import payment

pytestmark = pytest.mark.django_db

KIOSK_ID = "0b5f3c1e-8d2a-4c47-9a51-6f0e2d7b9c10"


def body(**over):
    doc = {"id": KIOSK_ID, "opened_at": "2026-11-02T09:00:00+03:00", "closed_at": "2026-11-02T09:05:00+03:00",
           "notes": {"100": 12, "500": 3}, "total": "2700.00", "txns": ["1", "2", "3"]}
    doc.update(over)
    return doc


def code_of(response):
    return response.json()["error"]["code"]


def test_an_encashment_is_recorded_with_its_notes_and_known_txns_linked(kiosk, terminal):
    kiosk.post_payment(payment(txn="1", amount="1000.00"))
    kiosk.post_payment(payment(txn="2", amount="1200.00"))
    response = kiosk.post_encashment(body())
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["id"] == KIOSK_ID
    assert answer["total"] == "2700.00"
    assert answer["notes"] == {"100": 12, "500": 3}
    assert answer["notes_count"] == 15
    row = Encashment.objects.get(terminal=terminal)
    assert row.total == Decimal("2700.00")
    links = dict(EncashmentTxn.objects.filter(encashment=row).values_list("txn", "payment__txn"))
    assert links == {"1": "1", "2": "2", "3": None}


def test_the_same_body_again_answers_200_with_the_first_answer_and_records_nothing_more(kiosk):
    first = kiosk.post_encashment(body())
    again = kiosk.post_encashment(body())
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Encashment.objects.count() == 1
    assert EncashmentTxn.objects.count() == 3


def test_the_same_content_in_another_order_or_spelling_is_the_same_encashment(kiosk):
    assert kiosk.post_encashment(body()).status_code == 201
    same = body(txns=["3", "1", "2", "1"], notes={"500": 3, "100": 12, "1000": 0},
                opened_at="2026-11-02T06:00:00+00:00")
    assert kiosk.post_encashment(same).status_code == 200


def test_other_content_under_the_same_id_is_409_conflict(kiosk):
    assert kiosk.post_encashment(body()).status_code == 201
    response = kiosk.post_encashment(body(notes={"100": 13, "500": 3}, total="2800.00"))
    assert response.status_code == 409
    assert code_of(response) == "conflict"
    assert kiosk.post_encashment(body(txns=["1", "2"])).status_code == 409
    assert Encashment.objects.get().total == Decimal("2700.00")


def test_the_same_id_from_another_terminal_is_that_terminals_own_encashment(kiosk, make_client, world):
    from terminals.models import Terminal

    other = make_client(Terminal.objects.get(number="1002"))
    assert kiosk.post_encashment(body()).status_code == 201
    assert other.post_encashment(body(total="2700.00", txns=[])).status_code == 201
    assert Encashment.objects.count() == 2


def test_a_total_that_is_not_the_sum_of_the_notes_is_400_invalid(kiosk):
    response = kiosk.post_encashment(body(total="2600.00"))
    assert response.status_code == 400
    assert code_of(response) == "invalid"
    assert "total" in response.json()["error"]["fields"]
    assert Encashment.objects.count() == 0


@pytest.mark.parametrize("notes", [{"300": 1}, {"1": 5}, {"0100": 1}, {"5000.0": 1}, {"abc": 1}, {"100": -1},
                                   {"100": 1.5}, {"100": True}, {"100": "1"}, [100]])
def test_a_denomination_that_is_not_a_ruble_note_or_a_bad_count_is_400_invalid(kiosk, notes):
    response = kiosk.post_encashment(body(notes=notes, total="100.00"))
    assert response.status_code == 400
    assert code_of(response) == "invalid"
    assert "notes" in response.json()["error"]["fields"]


@pytest.mark.parametrize("field,value", [
    ("id", "not-a-uuid"), ("id", None), ("id", "0b5f3c1e8d2a4c479a516f0e2d7b9c10"),
    ("opened_at", "yesterday"), ("closed_at", "2026-11-02T09:05:00"), ("closed_at", "2026-11-01T09:00:00+03:00"),
    ("total", 2700), ("total", "2700.001"), ("txns", "1,2,3"), ("txns", [1, 2]), ("txns", ["12a"]),
    ("txns", ["1"] * 5001),
])
def test_each_malformed_field_is_400_invalid_naming_it(kiosk, field, value):
    response = kiosk.post_encashment(body(**{field: value}))
    assert response.status_code == 400
    assert code_of(response) == "invalid"
    assert field in response.json()["error"]["fields"]


def test_an_empty_cassette_is_an_encashment_of_zero(kiosk):
    response = kiosk.post_encashment(body(notes={}, total="0.00", txns=[]))
    assert response.status_code == 201
    assert response.json()["notes_count"] == 0


def test_a_blocked_terminal_still_posts_its_encashment(kiosk, terminal):
    from terminals.services import terminal_block

    terminal_block(terminal=terminal)
    assert kiosk.post_encashment(body()).status_code == 201


def test_an_unsigned_encashment_is_refused(kiosk):
    response = kiosk.request("POST", "/encashments", kiosk.encode(body()), sign=False)
    assert response.status_code == 401
    assert Encashment.objects.count() == 0


def test_notes_vs_recorded_counts_a_failed_payments_cash(kiosk, terminal):
    kiosk.post_payment(payment(txn="1", amount="1000.00"))
    kiosk.post_payment(payment(txn="2", amount="1200.00"))
    kiosk.post_payment(payment(txn="3", amount="500.00"))
    Payment.objects.filter(terminal=terminal, txn="3").update(status="failed", reason="declined")
    kiosk.post_encashment(body())
    figures = reconciliation(Encashment.objects.get())
    assert figures.recorded == Decimal("2700.00")
    assert figures.notes_total == Decimal("2700.00")
    assert figures.difference == Decimal("0.00")
    assert (figures.linked, figures.pending) == (3, 0)


def test_a_missing_payment_shows_as_cash_above_the_recorded(kiosk):
    kiosk.post_payment(payment(txn="1", amount="1000.00"))
    kiosk.post_encashment(body(txns=["1"]))
    figures = reconciliation(Encashment.objects.get())
    assert figures.recorded == Decimal("1000.00")
    assert figures.difference == Decimal("1700.00")


def test_an_encashment_posted_before_two_of_its_payments_links_them_when_they_arrive(kiosk, terminal):
    kiosk.post_payment(payment(txn="1", amount="1000.00"))
    kiosk.post_encashment(body())
    row = Encashment.objects.get()
    assert (reconciliation(row).linked, reconciliation(row).pending) == (1, 2)
    kiosk.post_batch([payment(txn="2", amount="1200.00"), payment(txn="3", amount="500.00")])
    assert encashment_links_sweep() == 2
    figures = reconciliation(row)
    assert (figures.linked, figures.pending) == (3, 0)
    assert figures.recorded == Decimal("2700.00")
    assert dict(row.txns.values_list("txn", "payment__amount")) == {
        "1": Decimal("1000.00"), "2": Decimal("1200.00"), "3": Decimal("500.00")}
    assert encashment_links_sweep() == 0


def test_the_sweep_does_not_link_another_terminals_payment_with_the_same_txn(kiosk, make_client, world):
    from terminals.models import Terminal

    other = make_client(Terminal.objects.get(number="1002"))
    kiosk.post_encashment(body(txns=["7"], notes={"100": 1}, total="100.00"))
    other.post_payment(payment(txn="7", amount="100.00"))
    assert encashment_links_sweep() == 0
    assert EncashmentTxn.objects.get().payment_id is None


def test_an_encashment_writes_no_ledger_entry_and_leaves_the_balance(kiosk, demo):
    kiosk.post_payment(payment(txn="1", amount="1000.00"))
    demo.refresh_from_db()
    balance, entries = demo.balance, LedgerEntry.objects.count()
    kiosk.post_encashment(body())
    kiosk.post_payment(payment(txn="2", amount="1200.00"))
    encashment_links_sweep()
    demo.refresh_from_db()
    assert LedgerEntry.objects.count() == entries + 1  # payment 2's debit, nothing for the encashment
    assert demo.balance == balance - Decimal("1200.00")
    assert not LedgerEntry.objects.filter(comment__icontains="encash").exists()


def test_the_link_task_links_pending_txns(kiosk):
    from terminals.tasks import link_encashments

    kiosk.post_encashment(body(txns=["5"], notes={"100": 1}, total="100.00"))
    kiosk.post_payment(payment(txn="5", amount="100.00"))
    assert link_encashments.apply().get() == 1
