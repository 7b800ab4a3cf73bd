"""Engine fixtures: a provider routed to two scriptable gateways, a movable clock, a captured broker."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.payments.doubles import BOOK, PROTOCOL, DoubleAdapter

_txn = itertools.count(1)


class Clock:
    """Moves `django.utils.timezone.now` forward without sleeping."""

    def __init__(self, real):
        self.real = real
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return self.real() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    def to(self, when: datetime) -> None:
        gap = (when - self.now()).total_seconds()
        if gap > 0:
            self.advance(gap + 0.001)


class Broker:
    """Captures what the sweeper enqueues; `run()` delivers it like a worker would."""

    def __init__(self):
        self.sent: list[tuple[str, tuple]] = []
        self.down = False

    def sender(self, name: str):
        def apply_async(args=(), **options):
            if self.down:
                raise ConnectionError("broker down")
            self.sent.append((name, tuple(args)))

        return apply_async

    def depth(self, queue: str) -> int | None:
        if self.down:
            return None
        gateway = {"payments.tasks.submit_payment", "payments.tasks.poll_payment"}
        return sum(1 for name, _ in self.sent if name in gateway) if queue == "gateway" else 0

    def run(self) -> int:
        from payments import tasks

        by_name = {t.name: t for t in (tasks.submit_payment, tasks.poll_payment, tasks.resume_held, tasks.sweep)}
        n = 0
        while self.sent:
            name, args = self.sent.pop(0)
            by_name[name].run(*args)
            n += 1
        return n


class Engine:
    def __init__(self, world, clock: Clock, broker: Broker, provider, gateways):
        self.world, self.clock, self.broker = world, clock, broker
        self.provider, self.gw = provider, gateways
        self.book = BOOK

    def accept(self, account: str = "9160000000", amount: str = "100.00", terminal=None, **kw):
        from payments.services import PaymentRequest, payment_accept
        from terminals.models import Terminal

        terminal = terminal or Terminal.objects.select_related("dealer").get(number="1001")
        req = PaymentRequest(txn=str(next(_txn)), provider_code=kw.pop("provider", self.provider.code),
                             account=account, amount=Decimal(amount), paid_at=timezone.now(), **kw)
        payment, _ = payment_accept(terminal=terminal, request=req)
        return payment

    def sweep(self) -> dict:
        from payments.services.sweep import payment_sweep

        return payment_sweep()

    def step(self, payment) -> None:
        """Wait until the payment is due, sweep, deliver what was enqueued."""
        payment.refresh_from_db()
        # A short wait also went out as a countdown message (on commit, which tests do not
        # run): the sweeper takes over when that message's lease ends, as after a lost one.
        due = max([t for t in (payment.next_try_at, payment.leased_until) if t], default=None)
        if due:
            self.clock.to(due)
        else:
            self.clock.advance(60)
        self.sweep()
        self.broker.run()

    def drive(self, payment, steps: int = 40):
        """Let workers and the sweeper run until the payment is final (or `steps` run out)."""
        for _ in range(steps):
            payment.refresh_from_db()
            if payment.status in ("succeeded", "failed", "cancelled", "held"):
                return payment
            self.step(payment)
        payment.refresh_from_db()
        return payment


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The demo users' password hashing dominates set-up time; these tests never log in."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock(monkeypatch):
    c = Clock(timezone.now)
    monkeypatch.setattr(timezone, "now", c.now)
    return c


@pytest.fixture
def broker(monkeypatch):
    """Every payment task's `apply_async` records instead of talking to a broker (kit.queue runs as is)."""
    from payments import tasks

    b = Broker()
    for task in (tasks.submit_payment, tasks.poll_payment, tasks.resume_held):
        monkeypatch.setattr(task, "apply_async", b.sender(task.name))
    # The sweeper asks the broker how many gateway messages still wait: these, not yet run.
    monkeypatch.setattr("payments.services.sweep.queue_depth", b.depth)
    return b


@pytest.fixture
def engine(world, clock, broker, monkeypatch, settings):
    """Provider `dbl` (accounts of 10 digits) routed to gateways alpha (priority 1) and beta (2)."""
    from gateways.adapters import registry
    from gateways.models import Gateway, Route
    from providers.models import Category, Provider

    monkeypatch.setitem(registry.ADAPTERS, PROTOCOL, DoubleAdapter)
    BOOK.reset()
    settings.KIT_RETRIES_PER_GATEWAY = 3
    settings.KIT_BREAKER_THRESHOLD = 10
    settings.KIT_BREAKER_COOLDOWN_SECONDS = 30
    cat = Category.objects.get(code="mobile")
    provider = Provider.objects.create(code="dbl", name="Double", category=cat, account_format=r"[0-9]{10}",
                                       account_example="9160000000", min_amount=Decimal("1.00"),
                                       max_amount=Decimal("15000.00"))
    gws = {}
    for priority, code in enumerate(["alpha", "beta"], start=1):
        gws[code] = Gateway.objects.create(code=code, name=code.title(), protocol=PROTOCOL,
                                           base_url=f"http://{code}.invalid/")
        Route.objects.create(provider=provider, gateway=gws[code], priority=priority, remote_id=f"r-{code}")
    yield Engine(world, clock, broker, provider, gws)
    BOOK.reset()
