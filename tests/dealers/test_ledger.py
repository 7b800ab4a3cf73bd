import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from dealers.models import Dealer, LedgerEntry
from dealers.services import LedgerError, dealer_create, dealer_topup, ledger_post


def ledger_sum(dealer) -> Decimal:
    return LedgerEntry.objects.filter(dealer=dealer).aggregate(s=Sum("amount"))["s"] or Decimal("0")


@pytest.mark.django_db
def test_balance_equals_sum_of_entries_after_topups_and_debits():
    dealer = dealer_create(name="Shop")
    dealer_topup(dealer=dealer, amount=Decimal("1000.00"))
    with transaction.atomic():
        ledger_post(dealer_id=dealer.pk, kind=LedgerEntry.Kind.PAYMENT_DEBIT, amount=Decimal("-250.55"))
        ledger_post(dealer_id=dealer.pk, kind=LedgerEntry.Kind.PAYMENT_CREDIT, amount=Decimal("100.10"))
    dealer.refresh_from_db()
    assert dealer.balance == Decimal("849.55")
    assert ledger_sum(dealer) == Decimal("849.55")
    assert list(LedgerEntry.objects.filter(dealer=dealer).order_by("id").values_list("balance_after", flat=True)) == [
        Decimal("1000.00"), Decimal("749.45"), Decimal("849.55")]


@pytest.mark.django_db(transaction=True)
def test_ledger_post_outside_a_transaction_is_refused():
    dealer = dealer_create(name="Shop")
    with pytest.raises(LedgerError):
        ledger_post(dealer_id=dealer.pk, kind=LedgerEntry.Kind.ADJUSTMENT, amount=Decimal("1.00"))
    assert LedgerEntry.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5.00")])
def test_topup_must_be_positive(amount):
    dealer = dealer_create(name="Shop")
    with pytest.raises(LedgerError):
        dealer_topup(dealer=dealer, amount=amount)
    dealer.refresh_from_db()
    assert dealer.balance == Decimal("0.00")


@pytest.mark.django_db
def test_topup_refuses_floats():
    dealer = dealer_create(name="Shop")
    with pytest.raises(ValueError):
        dealer_topup(dealer=dealer, amount=10.1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_entries_never_lose_each_other():
    dealer = dealer_create(name="Busy")
    errors = []

    def worker():
        try:
            for _ in range(10):
                with transaction.atomic():
                    ledger_post(dealer_id=dealer.pk, kind=LedgerEntry.Kind.TOPUP, amount=Decimal("1.01"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    dealer.refresh_from_db()
    assert dealer.balance == Decimal("80.80")
    assert ledger_sum(dealer) == Decimal("80.80")


@pytest.mark.django_db
def test_balance_column_cannot_be_set_through_the_model_form():
    # `balance` is not editable: the admin form never offers it, only ledger entries move it.
    assert Dealer._meta.get_field("balance").editable is False


@pytest.mark.django_db
def test_covered_debit_moves_the_balance_and_an_uncovered_one_writes_nothing():
    from dealers.services import ledger_debit_covered

    dealer = dealer_create(name="Shop", credit_limit=Decimal("50.00"))
    dealer_topup(dealer=dealer, amount=Decimal("100.00"))
    with transaction.atomic():
        entry = ledger_debit_covered(dealer_id=dealer.pk, amount=Decimal("149.99"),
                                     kind=LedgerEntry.Kind.PAYMENT_DEBIT)
    assert entry.amount == Decimal("-149.99") and entry.balance_after == Decimal("-49.99")
    with transaction.atomic():
        refused = ledger_debit_covered(dealer_id=dealer.pk, amount=Decimal("0.02"),
                                       kind=LedgerEntry.Kind.PAYMENT_DEBIT)
    assert refused is None
    dealer.refresh_from_db()
    assert dealer.balance == Decimal("-49.99") == ledger_sum(dealer)
    assert LedgerEntry.objects.filter(dealer=dealer).count() == 2
