"""Every kind of mismatch is reported once, with the right kind; a clean day is reconciled."""

import datetime as dt
from decimal import Decimal

import pytest

from gateways.reconcile.models import Discrepancy, Reconciliation, ReconciliationEvent
from gateways.reconcile.services import reconciliation_run
from gateways.simulators.models import SimulatorState

from .conftest import MSK, NOON


def _found(rec):
    return sorted((d.kind, d.key) for d in rec.discrepancies.filter(state="open"))


@pytest.fixture
def messy_day(cyberplat, pay, book):
    """One matched payment and one of each mismatch, plus rows that must not be reported."""
    gw, code = cyberplat, "cyberplat"
    pay("100000000000000001", gateway=gw)                                         # matched
    book(code, "100000000000000001", "paid", "100.00")
    book(code, "100000000000000002", "paid", "150.00", account="9160000002")      # missing on ours
    pay("100000000000000003", gateway=gw, credited="120.00")                      # missing on theirs
    pay("100000000000000004", gateway=gw, credited="200.00")                      # amount differs
    book(code, "100000000000000004", "paid", "250.00")
    pay("100000000000000005", gateway=gw, status="failed", outcome="declined")    # they paid, we failed
    book(code, "100000000000000005", "paid", "100.00")
    pay("100000000000000006", gateway=gw, credited="60.00")                       # they declined, we succeeded
    book(code, "100000000000000006", "declined", "60.00")
    # Duplicate on theirs: our first try ...07 was answered "retry", so we sent ...08 and it
    # succeeded; the gateway booked both: the customer's 300.00 was credited twice.
    p7, _ = pay("100000000000000007", gateway=gw, status="succeeded", credited="300.00", outcome="retry",
                account="9167777777")
    pay("100000000000000008", gateway=gw, credited="300.00", account="9167777777", payment=p7)
    book(code, "100000000000000007", "paid", "300.00", account="9167777777")
    book(code, "100000000000000008", "paid", "300.00", account="9167777777")
    # Not discrepancies: both pending, both declined, a counter, a bare check, another day, another gateway.
    pay("100000000000000009", gateway=gw, status="processing", outcome="", state="open")
    book(code, "100000000000000009", "pending", "100.00")
    pay("100000000000000010", gateway=gw, status="failed", outcome="declined")
    book(code, "100000000000000010", "declined", "100.00")
    book(code, "counter:transient:9160000004", "counter", None, account="")
    book(code, "100000000000000011", "checked", None)
    pay("100000000000000012", gateway=gw, at=NOON - dt.timedelta(days=1))
    book("osmp", "100000000000000013", "paid", "100.00")
    return gw


EXPECTED = [
    ("amount_differs", "100000000000000004"),
    ("duplicate_theirs", "100000000000000007"),
    ("missing_ours", "100000000000000002"),
    ("missing_theirs", "100000000000000003"),
    ("status_differs", "100000000000000005"),
    ("status_differs", "100000000000000006"),
]


def test_each_kind_of_mismatch_is_reported_with_its_kind(messy_day, day):
    rec = reconciliation_run(gateway=messy_day, day=day)
    assert _found(rec) == EXPECTED
    assert rec.status == "open" and rec.source == "simulator"
    assert (rec.open_count, rec.discrepancy_count) == (6, 6)
    assert rec.their_count == 9  # paid x6, declined x2, pending x1; counter and check left out
    assert rec.our_count == 5  # successful attempts started that day (the 07 try was a retry)
    assert rec.matched_count == 2  # 01, and 08 (the original of the duplicate)


def test_reported_values_show_both_sides(messy_day, day):
    rec = reconciliation_run(gateway=messy_day, day=day)
    amount = rec.discrepancies.get(kind="amount_differs")
    assert (amount.our_amount, amount.their_amount) == (Decimal("200.00"), Decimal("250.00"))
    assert amount.payment is not None and amount.payment.credited == Decimal("200.00")
    declined = rec.discrepancies.get(key="100000000000000006")
    assert (declined.our_status, declined.their_status) == ("succeeded", "declined")
    failed = rec.discrepancies.get(key="100000000000000005")
    assert (failed.our_status, failed.their_status) == ("failed", "paid")
    missing = rec.discrepancies.get(kind="missing_ours")
    assert missing.payment is None and missing.their_amount == Decimal("150.00") and missing.account == "9160000002"
    dup = rec.discrepancies.get(kind="duplicate_theirs")
    assert dup.key == "100000000000000007" and dup.detail["same_as"] == "100000000000000008"
    assert dup.payment.attempts.filter(attempt_id="100000000000000008").exists()
    assert (dup.their_amount, dup.their_status, dup.our_status) == (Decimal("300.00"), "paid", "succeeded")


def test_a_clean_day_is_marked_reconciled(cyberplat, pay, book, day):
    pay("200000000000000001", gateway=cyberplat, credited="100.00")
    book("cyberplat", "200000000000000001", "paid", "100.00")
    pay("200000000000000002", gateway=cyberplat, status="failed", outcome="declined")
    book("cyberplat", "200000000000000002", "declined", "100.00")
    rec = reconciliation_run(gateway=cyberplat, day=day)
    assert rec.status == Reconciliation.Status.RECONCILED
    assert (rec.open_count, rec.discrepancy_count, rec.matched_count) == (0, 0, 1)
    assert rec.their_paid_total == Decimal("100.00") and rec.our_paid_total == Decimal("100.00")


def test_an_empty_day_on_both_sides_is_reconciled(cyberplat, day):
    rec = reconciliation_run(gateway=cyberplat, day=day)
    assert rec.status == "reconciled" and rec.their_count == 0


def test_running_twice_reports_nothing_twice(messy_day, day):
    reconciliation_run(gateway=messy_day, day=day)
    rec = reconciliation_run(gateway=messy_day, day=day)
    assert _found(rec) == EXPECTED
    assert Discrepancy.objects.count() == 6
    assert ReconciliationEvent.objects.filter(kind="opened").count() == 6
    assert Reconciliation.objects.count() == 1 and rec.runs == 2


def test_a_discrepancy_that_vanishes_is_closed_automatically_with_a_note(messy_day, day, book):
    from gateways.simulators.models import SimRecord

    reconciliation_run(gateway=messy_day, day=day)
    SimRecord.objects.filter(code="cyberplat", key="100000000000000004").update(amount=Decimal("200.00"))
    rec = reconciliation_run(gateway=messy_day, day=day)
    gone = rec.discrepancies.get(kind="amount_differs")
    assert gone.state == "gone" and gone.resolved_by is None and "No longer found" in gone.resolution
    assert ReconciliationEvent.objects.filter(kind="closed", discrepancy=gone).count() == 1
    assert rec.open_count == 5 and rec.discrepancy_count == 6


def test_a_vanished_discrepancy_seen_again_is_reopened_not_duplicated(messy_day, day):
    from gateways.simulators.models import SimRecord

    reconciliation_run(gateway=messy_day, day=day)
    SimRecord.objects.filter(key="100000000000000004").update(amount=Decimal("200.00"))
    reconciliation_run(gateway=messy_day, day=day)
    SimRecord.objects.filter(key="100000000000000004").update(amount=Decimal("210.00"))
    rec = reconciliation_run(gateway=messy_day, day=day)
    d = rec.discrepancies.get(kind="amount_differs")
    assert d.state == "open" and d.their_amount == Decimal("210.00")
    assert rec.discrepancies.filter(kind="amount_differs").count() == 1
    assert ReconciliationEvent.objects.filter(kind="reopened", discrepancy=d).count() == 1


def test_a_pending_payment_that_finishes_clears_its_status_discrepancy(cyberplat, pay, book, day):
    from payments.models import Attempt, Payment

    p, a = pay("300000000000000001", gateway=cyberplat, status="processing", outcome="", state="open")
    book("cyberplat", "300000000000000001", "paid", "100.00")
    rec = reconciliation_run(gateway=cyberplat, day=day)
    assert _found(rec) == [("status_differs", "300000000000000001")]
    Attempt.objects.filter(pk=a.pk).update(state="closed", outcome="ok")
    Payment.objects.filter(pk=p.pk).update(status="succeeded")
    rec = reconciliation_run(gateway=cyberplat, day=day)
    assert rec.status == "reconciled" and rec.open_count == 0 and rec.matched_count == 1


def test_a_payment_booked_by_the_gateway_after_midnight_is_not_missing_on_ours(cyberplat, pay, book, day):
    late = dt.datetime(2026, 11, 19, 23, 59, 59, tzinfo=MSK)
    pay("400000000000000001", gateway=cyberplat, at=late)
    book("cyberplat", "400000000000000001", "paid", "100.00", at=dt.datetime(2026, 11, 20, 0, 0, 1, tzinfo=MSK))
    rec = reconciliation_run(gateway=cyberplat, day=day)
    assert rec.status == "reconciled" and rec.matched_count == 1


def test_an_unreachable_simulator_leaves_the_day_awaiting_its_registry(cyberplat, pay, day):
    pay("500000000000000001", gateway=cyberplat)
    SimulatorState.objects.update_or_create(code="cyberplat", defaults={"down": True})
    rec = reconciliation_run(gateway=cyberplat, day=day)
    assert rec.status == "awaiting_registry"
    assert rec.last_error.startswith("registry_unavailable")
    assert rec.discrepancies.count() == 0


def test_a_real_gateway_without_an_uploaded_registry_awaits_it(real_gateway, day):
    rec = reconciliation_run(gateway=real_gateway, day=day)
    assert rec.status == "awaiting_registry" and rec.last_error == ""


def test_a_payment_sent_before_midnight_and_booked_after_is_missing_on_neither_day(cyberplat, pay, book, day):
    pay("400000000000000002", gateway=cyberplat, at=dt.datetime(2026, 11, 20, 23, 59, 30, tzinfo=MSK))
    book("cyberplat", "400000000000000002", "paid", "100.00", at=dt.datetime(2026, 11, 21, 0, 0, 10, tzinfo=MSK))
    first = reconciliation_run(gateway=cyberplat, day=day)
    second = reconciliation_run(gateway=cyberplat, day=day + dt.timedelta(days=1))
    assert (first.status, first.our_count, first.their_count) == ("reconciled", 1, 0)
    assert (second.status, second.matched_count) == ("reconciled", 1)


def test_a_late_payment_the_gateway_never_booked_is_missing_on_theirs(cyberplat, pay, day):
    pay("400000000000000003", gateway=cyberplat, at=dt.datetime(2026, 11, 20, 23, 59, 30, tzinfo=MSK))
    rec = reconciliation_run(gateway=cyberplat, day=day)
    assert _found(rec) == [("missing_theirs", "400000000000000003")]


def test_a_midday_payment_booked_on_another_day_is_still_reported(cyberplat, pay, book, day):
    pay("400000000000000004", gateway=cyberplat)
    book("cyberplat", "400000000000000004", "paid", "100.00", at=NOON + dt.timedelta(days=1))
    rec = reconciliation_run(gateway=cyberplat, day=day)
    assert _found(rec) == [("missing_theirs", "400000000000000004")]
