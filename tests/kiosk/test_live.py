"""Step 7: the kiosk program as a process against a real platform (gunicorn + a Celery worker on
PostgreSQL), with the validator and printer simulators in their own processes.

One module, one platform, one enrolled kiosk: the end-to-end run (online, then three payments with the
server stopped), then SIGKILL at every step of the flow through the crash hook, then kills at random
moments. After each, the books must agree: every payment on the server exactly once, and the kiosk's
store holding exactly the money the validator stacked.
"""

import gzip
import hashlib
import json
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
PIN = "2468"


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
    from kiosk.config import pin_hash

    k = KioskProcess(tmp_path_factory.mktemp("kiosk"), platform=platform, devices=devices,
                     pin_hash=pin_hash(PIN, iterations=1000))
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


def queue_command(platform, kind: str) -> int:
    """A dealer's command, queued as the cabinet does (through the service, in the platform's database)."""
    out = platform.manage("shell", "-c", "from terminals.commands import command_queue; "
                          "from terminals.models import Terminal; "
                          f"print(command_queue(terminals=[Terminal.objects.get(number='1001')], kind='{kind}')[0].pk)")
    return int(out.strip().splitlines()[-1])


def command_state(platform, pk: int) -> tuple[str, str]:
    return tuple(platform.query("SELECT state, message FROM terminals_terminalcommand WHERE id = %s", pk)[0])


def test_encashment_and_remote_commands(platform, devices, kiosk):
    kiosk.start()
    txns = [pay(kiosk, devices, f"916111222{i}", 100, 500) for i in range(3)]
    check_books(platform, devices, kiosk)
    # The collector: PIN, open the encashment, pull the cassette, put it back, close it.
    for digit in PIN:
        kiosk.post("/service/key", key=digit)
    assert kiosk.post("/service/login").headers["location"] == "/service/panel"
    kiosk.post("/service/encash-open")
    devices.validator.call("remove_cassette")
    time.sleep(0.5)
    devices.validator.call("insert_cassette")
    wait_for(lambda: kiosk.post("/service/collect").headers["location"] == "/service/panel?collect=ok", 15,
             "the encashment to close")
    from kiosk.devices.cheque import rub

    # The cassette holds every note since the module's first payment (the end-to-end test's four too).
    store = kiosk.store_payments()
    total = sum((amount for amount, _, _ in store.values()), Decimal("0.00"))
    slip = devices.printer.call("last_document")
    assert "ИНКАССАЦИЯ" in slip
    assert "500 x 3 = 1 500,00 руб." in slip
    assert f"Сумма: {rub(total)}" in slip and f"Платежей: {len(store)}" in slip
    wait_for(lambda: platform.query("SELECT count(*) FROM terminals_encashment")[0][0] == 1, 15, "the encashment")
    linked = platform.query("SELECT x.txn FROM terminals_encashmenttxn x WHERE x.payment_id IS NOT NULL")
    assert sorted(t for (t,) in linked) == sorted(store) and set(txns) <= set(store)
    assert platform.query("SELECT total FROM terminals_encashment")[0][0] == total
    tampers = platform.query("SELECT devices FROM terminals_terminalstate")[0][0]["cassette"]["tampers"]
    assert tampers == 0

    # refresh_config: acknowledged, and the kiosk holds the changed config.
    platform.manage("shell", "-c", "from providers.models import Provider; "
                    "Provider.objects.filter(code='mts').update(max_amount='7000.00')")
    pk = queue_command(platform, "refresh_config")
    wait_for(lambda: command_state(platform, pk)[0] == "done", 20, "refresh_config to be acknowledged")
    config = json.loads(kiosk.store_rows("SELECT value FROM meta WHERE key = 'config'")[0][0])
    assert next(p for p in config["providers"] if p["code"] == "mts")["limits"]["max"] == "7000.00"

    # restart: the program starts again on its store; the command runs once and is acknowledged after.
    pid, port = kiosk.proc.pid, kiosk.port_file.read_text().strip()
    pk = queue_command(platform, "restart")
    wait_for(lambda: command_state(platform, pk) == ("done", "restarted"), 30, "the restart to be acknowledged")
    assert kiosk.alive() and kiosk.proc.pid == pid
    # The new kiosk in the same process serves its screens on a new port.
    new_port = wait_for(lambda: (p := kiosk.port_file.exists() and kiosk.port_file.read_text().strip()) and p != port
                        and p, 20, "the restarted screens")
    kiosk.http.close()
    kiosk.http = httpx.Client(base_url=f"http://127.0.0.1:{new_port}", timeout=10)
    assert kiosk.store_rows("SELECT count(*) FROM commands WHERE id = ?", pk)[0][0] == 1
    assert b"restarting on a remote command" in (kiosk.dir / "kiosk.log").read_bytes()

    # collect_logs: the program's own log file (data/logs/kiosk.log, the restart in it) reaches the server.
    pk = queue_command(platform, "collect_logs")
    wait_for(lambda: command_state(platform, pk)[0] == "done", 20, "collect_logs to be acknowledged")
    assert command_state(platform, pk)[1].startswith("sent ")
    [(data, size)] = platform.query("SELECT gzip, size FROM terminals_terminallog WHERE command_id = %s", pk)
    text = gzip.decompress(bytes(data)).decode()
    assert len(text.encode()) == size and "restarting on a remote command" in text
    assert text.index(", terminal 1001, store ") < text.index("restarting on a remote command")  # oldest first
    txn = pay(kiosk, devices, "9161112229", 100)
    assert txn == str(int(txns[-1]) + 1)  # the counter and the store went on where they were
    check_books(platform, devices, kiosk)
    kiosk.stop()


# What a dealer does in the cabinet (its views call these services), run in the platform's database:
# a theme with a logo on terminal 1001, an ad on all day from yesterday on, and one only on
# tomorrow's day of the week (delivered, being in force within 24 hours, but not to be shown today).
SCREENS_SETUP = """
import hashlib, io
from datetime import time, timedelta
from zoneinfo import ZoneInfo
from django.utils import timezone
from PIL import Image
from screens import services
from screens.models import Ad, Theme
from terminals.models import Terminal
terminal = Terminal.objects.get(number='1001')
dealer = terminal.dealer
buf = io.BytesIO()
Image.new('RGB', (240, 80), '#e11d48').save(buf, 'PNG')
data = buf.getvalue()
logo = {'data': data, 'content_type': 'image/png', 'width': 240, 'height': 80,
        'sha256': hashlib.sha256(data).hexdigest()}
theme = services.theme_save(theme=Theme(dealer=dealer, name='E2E', layout='large', background='#101820',
                                        text='#f2f2f2', accent='#e11d48', button_text='#fff7e6'), logo=logo)
services.theme_assign(theme=theme, terminals=[terminal])
now = timezone.localtime(timezone=ZoneInfo(dealer.time_zone))
tomorrow = now + timedelta(days=1)
for name, text, days in (('on', 'E2E: сегодня без комиссии', '1234567'),
                         ('off', 'E2E: только завтра', str(tomorrow.isoweekday()))):
    services.ad_save(ad=Ad(dealer=dealer, name=name, kind='text', text=text, position='top',
                           date_from=now.date() - timedelta(days=1), date_to=now.date() + timedelta(days=30),
                           weekdays=days, time_from=time(0), time_to=time(0)), terminals=[terminal])
print(logo['sha256'])
"""


def test_a_theme_and_ads_set_on_the_server_reach_the_screens_after_refresh_config(platform, kiosk):
    kiosk.start()
    sha = platform.manage("shell", "-c", SCREENS_SETUP).strip().splitlines()[-1]
    pk = queue_command(platform, "refresh_config")
    wait_for(lambda: command_state(platform, pk)[0] == "done", 20, "refresh_config to be acknowledged")

    def themed() -> str:
        css = kiosk.http.get("/theme.css").text
        for var in ("--bg: #101820", "--text: #f2f2f2", "--primary: #e11d48", "--button-text: #fff7e6"):
            assert var in css, css
        page = kiosk.http.get("/").text
        assert "class='page-home layout-large'" in page
        assert f"<img class='logo' src='/img/{sha}' alt=''>" in page
        assert "E2E: сегодня без комиссии" in page.partition("<main>")[0]  # the top banner
        assert "E2E: только завтра" not in page  # outside its schedule
        image = kiosk.http.get(f"/img/{sha}")
        assert image.status_code == 200 and hashlib.sha256(image.content).hexdigest() == sha
        return page

    themed()
    assert (kiosk.dir / "data" / "images" / sha).is_file()
    platform.stop_web()
    wait_for(lambda: kiosk.state()["online"] is False, 15, "the kiosk to notice the server is gone")
    assert "Нет связи с сервером" in themed()  # the theme, the logo and the ad, offline
    platform.start_web()
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
