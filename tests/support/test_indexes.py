"""The look-up queries can use the indexes made for them (PostgreSQL: the partial queue index is
usable only if the planner proves the query's condition implies the index's)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from payments.models import Attempt, Payment
from support import selectors

DAY = datetime(2026, 11, 20, tzinfo=UTC)
# terminal + txn is the unique constraint payment_terminal_txn_unique; on an empty table the planner
# may as well take payment_terminal_paid_idx, so that one is shown by the bench's EXPLAIN instead.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _plan(qs) -> str:
    # Tiny test tables make a sequential scan cheapest; forbid it to see which index can serve.
    with connection.cursor() as c:
        c.execute("SET LOCAL enable_seqscan = off")
    return qs.explain()


@pytest.mark.parametrize("name,make", [
    ("payment_queue_idx", lambda: selectors.queue_queryset(selectors.QueueFilter()).order_by("received_at", "id")[:51]),
    ("payment_queue_idx", lambda: selectors.queue_queryset(selectors.QueueFilter(reason="declined"))
     .order_by("received_at", "id")[:51]),
    ("payment_queue_idx", lambda: Payment.objects.filter(selectors.queue_condition()).values("status", "reason")
     .order_by()),
    ("payment_cheque_idx", lambda: Payment.objects.filter(cheque_number="1001-42")),
    ("payment_account_paid_idx", lambda: Payment.objects.filter(account__in=selectors.account_variants("+79161234567"))),
    ("payment_terminal_paid_idx", lambda: Payment.objects.filter(terminal_id=1, paid_at__gte=DAY,
                                                                 paid_at__lt=DAY + timedelta(days=1), amount="500.00")),
    ("attempt_upstream_idx", lambda: Attempt.objects.filter(upstream_id="CP-1")),
])
def test_each_lookup_can_use_its_index(world, name, make):
    from django.db import transaction

    with transaction.atomic():
        assert name in _plan(make())
