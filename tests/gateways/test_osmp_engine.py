"""The payment engine end to end against the OSMP, Contact, ComePay and provider simulators.

Real adapters, real simulators (in-process), the demo routes: beeline -> OSMP, megafon ->
Contact, tele2 -> ComePay, demo-isp -> the ISP billing (provider protocol), rostelecom ->
CyberPlat then OSMP. Workers and the sweeper run through the captured broker and a movable
clock of tests/payments (no sleeping, no network).
"""

from decimal import Decimal

import pytest

from gateways.simulators.base import accepted
from gateways.simulators.models import SimulatorState
from payments.models import Attempt
from tests.payments.conftest import Broker, Clock, Engine

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def run(world, monkeypatch):
    from django.utils import timezone

    from payments import tasks

    clock = Clock(timezone.now)
    monkeypatch.setattr(timezone, "now", clock.now)
    broker = Broker()
    for task in (tasks.submit_payment, tasks.poll_payment, tasks.resume_held):
        monkeypatch.setattr(task, "apply_async", broker.sender(task.name))
    return Engine(world, clock, broker, world["providers"][0], world["gateways"])


# provider, simulator, account prefix (the provider's format, the last four digits are magic)
GATEWAYS = [("beeline", "osmp", "903123"), ("megafon", "contact", "926123"), ("tele2", "comepay", "977123"),
            ("demo-isp", "provider", "1234")]
# last four -> final status, and what the simulator's book holds for the payment
EXPECTED = {"0001": ("failed", "declined"), "0002": ("succeeded", "paid"), "0003": ("succeeded", "paid"),
            "0004": ("succeeded", "paid"), "0005": ("failed", None), "0006": ("succeeded", "paid"),
            "0007": ("succeeded", "paid"), "5678": ("succeeded", "paid")}


@pytest.mark.parametrize("provider, sim, prefix", GATEWAYS)
def test_every_magic_account_ends_as_specified_with_one_upstream_payment_each(run, provider, sim, prefix):
    for suffix, (status, book_state) in EXPECTED.items():
        p = run.drive(run.accept(account=prefix + suffix, amount="150.00", provider=provider))
        assert (suffix, p.status, p.gateway.code) == (suffix, status, sim)
        keys = set(Attempt.objects.filter(payment=p).values_list("attempt_id", flat=True))
        booked = accepted(sim).filter(key__in=keys).exclude(state="checked")
        assert (suffix, list(booked.values_list("state", flat=True))) == (
            suffix, [book_state] if book_state else [])
        if book_state == "paid":
            assert booked.get().amount == Decimal("150.00")
        if status == "failed":
            assert p.reason == "declined"


def test_0006_on_rostelecom_is_declined_by_cyberplat_and_paid_through_osmp(run):
    p = run.drive(run.accept(account="771234560006", amount="300.00", provider="rostelecom"))
    assert (p.status, p.gateway.code) == ("succeeded", "osmp")
    assert [a.gateway.code for a in Attempt.objects.filter(payment=p).order_by("pk")] == ["cyberplat", "osmp"]
    assert accepted("osmp").filter(account="771234560006", state="paid").count() == 1
    assert not accepted("cyberplat").filter(account="771234560006", state="paid").exists()


def test_with_cyberplat_down_rostelecom_goes_through_osmp(run):
    SimulatorState.objects.filter(code="cyberplat").update(down=True)
    payments = [run.drive(run.accept(account=f"77123456{n:04d}", amount="100.00", provider="rostelecom"))
                for n in (11, 12)]
    assert [(p.status, p.gateway.code) for p in payments] == [("succeeded", "osmp")] * 2
    assert accepted("osmp").filter(state="paid").count() == 2
    assert not accepted("cyberplat").exclude(state="checked").exists()


def test_a_rostelecom_payment_whose_cyberplat_pay_timed_out_stays_with_cyberplat(run):
    p = run.accept(account="771234560002", amount="100.00", provider="rostelecom")
    run.broker.run()
    from payments.services.submit import payment_submit

    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    assert (p.status, p.gateway.code) == ("processing", "cyberplat")
    p = run.drive(p)
    assert (p.status, p.gateway.code) == ("succeeded", "cyberplat")
    assert {a.gateway.code for a in Attempt.objects.filter(payment=p)} == {"cyberplat"}
    assert not accepted("osmp").filter(account="771234560002").exists()


@pytest.mark.parametrize("mode", [{"decline_echo": "empty"}, {"prv_txn": False},
                                  {"decline_echo": "empty", "prv_txn": False}])
def test_every_magic_account_ends_as_specified_with_a_billing_that_echoes_empty_or_sends_no_prv_txn(run, mode):
    from gateways.simulators.services import simulator_set

    simulator_set(code="provider", params=mode)
    for suffix, (status, book_state) in EXPECTED.items():
        p = run.drive(run.accept(account="1234" + suffix, amount="150.00", provider="demo-isp"))
        assert (suffix, p.status, p.gateway.code) == (suffix, status, "provider")
        attempts = Attempt.objects.filter(payment=p)
        booked = accepted("provider").filter(key__in=attempts.values_list("attempt_id", flat=True))
        assert (suffix, list(booked.exclude(state="checked").values_list("state", flat=True))) == (
            suffix, [book_state] if book_state else [])
        if status == "succeeded" and not mode.get("prv_txn", True):
            last = attempts.order_by("pk").last()
            assert last.upstream_id == last.attempt_id and "no provider reference" in last.message
