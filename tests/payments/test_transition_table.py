"""The allowed state changes, written out here and not read from the production table.

A row added to (or dropped from) `TRANSITIONS` by mistake fails these tests; the engine's
invariant check (tests/payments/invariants.py) reads the production table and could not.
"""

import itertools

import pytest

from payments.errors import IllegalTransition
from payments.models import Event, Payment, Status
from payments.services.transition import TRANSITIONS, payment_transition

S = Status
EXPECTED = {
    (S.ACCEPTED, S.PROCESSING), (S.ACCEPTED, S.HELD), (S.ACCEPTED, S.FAILED), (S.ACCEPTED, S.CANCELLED),
    (S.HELD, S.ACCEPTED), (S.HELD, S.FAILED), (S.HELD, S.CANCELLED),
    (S.PROCESSING, S.SUCCEEDED), (S.PROCESSING, S.FAILED), (S.PROCESSING, S.ACCEPTED),
    (S.FAILED, S.ACCEPTED), (S.FAILED, S.HELD), (S.FAILED, S.CANCELLED),
    (S.SUCCEEDED, S.CANCELLED),  # a reversal
}
ALL_PAIRS = set(itertools.product(list(S), list(S)))


def test_the_production_table_allows_exactly_the_expected_moves():
    allowed = {(old, new) for old, targets in TRANSITIONS.items() for new in targets}
    assert allowed == EXPECTED
    assert set(TRANSITIONS) == set(S)


@pytest.mark.parametrize(("old", "new"), sorted(ALL_PAIRS - EXPECTED))
def test_every_forbidden_move_raises_and_changes_nothing(old, new, engine):
    p = engine.accept()
    Payment.objects.filter(pk=p.pk).update(status=old)
    p.refresh_from_db()
    events = Event.objects.filter(payment=p).count()
    with pytest.raises(IllegalTransition):
        payment_transition(payment=p, to=new, actor="test")
    p.refresh_from_db()
    assert p.status == old
    assert Event.objects.filter(payment=p).count() == events


@pytest.mark.parametrize(("old", "new"), sorted(EXPECTED))
def test_every_allowed_move_is_made_with_its_event(old, new, engine):
    p = engine.accept()
    Payment.objects.filter(pk=p.pk).update(status=old)
    p.refresh_from_db()
    assert payment_transition(payment=p, to=new, actor="test", reason="why") is True
    p.refresh_from_db()
    assert p.status == new
    last = Event.objects.filter(payment=p).order_by("pk").last()
    assert (last.from_status, last.to_status, last.reason) == (old, new, "why")
