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


def _chain(p, *, attempt_id: str, status: str):
    """The engine's reserve-and-record shape: an attempt; the payment moved (compare-and-set on
    `status`) only when the attempt was written; its event and a reward row only when it moved."""
    from dealers.models import Reward
    from payments.models import Attempt, Event, Payment

    chain = rows.Chain()
    added = chain.insert(Attempt, {"payment": p, "gateway": _gateway(), "attempt_id": attempt_id, "round": 1},
                         on_conflict="attempt_id")
    moved = chain.update(Payment, p.pk, {"status": "processing", "reason": "", "flags": ["x"]},
                         where={"status": status}, after=added)
    event = chain.insert(Event, {"payment": p, "from_status": status, "to_status": "processing", "reason": "",
                                 "actor": "worker", "user": None, "detail": {"a": attempt_id}}, after=moved)
    reward = chain.insert_new(Reward(payment_id=p.pk, dealer_id=p.dealer_id, level=0, amount=Decimal("1.50")),
                              after=moved)
    return chain, (added, moved, event, reward)


def test_a_chain_writes_the_rows_the_step_by_step_statements_write(terminal, django_assert_max_num_queries):
    from dealers.models import Reward
    from payments.models import Attempt, Event, Payment

    p = _payment(terminal)
    chain, (added, moved, event, reward) = _chain(p, attempt_id="901", status=p.status)
    # One statement on PostgreSQL (a data-modifying CTE); one per step elsewhere.
    with django_assert_max_num_queries(1 if connection.vendor == "postgresql" else 4):
        chain.run()
    assert (added.written, moved.written, event.written, reward.written) == (True, True, True, True)
    assert values(added.obj) == values(Attempt.objects.get(attempt_id="901"))
    assert values(event.obj) == values(Event.objects.get(pk=event.obj.pk))
    assert event.obj.detail == {"a": "901"} and event.obj.payment is p
    stored = Payment.objects.get(pk=p.pk)
    assert (stored.status, stored.flags) == ("processing", ["x"])
    assert list(Reward.objects.filter(payment=p).values_list("dealer_id", "level", "amount", "state")) == [
        (p.dealer_id, 0, Decimal("1.50"), "accrued")]
    assert Reward.objects.get(payment=p).created_at is not None  # pre_save ran, as bulk_create runs it
    # The same rows again: the attempt id clashes, so nothing after it is written either.
    chain, (added, moved, event, reward) = _chain(p, attempt_id="901", status="processing")
    chain.run()
    assert (added.written, moved.written, event.written, reward.written) == (False, False, False, False)
    assert (Attempt.objects.count(), Event.objects.filter(payment=p).count(), Reward.objects.count()) == (1, 2, 1)


def test_a_step_after_a_compare_and_set_that_missed_is_not_written(terminal):
    from dealers.models import Reward
    from payments.models import Attempt, Event, Payment

    p = _payment(terminal)
    chain, (added, moved, event, reward) = _chain(p, attempt_id="902", status="failed")  # it is accepted
    chain.run()
    assert (added.written, moved.written, event.written, reward.written) == (True, False, False, False)
    assert Attempt.objects.filter(attempt_id="902").exists()
    assert Payment.objects.get(pk=p.pk).status == p.status
    assert not Reward.objects.filter(payment=p).exists()
    assert list(Event.objects.filter(payment=p).values_list("to_status", flat=True)) == [p.status]


@pytest.mark.django_db(transaction=True)
def test_a_step_expected_to_write_that_did_not_rolls_the_whole_chain_back(terminal, monkeypatch):
    """Outside any transaction (autocommit), as a caller without one runs it."""
    from django.db import DatabaseError

    from kit import queue
    from payments.models import Attempt, Payment

    # The acceptance commits here: its messages must not reach the broker's shared queue (the
    # sweeper's tests read that queue's depth).
    monkeypatch.setattr(queue, "enqueue", lambda task, *args: None)
    p = _payment(terminal)
    chain = rows.Chain()
    chain.insert(Attempt, {"payment": p, "gateway": _gateway(), "attempt_id": "903"})
    chain.update(Payment, 10**9, {"reason": "x"}, expect="payment 10**9 is gone")
    with pytest.raises(DatabaseError, match="is gone"):
        chain.run()
    assert not Attempt.objects.filter(attempt_id="903").exists()  # outside a transaction too


def test_the_same_steps_with_and_without_an_expectation_are_two_statements(terminal):
    """The statement built for a shape is kept: whether a step must write is part of the shape."""
    from django.db import DatabaseError

    from payments.models import Payment

    p = _payment(terminal)
    loose = rows.Chain()
    loose.update(Payment, 10**9, {"reason": "x"})
    loose.run()  # writes nothing, says nothing
    strict = rows.Chain()
    strict.update(Payment, 10**9, {"reason": "x"}, expect="no such payment")
    with pytest.raises(DatabaseError, match="no such payment"), transaction.atomic():
        strict.run()
    again = rows.Chain()
    again.update(Payment, p.pk, {"reason": "y"})
    again.run()
    assert Payment.objects.get(pk=p.pk).reason == "y"


def test_the_callbacks_of_a_step_run_only_when_it_wrote(terminal):
    from payments.models import Payment

    p = _payment(terminal)
    seen = []
    chain = rows.Chain()
    chain.update(Payment, p.pk, {"reason": "a"}, where={"status": "failed"}).then.append(lambda: seen.append("a"))
    chain.update(Payment, p.pk + 10**9, {"reason": "b"}).then.append(lambda: seen.append("b"))
    chain.run()
    assert seen == []
    chain = rows.Chain()
    chain.update(Payment, p.pk, {"reason": "c"}, where={"status": p.status}).then.append(lambda: seen.append("c"))
    chain.run()
    assert seen == ["c"] and Payment.objects.get(pk=p.pk).reason == "c"


def test_a_value_read_with_the_writes_sees_the_rows_as_they_were_before_them(terminal):
    from payments.models import Payment

    p = _payment(terminal)
    s = rows.shape(Payment)
    sql = f"SELECT reason FROM {s.table} WHERE id = %s"  # noqa: S608
    chain = rows.Chain()
    chain.update(Payment, p.pk, {"reason": "changed"})
    before, missing = chain.also(sql, [p.pk]), chain.also(sql, [10**9])
    chain.run()
    assert (before.value, missing.value) == ("", None)
    assert Payment.objects.get(pk=p.pk).reason == "changed"


def test_a_step_after_a_step_of_another_chain_is_refused(terminal):
    from payments.models import Payment

    p = _payment(terminal)
    other = rows.Chain().update(Payment, p.pk, {"reason": "a"})
    with pytest.raises(ValueError, match="earlier step"):
        rows.Chain().update(Payment, p.pk, {"reason": "b"}, after=other)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL only")
def test_on_postgresql_a_chain_is_one_prepared_statement(terminal):
    from django.test.utils import CaptureQueriesContext

    p = _payment(terminal)
    chain, _ = _chain(p, attempt_id="904", status=p.status)
    with CaptureQueriesContext(connection) as seen:
        chain.run()
    [q] = seen.captured_queries
    assert q["sql"].startswith("WITH s0 AS (INSERT INTO")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'WITH s0 AS%%'")
        assert cursor.fetchone()[0] == 1
