"""kit/rows.py: the hot path's compiled-once statements give what the ORM gives, on SQLite and PostgreSQL."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from kit import rows

pytestmark = pytest.mark.django_db


def values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def _payment(terminal):
    from payments.services import PaymentRequest, payment_accept

    req = PaymentRequest(txn="r-1", provider_code="mts", account="9161234567", amount=Decimal("123.45"),
                         paid_at=timezone.now() - timedelta(minutes=3), fields={"ACCOUNT": "x", "n": 1})
    payment, _ = payment_accept(terminal=terminal, request=req)
    return payment


def test_a_row_read_by_primary_key_is_the_orm_instance_field_for_field(terminal):
    from gateways.models import Gateway
    from payments.models import Payment

    p = _payment(terminal)
    Payment.objects.filter(pk=p.pk).update(flags=["a", {"b": 2}], next_try_at=timezone.now())
    s = rows.shape(Payment)
    got = rows.fetch(Payment, f"SELECT {s.columns()} FROM {s.table} WHERE id = %s", [p.pk])  # noqa: S608
    assert len(got) == 1
    assert values(got[0]) == values(Payment.objects.get(pk=p.pk))
    assert got[0]._state.adding is False and got[0]._state.db == "default"
    # Encrypted text comes back decrypted, exactly as the ORM gives it.
    gw = Gateway.objects.exclude(private_key="").first()
    g = rows.shape(Gateway)
    [mine] = rows.fetch(Gateway, f"SELECT {g.columns()} FROM {g.table} WHERE id = %s", [gw.pk])  # noqa: S608
    assert values(mine) == values(Gateway.objects.get(pk=gw.pk)) and mine.private_key.startswith("-----BEGIN")


def test_extra_columns_come_back_beside_the_instance_and_a_partial_row_defers_the_rest(terminal):
    from dealers.models import Dealer
    from payments.models import Payment

    p = _payment(terminal)
    s = rows.shape(Payment)
    [(mine, extra)] = rows.fetch(Payment, f"SELECT {s.columns('p')}, d.path FROM {s.table} p "  # noqa: S608
                                 "JOIN dealers_dealer d ON d.id = p.dealer_id WHERE p.id = %s", [p.pk])
    assert mine.pk == p.pk and extra == (Dealer.objects.get(pk=p.dealer_id).path,)
    partial = rows.build(Dealer, [p.dealer_id, "/x/"], names=("id", "path"))
    assert partial.path == "/x/" and partial.get_deferred_fields()
    assert partial.name == Dealer.objects.get(pk=p.dealer_id).name  # loads on access


def test_an_insert_writes_the_row_the_orm_would_with_defaults_and_now(terminal):
    from payments.models import Attempt, Event

    p = _payment(terminal)
    before = timezone.now()
    e = rows.insert(Event, {"payment": p, "from_status": "accepted", "to_status": "processing", "reason": "r",
                            "actor": "worker", "user": None, "detail": {"k": [1, "д"]}})
    stored = Event.objects.get(pk=e.pk)
    assert values(e) == values(stored)
    assert stored.created_at >= before and stored.detail == {"k": [1, "д"]} and stored.user_id is None
    assert e.payment is p  # the instance given is kept, as Model(payment=p) keeps it
    a = rows.insert(Attempt, {"payment": p, "gateway_id": _gateway().pk, "attempt_id": "123",
                              "remote_id": "mt", "round": 1})
    stored = Attempt.objects.get(pk=a.pk)
    assert values(a) == values(stored)
    assert (stored.state, stored.polls, stored.exchange, stored.finished_at) == ("open", 0, [], None)


def _gateway():
    from gateways.models import Gateway

    return Gateway.objects.first()


def test_an_insert_that_meets_an_existing_unique_value_writes_nothing_and_the_transaction_goes_on(terminal):
    from payments.models import Attempt

    p = _payment(terminal)
    with transaction.atomic():
        first = rows.insert(Attempt, {"payment": p, "gateway": _gateway(), "attempt_id": "777"},
                            on_conflict="attempt_id")
        again = rows.insert(Attempt, {"payment": p, "gateway": _gateway(), "attempt_id": "777"},
                            on_conflict="attempt_id")
        assert first is not None and again is None
        assert Attempt.objects.filter(attempt_id="777").count() == 1  # still usable after the clash


def test_an_update_compares_and_sets_and_prepares_values_as_the_orm(terminal):
    from payments.models import Payment

    p = _payment(terminal)
    when = timezone.now() + timedelta(seconds=30)
    assert rows.update(Payment, p.pk, {"reason": "x", "next_try_at": when, "flags": ["f"]},
                       where={"status": "processing"}) == 0
    assert Payment.objects.get(pk=p.pk).reason == ""
    assert rows.update(Payment, p.pk, {"reason": "x", "next_try_at": when, "flags": ["f"], "gateway": _gateway()},
                       where={"status": p.status}) == 1
    stored = Payment.objects.get(pk=p.pk)
    assert (stored.reason, stored.next_try_at, stored.flags, stored.gateway_id) == ("x", when, ["f"], _gateway().pk)


def test_the_lock_clause_is_the_backends_own():
    if connection.vendor == "postgresql":
        assert rows.lock_clause(of="p") == ' FOR UPDATE OF "p"' and rows.lock_clause() == " FOR UPDATE"
    else:
        assert rows.lock_clause(of="p") == ""


def test_a_multi_row_insert_ignoring_conflicts_writes_what_bulk_create_would(terminal):
    from dealers.models import Reward

    p = _payment(terminal)
    objs = [Reward(payment_id=p.pk, dealer_id=p.dealer_id, level=0, amount=Decimal("1.50")),
            Reward(payment_id=p.pk, dealer_id=terminal.dealer.parent_id or p.dealer_id, level=1, amount=Decimal("0.25"))]
    rows.insert_ignoring_conflicts(Reward, objs)
    rows.insert_ignoring_conflicts(Reward, objs)  # again: the (payment, dealer) rows exist, nothing more written
    rows.insert_ignoring_conflicts(Reward, [])
    stored = list(Reward.objects.filter(payment=p).order_by("level").values_list("dealer_id", "level", "amount", "state"))
    assert stored[0] == (p.dealer_id, 0, Decimal("1.50"), "accrued")
    assert len(stored) == len({o.dealer_id for o in objs})
    assert all(r.created_at is not None for r in Reward.objects.filter(payment=p))
