"""Invariants every test of the engine may assert after any step."""

from collections import Counter
from decimal import Decimal

from dealers.models import Dealer, LedgerEntry
from payments.models import Attempt, Event, Payment
from payments.services.transition import TRANSITIONS

HOLDS_DEBIT = {"accepted", "processing", "succeeded"}
NETS_ZERO = {"failed", "cancelled", "held"}
MONEY_KINDS = [LedgerEntry.Kind.PAYMENT_DEBIT, LedgerEntry.Kind.PAYMENT_CREDIT]


def assert_ledger(dealer_ids) -> None:
    """balance == sum of entries; a payment holding a debit nets -credited, a failed one zero."""
    for dealer in Dealer.objects.filter(pk__in=dealer_ids):
        total = sum(LedgerEntry.objects.filter(dealer=dealer).values_list("amount", flat=True), Decimal("0"))
        assert dealer.balance == total, (dealer, dealer.balance, total)
    for p in Payment.objects.filter(dealer_id__in=dealer_ids):
        net = sum(LedgerEntry.objects.filter(payment=p, kind__in=MONEY_KINDS).values_list("amount", flat=True),
                  Decimal("0"))
        if p.status in HOLDS_DEBIT:
            assert net == -p.credited, (p.pk, p.status, net, p.credited)
        else:
            assert p.status in NETS_ZERO and net == 0, (p.pk, p.status, net)


def assert_transitions(payment_ids) -> None:
    """Every event is an allowed change, and the status is where the last event left it."""
    for pid in payment_ids:
        events = list(Event.objects.filter(payment_id=pid).order_by("pk"))
        assert events and events[0].from_status == ""
        for e in events[1:]:
            if e.from_status != e.to_status:
                assert e.to_status in TRANSITIONS[e.from_status], (pid, e.from_status, e.to_status)
        status = Payment.objects.values_list("status", flat=True).get(pk=pid)
        assert events[-1].to_status == status, (pid, events[-1].to_status, status)


def upstream_counts(book, payment_ids) -> Counter:
    """Upstream payments per payment, from the gateway double's own book."""
    owner = dict(Attempt.objects.filter(payment_id__in=payment_ids).values_list("attempt_id", "payment_id"))
    with book.lock:
        return Counter(owner[aid] for (_, aid) in book.paid if aid in owner)


def assert_upstream(book, payment_ids) -> None:
    """At most one upstream payment each; a succeeded payment has exactly one, a failed one none."""
    counts = upstream_counts(book, payment_ids)
    for pid in payment_ids:
        status = Payment.objects.values_list("status", flat=True).get(pk=pid)
        assert counts[pid] <= 1, (pid, counts[pid])
        if status == "succeeded":
            assert counts[pid] == 1, (pid, status)
        if status == "failed":
            assert counts[pid] == 0, (pid, status)


def assert_dealer_money(dealer_ids) -> None:
    """Dealer money (rewards, transfers, top-ups): per dealer the ledger sums to the balance; every reward
    row is credited at most once (a settled row has one settlement entry of kind reward, an accrued or void
    one none); settled rows sum to the dealer's `reward` entries; only a succeeded payment has live rows."""
    from dealers.models import Reward

    for dealer in Dealer.objects.filter(pk__in=dealer_ids):
        total = sum(LedgerEntry.objects.filter(dealer=dealer).values_list("amount", flat=True), Decimal("0"))
        assert dealer.balance == total, (dealer, dealer.balance, total)
        rows = list(Reward.objects.filter(dealer=dealer).select_related("settlement", "payment"))
        for r in rows:
            if r.state in ("settled", "reversed"):
                assert r.settlement is not None and r.settlement.kind == "reward" and r.settlement.dealer_id == dealer.pk
            else:
                assert r.settlement_id is None, (r.pk, r.state)
            if r.state in ("accrued", "settled"):
                assert r.payment.status == "succeeded", (r.pk, r.payment.status)
        settled = sum((r.amount for r in rows if r.state == "settled"), Decimal("0"))
        entries = sum(LedgerEntry.objects.filter(dealer=dealer, kind="reward").values_list("amount", flat=True),
                      Decimal("0"))
        assert settled == entries, (dealer, settled, entries)
        for entry in LedgerEntry.objects.filter(dealer=dealer, kind="reward", payment__isnull=True):
            credited = sum(Reward.objects.filter(settlement=entry).values_list("amount", flat=True), Decimal("0"))
            assert credited == entry.amount, (entry.pk, credited, entry.amount)
