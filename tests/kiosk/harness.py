"""An in-process kiosk for tests: kitsim:// devices, the server's app behind an httpx transport,
the device thread's tick() called by the test itself (deterministic, no threads, no sleeps)."""

from __future__ import annotations

import itertools
from pathlib import Path

from kiosk.app import Kiosk, enroll
from kiosk.config import load
from kiosk.devices import sim

_names = itertools.count(1)

TOML = """
[server]
url = "http://testserver"
terminal = "{terminal}"
key_file = "terminal.key"
timeout = 5

[kiosk]
data_dir = "data"
language = "ru"
listen = "127.0.0.1:0"
walk_away_seconds = 60
receipt_seconds = 30
service_pin_hash = "{pin_hash}"
backoff_base = 1.0
backoff_max = 60.0

[devices]
validator = "kitsim://ccnet/{name}"
printer = "kitsim://printer/{name}"
fiscal = "{fiscal}"
cassette_capacity = 500
poll_interval = 0.01

[offline]
max_payment = "15000.00"
max_queue_amount = "{queue_amount}"
max_queue_count = {queue_count}
max_age_hours = 24
{extra}
"""


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def write_config(directory: Path, *, terminal="1001", fiscal="none", queue_amount="100000.00", queue_count=500,
                 extra="", pin_hash="", name=None) -> Path:
    name = name or f"t{next(_names)}"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "kiosk.toml"
    path.write_text(TOML.format(terminal=terminal, fiscal=fiscal, queue_amount=queue_amount,
                                queue_count=queue_count, extra=extra, pin_hash=pin_hash, name=name),
                    encoding="utf-8")
    return path


class Harness:
    """A kiosk wired to the in-process server; the test drives time and the device thread."""

    def __init__(self, cfg, transport, *, enroll_code: str | None = None, start=True):
        self.cfg = cfg
        self.transport = transport
        self.online = True
        if enroll_code is not None:
            assert enroll(cfg, enroll_code, transport=self.transport_proxy, out=lambda *_: None) == 0
        self.validator_sim = sim.device("ccnet", cfg.validator.rsplit("/", 1)[1])
        self.printer_sim = sim.device("printer", cfg.printer.rsplit("/", 1)[1])
        self.clock = FakeClock()
        self.kiosk = Kiosk(cfg, transport=self.transport_proxy)
        self.flow = self.kiosk.flow
        self.flow.clock = self.clock
        self.flow.activity = self.clock()
        self.store = self.kiosk.store
        self.sender = self.kiosk.sender
        self.sender.rng.seed(1)
        if start:
            self.boot()

    @property
    def transport_proxy(self):
        harness = self

        import httpx

        class Proxy(httpx.BaseTransport):
            def handle_request(self, request):
                if not harness.online:
                    raise httpx.ConnectError("server down (test)", request=request)
                return harness.transport.handle_request(request)

        return Proxy()

    def boot(self) -> None:
        from kiosk.sync import config_refresh

        config_refresh(store=self.store, client=self.kiosk.client, link=self.kiosk.link)
        self.flow.start()

    def ticks(self, n: int = 1) -> None:
        for _ in range(n):
            self.flow.tick()

    def until(self, predicate, limit: int = 200) -> None:
        for _ in range(limit):
            if predicate():
                return
            self.flow.tick()
        raise AssertionError(f"not reached in {limit} ticks; state {self.flow.state}, {self.flow.snapshot()}")

    def insert(self, *values) -> None:
        """Notes go in one after the other; each is polled until the validator has settled it."""
        for value in values:
            before = self.validator_sim.counts()
            self.validator_sim.insert(value)
            self.until(lambda b=before: self._settled(b))

    def _settled(self, before) -> bool:
        now = self.validator_sim.counts()
        moved = (now["stacked"] + now["returned"] + now["rejected"]
                 > before["stacked"] + before["returned"] + before["rejected"])
        return moved and self.flow.validator.last_event is not None and \
            self.flow.validator.last_event.name in ("Idling", "Disabled")

    def pay(self, code: str, account: str, *values, confirm=True) -> None:
        assert self.flow.choose(code), self.flow.oos_reasons()
        for ch in account:
            self.flow.key(ch)
        assert self.flow.submit_account(), self.flow.message
        self.ticks(2)
        self.insert(*values)
        if confirm:
            self.flow.confirm()
            self.until(lambda: self.flow.state.value == "receipt")

    def close(self) -> None:
        self.kiosk.client.close()
        self.store.close()


def config_at(directory: Path, **kw):
    return load(write_config(directory, **kw))
