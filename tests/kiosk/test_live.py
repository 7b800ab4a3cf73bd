"""Step 7: the kiosk program as a process against a real platform (gunicorn + a Celery worker on
PostgreSQL), with the validator and printer simulators in their own processes.

One module, one platform, one enrolled kiosk: the end-to-end run (online, then three payments with the
server stopped), then SIGKILL at every step of the flow through the crash hook, then kills at random
moments. After each, the books must agree: every payment on the server exactly once, and the kiosk's
store holding exactly the money the validator stacked.
"""

import random
import threading
import time
from datetime import datetime
from decimal import Decimal

import httpx
import pytest

from kiosk.crash import STEPS

from .live import Devices, KioskProcess, Platform, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    import os

    p = Platform(os.environ["DATABASE_URL"], tmp_path_factory.mktemp("platform"))
    p.start_worker()
    p.start_web()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def devices():
    d = Devices()
    yield d
    d.stop()


@pytest.fixture(scope="module")
def kiosk(platform, devices, tmp_path_factory):
    k = KioskProcess(tmp_path_factory.mktemp("kiosk"), platform=platform, devices=devices)
    k.enroll(platform.enrollment_code("1001"))
    yield k
    k.stop()


def check_books(platform, devices, kiosk, timeout=30):
    """Each payment on the server once, same amounts; the store's money equals the validator's stacked sum."""
    wait_for(kiosk.all_sent, timeout, "the kiosk to send everything")
    store = kiosk.store_payments()
    server = platform.payments("1001")
    assert set(store) == set(server)
    for txn, (amount, _state, paid_at) in store.items():
        assert server[txn][0] == amount
        assert server[txn][2] == datetime.fromisoformat(paid_at)
    total = sum((amount for amount, _, _ in store.values()), Decimal("0.00"))
    assert total == Decimal(devices.counts()["stacked_amount"])
    return store, server


def pay(kiosk, devices, account, *values):
    kiosk.start_payment("mts", account)
    total = sum((Decimal(v) for v in values), Decimal("0"))
    kiosk.insert(devices, *values, expect_total=total)
    kiosk.post("/confirm")
    kiosk.wait_state("receipt")
    txn = kiosk.state()["txn"]
    kiosk.post("/done")
    return txn


def test_end_to_end_online_then_three_payments_with_the_server_stopped(platform, devices, kiosk):
    kiosk.start()
    txn = pay(kiosk, devices, "9161234567", 100, 50)
    assert txn == "1"
    assert "Принято: 150,00 руб." in devices.printer.call("last_document")
    wait_for(lambda: platform.payments("1001").get("1", (0, ""))[1] == "succeeded", 30, "txn 1 to succeed")
    amount, status, paid_at, fee, credited = platform.payments("1001")["1"]
    assert (amount, status, fee, credited) == (Decimal("150.00"), "succeeded", Decimal("0.00"), Decimal("150.00"))
    assert platform.upstream("9161234567") == 1

    platform.stop_web()
    wait_for(lambda: kiosk.state()["online"] is False, 15, "the kiosk to notice the server is gone")
    offline = [pay(kiosk, devices, f"916765432{i}", 100) for i in range(3)]
    assert offline == ["2", "3", "4"]
    assert "после восстановления связи" in devices.printer.call("last_document").replace("\n", " ")
    stored = kiosk.store_payments()
    assert [stored[t][1] for t in offline] == ["finished"] * 3
    assert set(platform.payments("1001")) == {"1"}

    platform.start_web()
    store, server = check_books(platform, devices, kiosk)
    assert sorted(server, key=int) == ["1", "2", "3", "4"]
    for txn in offline:
        assert server[txn][2] == datetime.fromisoformat(store[txn][2])  # the original paid_at, not the upload time
    kiosk.stop()


@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_each_step_loses_and_doubles_nothing(platform, devices, kiosk, step):
    kiosk.start(crash_at=step)
    kiosk.start_payment("mts", "9161112233")
    before = kiosk.store_payments()
    if step in ("stacked_before_write", "note_written"):
        devices.validator.call("insert", 100)
    else:
        kiosk.insert(devices, 100, expect_total=Decimal("100"))
        kiosk.post("/confirm")
    kiosk.died()
    kiosk.start()
    if kiosk.state()["state"] == "receipt":
        kiosk.post("/done")
    store, server = check_books(platform, devices, kiosk)
    new = set(store) - set(before)
    assert len(new) == 1
    (txn,) = new
    assert store[txn][0] == Decimal("100.00")
    if step in ("before_print", "after_print"):
        assert f"Транзакция № {txn}" in devices.printer.call("last_document")
    kiosk.stop()


def test_kills_at_random_moments_lose_and_double_nothing(platform, devices, kiosk):
    rng = random.Random(20)
    kiosk.start()
    for round_ in range(3):
        stop = threading.Event()

        def customer():
            try:
                while not stop.is_set():
                    state = kiosk.state()
                    if state is None:
                        return
                    if state["state"] == "receipt":
                        kiosk.post("/done")
                    elif state["state"] == "idle":
                        kiosk.start_payment("mts", "9165550000")
                    elif state["state"] == "inserting":
                        devices.validator.call("insert", rng.choice([10, 50, 100]))
                        time.sleep(0.3)
                        if Decimal(state["total"]) >= 100:
                            kiosk.post("/confirm")
                    time.sleep(0.05)
            except (httpx.HTTPError, AssertionError, RuntimeError):
                return

        driver = threading.Thread(target=customer, daemon=True)
        driver.start()
        time.sleep(rng.uniform(0.5, 1.8))
        kiosk.kill()
        stop.set()
        driver.join(timeout=10)
        kiosk.start()
        if kiosk.state()["state"] == "receipt":
            kiosk.post("/done")
    check_books(platform, devices, kiosk)
    kiosk.stop()
