"""`python -m kiosk run`: the devices, the flow, the sender, the heartbeat and the screens, wired up.

Threads: the device thread (the only one that talks to the validator, printer and registrar), the
sender, the heartbeat and the screens' HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from . import __version__
from .client import KioskClient
from .config import Config
from .devices.ccnet_frames import Note
from .flow import Flow, Link
from .flow.table import S
from .sender import Sender
from .signing import key_load, key_save
from .store import Store
from .sync import Heartbeat, config_refresh
from .updates.install import Updater

log = logging.getLogger(__name__)


class NotEnrolled(RuntimeError):
    pass


def saved_bill_table(store: Store) -> dict[int, Note]:
    raw = store.meta_get("bill_table") or ""
    table = {}
    for item in filter(None, raw.split(",")):
        t, value, currency = item.split(":")
        table[int(t)] = Note(bill_type=int(t), value=Decimal(value), currency=currency)
    return table


def make_client(cfg: Config, *, key: Ed25519PrivateKey | None = None, transport=None) -> KioskClient:
    return KioskClient(cfg.server_url, cfg.terminal, key, transport=transport, timeout=cfg.request_timeout,
                       unavailable_retries=1, max_retry_wait=5.0)


def enroll(cfg: Config, code: str, *, transport=None, out=print) -> int:
    """Register a new key with the one-time code; the key file is written (0600) only once the server took it.
    Then read /config, which confirms the server's last_txn into the store."""
    key = Ed25519PrivateKey.generate()
    with make_client(cfg, transport=transport) as client:
        response = client.enroll(code, key)
        if response.status_code != 200:
            out(f"enrollment refused: {response.status_code} {response.text}")
            return 1
        key_save(key, cfg.key_file)
        out(f"terminal {cfg.terminal} enrolled; key in {cfg.key_file}")
        store = Store(cfg.store_path)
        try:
            if config_refresh(store=store, client=client, link=Link()):
                out(f"config loaded; next txn {store.txn_counter() + 1}")
        finally:
            store.close()
    return 0


def make_devices(cfg: Config, store: Store):
    from .devices.ccnet import CcnetValidator
    from .devices.escpos import EscPosPrinter
    from .devices.fiscal import NoneRegistrar

    validator = CcnetValidator(cfg.validator, bill_table=saved_bill_table(store), poll_interval=cfg.poll_interval)
    printer = EscPosPrinter(cfg.printer, encoding=cfg.printer_encoding, codepage=cfg.printer_codepage)
    if cfg.fiscal == "sim":
        from .devices.sim.fiscal import FiscalRegistrarSimulator

        registrar = FiscalRegistrarSimulator()
    else:
        registrar = NoneRegistrar(printer)
    return validator, printer, registrar


class Kiosk:
    """Everything one terminal runs; start() spawns the threads, stop() ends them."""

    def __init__(self, cfg: Config, *, transport=None, devices=None):
        if not cfg.key_file.exists():
            raise NotEnrolled(f"no key file {cfg.key_file}: run `python -m kiosk enroll` first")
        self.cfg = cfg
        self.store = Store(cfg.store_path)
        self.client = make_client(cfg, key=key_load(cfg.key_file), transport=transport)
        self.link = Link()
        validator, printer, registrar = devices or make_devices(cfg, self.store)
        self.sender = Sender(store=self.store, client=self.client, link=self.link, base=cfg.backoff_base,
                             cap=cfg.backoff_max, interval=cfg.send_interval)
        self.flow = Flow(config=cfg, store=self.store, validator=validator, printer=printer, registrar=registrar,
                         client=self.client, link=self.link, on_finished=self.sender.wake.set)
        # Set by a remote `restart`: run() stops this kiosk and starts a new one on the same store.
        self.restart_requested = threading.Event()
        self.stopping = threading.Event()
        # A switched release takes over when systemd starts the program again (Restart=always).
        self.updater = Updater(root=cfg.update_root, data_dir=cfg.data_dir, running_version=__version__,
                               client=self.client, flow=self.flow, config_path=cfg.path,
                               check_seconds=cfg.update_check_seconds, on_switched=lambda _v: self.stopping.set())
        self.heartbeat = Heartbeat(flow=self.flow, client=self.client, link=self.link, seconds=cfg.heartbeat_seconds,
                                   updater=self.updater,
                                   actions={"restart": self.restart_requested.set,
                                            "resend_queue": self.sender.wake.set,
                                            "update": self.updater.command})
        self.threads: list[threading.Thread] = []
        self.web = None

    def device_loop(self) -> None:
        try:
            self.flow.start()
        except Exception as exc:  # a dead port: the screens say "out of service", the log says why
            log.exception("device start")
            self.flow.devices.validator, self.flow.devices.validator_error = "error", str(exc)[:255]
        if self.flow.devices.validator == "ok":
            self.updater.boot()
        while not self.stopping.is_set():
            if self.flow.updating and self.flow.state in (S.IDLE, S.OUT_OF_SERVICE):
                # The new version's health check asks the same devices: leave them to it meanwhile.
                time.sleep(self.cfg.poll_interval)
                continue
            try:
                self.flow.tick()
            except Exception:  # one bad tick must not stop the kiosk; the next one tries again
                log.exception("device thread")
                time.sleep(1.0)
            time.sleep(self.cfg.poll_interval)

    def start(self, *, web: bool = True) -> None:
        log.info("kit-kiosk %s, terminal %s, store %s", __version__, self.cfg.terminal, self.cfg.store_path)
        config_refresh(store=self.store, client=self.client, link=self.link)
        for name, target in (("devices", self.device_loop), ("sender", self.sender.run),
                             ("heartbeat", self.heartbeat.run), ("updates", self.updater.run)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self.threads.append(thread)
        if web:
            from .web import serve

            self.web = serve(self.flow, self.cfg)
            thread = threading.Thread(target=self.web.serve_forever, name="web", daemon=True)
            thread.start()
            self.threads.append(thread)
            log.info("screens on http://%s:%d/", self.cfg.listen_host, self.web.server_port)

    def stop(self) -> None:
        self.stopping.set()
        self.sender.stopping.set()
        self.sender.wake.set()
        self.heartbeat.stopping.set()
        self.updater.stopping.set()
        self.updater.wake.set()
        self.flow.devices.changed.set()
        if self.web is not None:
            self.web.shutdown()
            self.web.server_close()
        for thread in self.threads:
            thread.join(timeout=5)
        # Release the ports now: a restarted kiosk in this process opens them again, and a device
        # that serves one connection at a time would otherwise still be talking to this one.
        for device in (self.flow.validator, self.flow.printer):
            try:
                device.close()
            except Exception:  # a port already gone is closed enough
                log.debug("closing %s", device, exc_info=True)
        self.client.close()
        self.store.close()


def run(cfg: Config) -> int:
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while True:
        try:
            kiosk = Kiosk(cfg)
        except NotEnrolled as exc:
            log.error("%s", exc)
            return 2
        if kiosk.updater.recover():
            log.error("update: the switched version did not start; the previous one is back, restarting into it")
            kiosk.client.close()
            kiosk.store.close()
            return 1
        kiosk.start()
        # A remote restart ends this kiosk (threads, devices, store) and starts a fresh one: the queue
        # and the executed commands are in the store on disk, so nothing is lost or run twice. A
        # switched release stops the kiosk (systemd starts the new version).
        while not done.is_set() and not kiosk.restart_requested.is_set() and not kiosk.stopping.is_set():
            done.wait(0.5)
        kiosk.stop()
        if done.is_set() or not kiosk.restart_requested.is_set():
            return 0
        log.warning("restarting on a remote command")


def health(cfg: Config, *, timeout: float = 30.0, devices=None) -> tuple[bool, str]:
    """This version's local health: it starts, opens its store, its validator identifies and the printer
    answers. Never the server: a kiosk may be offline while it updates."""
    store = Store(cfg.store_path)
    try:
        store.queue_summary()
        deadline = time.monotonic() + timeout
        try:
            validator, printer, registrar = devices or make_devices(cfg, store)
            flow = Flow(config=cfg, store=store, validator=validator, printer=printer, registrar=registrar)
            flow.start()
        except Exception as exc:  # any failure of a device is a failed check, with its reason
            return False, f"devices: {exc}"[:200]
        while flow.devices.validator != "ok" and time.monotonic() < deadline:
            flow.tick()
            time.sleep(cfg.poll_interval)
        if flow.devices.validator != "ok":
            return False, f"validator {flow.devices.validator} {flow.devices.validator_error}"[:200]
        return True, ""
    finally:
        store.close()
