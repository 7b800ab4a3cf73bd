"""A Hypothesis state machine drives acceptance, gateway replies, submissions, polls, dead workers,
sweeps, top-ups and the operators' actions (resend, correct, cancel, reverse, resolve) in random
orders; after every step nothing is illegal, doubled or lost."""

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.payments import invariants

pytestmark = pytest.mark.django_db

_n = itertools.count(1)

CHECK_REPLIES = ["ok", "decline", "retry", "timeout", "garbage", "config"]
PAY_REPLIES = ["ok", "decline", "reroute", "retry", "timeout", "lost", "garbage", "config"]
STATUS_REPLIES = ["pending", "timeout", "garbage"]


class WorkerKilled(BaseException):
    pass


def test_random_interleavings_keep_every_invariant(engine, monkeypatch):
    from django.contrib.auth import get_user_model

    from dealers.services import dealer_create, dealer_topup
    from gateways.models import Gateway, GatewayHealth
    from payments.errors import ActionRefused
    from payments.models import Attempt, Payment
    from payments.services import submit as submit_mod
    from payments.services.cancel import payment_cancel
    from payments.services.correct import payment_correct
    from payments.services.poll import payment_poll
    from payments.services.resend import payment_resend
    from payments.services.resolve import payment_resolve
    from payments.services.reverse import payment_reverse
    from terminals.models import Terminal

    real_record = submit_mod._record
    operator = get_user_model().objects.get(username="senior")

    class Engine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            engine.book.script.clear()
            GatewayHealth.objects.all().delete()
            Gateway.objects.filter(code__in=["alpha", "beta"]).update(is_active=True)
            n = next(_n)
            self.dealer = dealer_create(name=f"SM {n}")
            dealer_topup(dealer=self.dealer, amount=Decimal("500.00"))
            self.terminal = Terminal.objects.create(number=f"77{n:04d}", dealer=self.dealer)
            self.payments: list[int] = []
            # --- dealer money (issue 17): a reward rate for the root, a sub-agent to transfer to ---
            from datetime import timedelta

            from dealers.services import agent_create
            from providers.models import RewardRule

            RewardRule.objects.get_or_create(provider=engine.provider, dealer=None, defaults={
                "percent": Decimal("1.500"), "fixed": Decimal("0.10"),
                "valid_from": engine.clock.now() - timedelta(days=1)})
            self.agent = agent_create(parent=self.dealer, name=f"SM agent {n}")
            # --- end dealer money ---

        @rule(amount=st.sampled_from(["10.00", "99.99", "250.00"]), suffix=st.integers(0, 9999))
        def accept(self, amount, suffix):
            p = engine.accept(account=f"916000{suffix:04d}", amount=amount, terminal=self.terminal)
            self.payments.append(p.pk)

        @rule(gw=st.sampled_from(["alpha", "beta"]), kind=st.sampled_from(CHECK_REPLIES))
        def script_check(self, gw, kind):
            engine.book.queue(gw, "check", kind)

        @rule(gw=st.sampled_from(["alpha", "beta"]), kind=st.sampled_from(PAY_REPLIES))
        def script_pay(self, gw, kind):
            engine.book.queue(gw, "pay", kind)

        @rule(gw=st.sampled_from(["alpha", "beta"]), kind=st.sampled_from(STATUS_REPLIES))
        def script_status(self, gw, kind):
            engine.book.queue(gw, "status", kind)

        @precondition(lambda self: self.payments)
        @rule(i=st.integers(0, 100), check=st.sampled_from(CHECK_REPLIES), pay=st.sampled_from(PAY_REPLIES),
              killed=st.booleans())
        def submit(self, i, check, pay, killed):
            """The next replies of both gateways are scripted, then a worker runs (or dies at the seam)."""
            pid = self.payments[i % len(self.payments)]
            for gw in ("alpha", "beta"):
                engine.book.script[(gw, "check")].clear()
                engine.book.script[(gw, "pay")].clear()
                engine.book.queue(gw, "check", check)
                engine.book.queue(gw, "pay", pay)
            if killed:
                def die(*a, **k):
                    raise WorkerKilled
                monkeypatch.setattr(submit_mod, "_record", die)
            try:
                submit_mod.payment_submit(payment_id=pid)
            except WorkerKilled:
                pass
            finally:
                monkeypatch.setattr(submit_mod, "_record", real_record)

        @precondition(lambda self: self.payments)
        @rule(i=st.integers(0, 100), status=st.sampled_from([*STATUS_REPLIES, "truth"]))
        def poll(self, i, status):
            if status != "truth":
                engine.book.queue("alpha", "status", status)
                engine.book.queue("beta", "status", status)
            engine.clock.advance(61)  # past any poll schedule or attempt lease
            payment_poll(payment_id=self.payments[i % len(self.payments)])

        @rule(seconds=st.sampled_from([1, 5, 30, 61, 600, 90000]))
        def sweep(self, seconds):
            engine.clock.advance(seconds)
            engine.sweep()
            engine.broker.run()

        @rule(gw=st.sampled_from(["alpha", "beta"]), active=st.booleans())
        def switch_gateway(self, gw, active):
            Gateway.objects.filter(code=gw).update(is_active=active)

        @rule(amount=st.sampled_from(["50.00", "300.00"]))
        def topup(self, amount):
            dealer_topup(dealer=self.dealer, amount=Decimal(amount))

        # --- operators (each refused, with nothing changed, when the payment's state does not allow it)
        def _pid(self, i):
            return self.payments[i % len(self.payments)]

        def _operator(self, action, **kw):
            try:
                action(user=operator, comment="state machine", **kw)
            except ActionRefused:
                pass

        @precondition(lambda self: self.payments)
        @rule(i=st.integers(0, 100))
        def resend(self, i):
            self._operator(payment_resend, payment_id=self._pid(i))

        @precondition(lambda self: self.payments)
        @rule(i=st.integers(0, 100), suffix=st.integers(0, 9999))
        def correct(self, i, suffix):
            self._operator(payment_correct, payment_id=self._pid(i), account=f"926000{suffix:04d}")

        @precondition(lambda self: self.payments)
        @rule(i=st.integers(0, 100))
        def cancel(self, i):
            self._operator(payment_cancel, payment_id=self._pid(i))

        @precondition(lambda self: self.payments)
        @rule(i=st.integers(0, 100))
        def reverse(self, i):
            self._operator(payment_reverse, payment_id=self._pid(i), reference="REV")

        @precondition(lambda self: self.payments)
        @rule(i=st.integers(0, 100))
        def resolve(self, i):
            """Support phones the gateway: the truth is in its book (paid or not)."""
            pid = self._pid(i)
            attempt = Attempt.objects.filter(payment_id=pid, state="open").select_related("gateway").last()
            booked = attempt is not None and (attempt.gateway.code, attempt.attempt_id) in engine.book.paid
            self._operator(payment_resolve, payment_id=pid, reference="PHONE",
                           outcome="succeeded" if booked else "failed")

        # --- dealer money (issue 17): reward settlement, transfers, top-up requests ---
        @rule(runs=st.integers(1, 2))
        def settle_rewards(self, runs):
            from dealers.services import rewards_settle

            for _ in range(runs):
                rewards_settle()

        @rule(direction=st.sampled_from(["to", "from"]), amount=st.sampled_from(["50.00", "300.00", "700.00"]))
        def transfer(self, direction, amount):
            import uuid

            from dealers.services import DealerError, transfer_make

            try:
                transfer_make(dealer=self.dealer, agent_id=self.agent.pk, amount=amount, direction=direction,
                              key=uuid.uuid4())
            except DealerError as exc:
                assert exc.code == "insufficient_balance", exc.code

        @rule(amount=st.sampled_from(["40.00", "250.00"]), twice=st.booleans(), agent=st.booleans())
        def topup_request(self, amount, twice, agent):
            import uuid
            from datetime import date

            from django.contrib.auth import get_user_model

            from dealers.services import topup_request_confirm, topup_request_create

            dealer = self.agent if agent else self.dealer
            req = topup_request_create(dealer=dealer, amount=amount, paid_on=date(2026, 11, 30), order_number="1",
                                       key=uuid.uuid4())
            admin = get_user_model().objects.get(username="admin")
            for _ in range(2 if twice else 1):
                topup_request_confirm(request_id=req.pk, by=admin)

        @invariant()
        def dealer_money_adds_up(self):
            invariants.assert_dealer_money([self.dealer.pk, self.agent.pk])
        # --- end dealer money ---

        @invariant()
        def nothing_illegal_doubled_or_lost(self):
            invariants.assert_ledger([self.dealer.pk])
            invariants.assert_transitions(self.payments)
            invariants.assert_upstream(engine.book, self.payments)

        def teardown(self):
            # Drain: with healthy gateways everything not held ends, still within the invariants.
            engine.book.script.clear()
            Gateway.objects.filter(code__in=["alpha", "beta"]).update(is_active=True)
            for _ in range(30):
                engine.clock.advance(120)
                engine.sweep()
                engine.broker.run()
            left = Payment.objects.filter(pk__in=self.payments, status__in=["accepted", "processing"])
            assert not left.exists(), list(left.values_list("pk", "status", "reason"))
            self.nothing_illegal_doubled_or_lost()

    run_state_machine_as_test(Engine, settings=settings(
        max_examples=50, stateful_step_count=30, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
