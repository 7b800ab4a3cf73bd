"""Rewards per level: shares written with the success, credited once by settlement, capped by the
parent's rate, reversed with the payment. Chain: Demo -> Demo Sub -> Third (tests/dealers/conftest.py)."""

import threading
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tests.dealers.conftest import fail, reward_entries, shares, succeed

pytestmark = pytest.mark.django_db


def test_a_100_rub_payment_at_the_bottom_gives_each_level_its_share_on_success(third, demo, demo_sub,
                                                                               processing):
    p = processing(third.terminal, "100.00")
    assert shares(p) == {}  # nothing before the success
    succeed(p)
    # amounts: Demo 2.00 + 0.50 = 2.50, Demo Sub 1.50 + 0.30 = 1.80, Third 1.00 + 0.20 = 1.20
    assert shares(p) == {"Third": (0, D("1.20"), "accrued"), "Demo Sub": (1, D("0.60"), "accrued"),
                         "Demo": (2, D("0.70"), "accrued")}


def test_a_failed_payment_writes_no_reward_rows(third, processing):
    p = fail(processing(third.terminal, "100.00"))
    assert p.status == "failed" and shares(p) == {}


def test_a_zero_share_writes_no_row(third, demo_sub, mts, processing):
    from dealers.services import agent_rate_set

    agent_rate_set(agent=third, provider=mts, percent="1.500", fixed="0.30")  # the same as Demo Sub's own
    p = succeed(processing(third.terminal, "100.00"))
    assert shares(p) == {"Third": (0, D("1.80"), "accrued"), "Demo": (2, D("0.70"), "accrued")}


def test_a_sub_agent_without_a_rate_earns_nothing_and_its_parent_keeps_the_whole_amount(demo, demo_sub, mts,
                                                                                         processing):
    from dealers.services import agent_create
    from terminals.models import Terminal

    bare = agent_create(parent=demo, name="Bare")
    terminal = Terminal.objects.create(number="3101", dealer=bare)
    p = succeed(processing(terminal, "100.00"))
    # Demo has only the provider's default for root dealers: mts 1.50 %
    assert shares(p) == {"Demo": (1, D("1.50"), "accrued")}


def test_two_settlement_runs_credit_each_row_exactly_once(third, demo, demo_sub, processing):
    from dealers.models import Reward
    from dealers.services import rewards_settle

    first = succeed(processing(third.terminal, "100.00"))
    second = succeed(processing(third.terminal, "200.00"))
    assert rewards_settle() == {"dealers": 3, "total": "7.00"}
    assert rewards_settle() == {"dealers": 0, "total": "0.00"}
    # 200.00: Demo 4.50, Sub 3.30, Third 2.20 -> shares 1.20, 1.10, 2.20
    assert reward_entries(third) == [D("3.40")]
    assert reward_entries(demo_sub) == [D("1.70")]
    assert reward_entries(demo) == [D("1.90")]
    assert set(Reward.objects.filter(payment__in=[first, second]).values_list("state", flat=True)) == {"settled"}
    third.refresh_from_db()
    # Third started at 0: two debits (-300.00) and the reward
    assert third.balance == D("-296.60")
    third_new = succeed(processing(third.terminal, "100.00"))
    call_command("settle_rewards", stdout=open("/dev/null", "w"))
    assert reward_entries(third) == [D("3.40"), D("1.20")]
    assert Reward.objects.get(payment=third_new, dealer=demo).settlement.amount == D("0.70")


def test_the_cap_when_a_parents_rate_drops(third, demo, demo_sub, mts, processing):
    from dealers.services import agent_rate_set

    # Demo lowers Demo Sub to 0.800 % + 0.30; Third keeps its 1.000 % + 0.20 rule, capped to 0.800 % + 0.20
    agent_rate_set(agent=demo_sub, provider=mts, percent="0.800", fixed="0.30")
    p = succeed(processing(third.terminal, "100.00"))
    assert shares(p) == {"Third": (0, D("1.00"), "accrued"), "Demo Sub": (1, D("0.10"), "accrued"),
                         "Demo": (2, D("1.40"), "accrued")}
    # Payment.reward at acceptance is the terminal dealer's own figure by the same rule
    from providers.selectors import reward_for

    assert reward_for(provider=mts, dealer=third, credited=D("100.00"), at=timezone.now()) == D("1.00")


def test_a_rate_above_the_parents_is_refused_and_writes_no_rule(third, demo_sub, mts):
    from dealers.services import DealerError, agent_rate_set
    from providers.models import RewardRule

    before = RewardRule.objects.count()
    for percent, fixed in [("1.600", "0.20"), ("1.000", "0.31")]:
        with pytest.raises(DealerError) as exc:
            agent_rate_set(agent=third, provider=mts, percent=percent, fixed=fixed)
        assert exc.value.code == "above_parent"
        assert "1.5% + 0.30" in str(exc.value)
    with pytest.raises(DealerError) as exc:
        agent_rate_set(agent=third, provider=mts, percent="0.0001", fixed="0")
    assert exc.value.code == "too_many_decimals"
    assert RewardRule.objects.count() == before


def test_a_reversal_voids_accrued_rows_and_reverses_credited_ones(third, demo, demo_sub, processing):
    from dealers.models import Reward
    from dealers.services import reward_reverse_for_payment, rewards_settle

    credited = succeed(processing(third.terminal, "100.00"))
    rewards_settle()
    accrued = succeed(processing(third.terminal, "100.00"))
    changed = reward_reverse_for_payment(payment=credited)
    assert sorted(r.state for r in changed) == ["reversed"] * 3
    assert reward_entries(demo) == [D("0.70"), D("-0.70")]
    assert reward_entries(third) == [D("1.20"), D("-1.20")]
    reward_reverse_for_payment(payment=accrued)
    assert set(Reward.objects.filter(payment=accrued).values_list("state", flat=True)) == {"void"}
    assert reward_reverse_for_payment(payment=accrued) == []  # twice: nothing more
    assert reward_reverse_for_payment(payment=credited) == []
    assert rewards_settle() == {"dealers": 0, "total": "0.00"}
    for dealer in (demo, demo_sub, third):
        dealer.refresh_from_db()
        settled = sum(Reward.objects.filter(dealer=dealer, state="settled").values_list("amount", flat=True), D(0))
        assert sum(reward_entries(dealer), D(0)) == settled == D("0.00")


def test_rates_in_force_at_paid_at_are_used_not_todays(third, mts, processing):
    from payments.models import Payment

    p = processing(third.terminal, "100.00")
    Payment.objects.filter(pk=p.pk).update(paid_at=timezone.now() - timedelta(days=30))
    p.refresh_from_db()
    succeed(p)
    # a month ago: Demo the root default 1.50 %, Demo Sub its demo rate 1.00 %, Third no rate yet
    assert shares(p) == {"Demo Sub": (1, D("1.00"), "accrued"), "Demo": (2, D("0.50"), "accrued")}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_settlement_runs_and_new_successes_credit_every_row_once(third, demo, demo_sub, processing):
    from dealers.models import LedgerEntry, Reward
    from dealers.services import rewards_settle

    before = [succeed(processing(third.terminal, "100.00")) for _ in range(6)]
    during = [processing(third.terminal, "100.00") for _ in range(6)]
    errors, barrier = [], threading.Barrier(3)

    def run(fn):
        try:
            barrier.wait()
            fn()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(rewards_settle,)) for _ in range(2)]
    threads.append(threading.Thread(target=run, args=(lambda: [succeed(p) for p in during],)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rewards_settle()
    assert Reward.objects.filter(payment__in=before + during).count() == 36
    assert set(Reward.objects.filter(payment__in=before + during).values_list("state", flat=True)) == {"settled"}
    # 12 payments: Third 12 x 1.20, Demo Sub 12 x 0.60, Demo 12 x 0.70, each credited once
    for dealer, total in [(third, D("14.40")), (demo_sub, D("7.20")), (demo, D("8.40"))]:
        assert sum(reward_entries(dealer), D(0)) == total
        dealer.refresh_from_db()
        assert dealer.balance == sum(LedgerEntry.objects.filter(dealer=dealer).values_list("amount", flat=True), D(0))
