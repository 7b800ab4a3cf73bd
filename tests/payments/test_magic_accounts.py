"""The engine against the real CyberPlat and OSMP simulators (in-process): every magic account ends right."""

from decimal import Decimal

import pytest

from gateways.simulators.base import accepted
from payments.models import Attempt
from tests.payments import invariants
from tests.payments.conftest import Engine

pytestmark = pytest.mark.django_db


@pytest.fixture
def real(world, clock, broker):
    from providers.models import Provider

    return Engine(world, clock, broker, Provider.objects.get(code="mts"), {})


def paid_upstream(code: str, account: str) -> int:
    return accepted(code).filter(account=account, state="paid").count()


@pytest.mark.parametrize("account, status, reason, outcomes", [
    ("9160000000", "succeeded", "", ["ok"]),
    ("9160000001", "failed", "declined", ["declined"]),
    ("9160000002", "succeeded", "", ["ok"]),          # pay timed out, status said done
    ("9160000003", "succeeded", "", ["ok"]),          # pending twice, then done
    ("9160000004", "succeeded", "", None),            # transient twice, then done
    ("9160000005", "failed", "declined", ["declined"]),
    ("9160000007", "succeeded", "", ["ok"]),          # 32: same payment within the hour -> status
])
def test_each_magic_account_at_cyberplat_ends_as_documented(real, account, status, reason, outcomes):
    p = real.drive(real.accept(account=account, amount="100.00"))
    assert (p.status, p.reason) == (status, reason)
    assert p.gateway.code == "cyberplat"
    if outcomes is not None:
        assert [a.outcome for a in Attempt.objects.filter(payment=p)] == outcomes
    assert paid_upstream("cyberplat", account) == (1 if status == "succeeded" else 0)
    invariants.assert_ledger([p.dealer_id])
    invariants.assert_transitions([p.pk])


def test_a_check_that_says_no_account_never_pays(real):
    p = real.drive(real.accept(account="9160000005"))
    assert p.status == "failed"
    assert not accepted("cyberplat").filter(account="9160000005", state="paid").exists()


def test_a_reroutable_decline_at_cyberplat_moves_the_payment_to_osmp(real):
    p = real.drive(real.accept(account="771234560006", provider="rostelecom", amount="500.00"))
    assert p.status == "succeeded" and p.gateway.code == "osmp"
    assert [(a.gateway.code, a.outcome) for a in Attempt.objects.filter(payment=p)] == [
        ("cyberplat", "declined"), ("osmp", "ok")]
    assert paid_upstream("cyberplat", "771234560006") == 0
    assert paid_upstream("osmp", "771234560006") == 1
    invariants.assert_ledger([p.dealer_id])


def test_a_cyberplat_switched_down_is_retried_then_left_for_osmp(real):
    from gateways.simulators.models import SimulatorState

    SimulatorState.objects.filter(code="cyberplat").update(down=True)
    p = real.drive(real.accept(account="771234567890", provider="rostelecom", amount="500.00"))
    assert p.status == "succeeded" and p.gateway.code == "osmp"
    assert [a.outcome for a in Attempt.objects.filter(payment=p, gateway__code="cyberplat")] == ["retry"] * 3
    assert Decimal(p.credited) == Decimal("500.00")


def test_a_worker_killed_between_check_and_pay_at_cyberplat_is_resolved_by_polling(real, monkeypatch):
    """The sweeper polls; CyberPlat's status then says "only the check was done" (RESULT=1)."""
    from gateways.adapters.cyberplat import CyberPlatAdapter

    class WorkerKilled(BaseException):
        pass

    def killed(self, order):
        raise WorkerKilled

    real_pay = CyberPlatAdapter.pay
    monkeypatch.setattr(CyberPlatAdapter, "pay", killed)
    p = real.accept(account="9160000031")
    from payments.services.submit import payment_submit

    with pytest.raises(WorkerKilled):
        payment_submit(payment_id=p.pk)
    monkeypatch.setattr(CyberPlatAdapter, "pay", real_pay)
    p = real.drive(p, steps=12)
    attempts = list(Attempt.objects.filter(payment=p))
    assert paid_upstream("cyberplat", "9160000031") <= 1
    assert p.status == "succeeded", [a.outcome for a in attempts]
    assert paid_upstream("cyberplat", "9160000031") == 1
