"""Talking to the server besides payments: the config (cached with its ETag) and the heartbeat."""

from __future__ import annotations

import logging
import threading
from decimal import Decimal

import httpx

from . import __version__
from .images import ImageCache, image_cache
from .store import Store

log = logging.getLogger(__name__)


def config_refresh(*, store: Store, client, link, images: ImageCache | None = None) -> bool:
    """GET /config (If-None-Match the cached ETag); the server's last_txn moves our counter up and
    confirms the store. False when the server was not reached (the cached config stays in use).

    Then the images the config names (theme logo, image ads) are fetched into the image cache
    and the ones it no longer names are pruned (kiosk/images.py)."""
    cached, etag = store.config_cached()
    try:
        response = client.config(etag if cached else None)
    except (httpx.HTTPError, OSError) as exc:
        link.fail()
        log.warning("config: server not reached: %s", exc)
        return False
    if response.status_code == 304 and cached is not None:
        link.ok()
        store.server_last_txn_seen(cached.get("last_txn"))
        _images_sync(store, cached, client, link, images)
        return True
    if response.status_code != 200:
        if response.status_code >= 500:
            link.fail()
        log.warning("config: answered %d", response.status_code)
        return False
    link.ok()
    doc = response.json()
    store.config_save(doc, response.headers.get("ETag"))
    counter = store.server_last_txn_seen(doc.get("last_txn"))
    log.info("config %s loaded; server last_txn %s, our counter %d", doc.get("config_version"),
             doc.get("last_txn"), counter)
    _images_sync(store, doc, client, link, images)
    return True


def _images_sync(store: Store, doc: dict, client, link, images: ImageCache | None) -> None:
    """The config is read and its last_txn taken whatever happens here: a failing image cache (a full
    disk, a directory it may not write) costs the screens their pictures, never the config."""
    try:
        (images or image_cache(store)).sync(doc, client, link)
    except Exception:  # noqa: BLE001 - logged with its traceback; the screens go on without the images
        log.exception("images: not synchronised")


def heartbeat_doc(flow, updater=None) -> dict:
    """What the server's heartbeat takes: devices, version, cash box, the unsent queue, refused payments,
    and the last update's outcome."""
    d = flow.devices
    store = flow.store
    box = store.cash_box()
    queue = store.queue_summary()
    devices = {"bill_validator": {"state": d.validator, "error": d.validator_error[:255],
                                  "model": d.identification[:255], "incidents": flow.incidents},
               "printer": {"state": d.printer, "paper": d.paper},
               "fiscal": {"state": d.fiscal, "error": d.fiscal_error[:255], "kind": flow.cfg.fiscal},
               # Cassette pulls with no encashment open (tamper events), counted since the store began.
               "cassette": {"tampers": int(store.meta_get("tamper_count", "0")),
                            "last_tamper_at": store.meta_get("tamper_last_at") or None,
                            "encashment_open": bool(store.meta_get("encashment_opened_at"))}}
    amount = sum((Decimal(v) * n for v, n in box.items()), Decimal("0.00"))
    doc = {
        "software_version": f"kit-kiosk/{__version__}",
        "devices": devices,
        "cash": {"notes": sum(box.values()), "amount": f"{amount:.2f}", "by_denomination": box,
                 "cassette_capacity": flow.cfg.cassette_capacity},
        "queue": {"count": queue["count"], "oldest_at": queue["oldest_at"]},
        "rejected": [{"txn": p.txn, "http_status": p.http_status, "code": p.error_code}
                     for p in store.rejected()][-100:],
        "acks": store.acks_pending(),
    }
    report = updater.report() if updater is not None else None
    if report is not None:
        doc["update"] = report
    return doc


def collections_post(*, store: Store, client, link) -> int:
    """POST every encashment the server has not confirmed (the same body each time); returns how many it took."""
    from datetime import datetime

    posted = 0
    for collection_id, body in store.collections_unreported():
        try:
            response = client.post_encashment(body)
        except (httpx.HTTPError, OSError) as exc:
            link.fail()
            log.warning("encashment %s: server not reached: %s", collection_id, exc)
            return posted
        if response.status_code in (200, 201):
            store.collection_reported(collection_id, now=datetime.now().astimezone().isoformat(timespec="seconds"))
            posted += 1
        else:
            # 400/409 are the kiosk's fault and will not change by sending again: logged for support.
            log.error("encashment %s answered %d: %s", collection_id, response.status_code, response.text[:300])
            if response.status_code >= 500:
                return posted
    return posted


class Heartbeat:
    """Every heartbeat_seconds, and at once when a device changes state."""

    def __init__(self, *, flow, client, link, seconds: float = 60.0, actions: dict | None = None, updater=None):
        from .commands import Commands

        self.flow = flow
        self.updater = updater
        self.client = client
        self.link = link
        self.seconds = seconds
        self.commands = Commands(flow=flow, client=client, link=link, actions=actions)
        self.images = image_cache(flow.store)
        self.stopping = threading.Event()
        self.sent = 0

    def beat(self) -> bool:
        collections_post(store=self.flow.store, client=self.client, link=self.link)
        doc = heartbeat_doc(self.flow, self.updater)
        try:
            response = self.client.heartbeat(doc)
        except (httpx.HTTPError, OSError) as exc:
            self.link.fail()
            log.warning("heartbeat: server not reached: %s", exc)
            return False
        if response.status_code != 200:
            if response.status_code >= 500:
                self.link.fail()
            log.warning("heartbeat answered %d: %s", response.status_code, response.text[:200])
            return False
        self.link.ok()
        self.sent += 1
        self.flow.store.acks_sent([a["id"] for a in doc["acks"]])
        answer = response.json()
        self.flow.blocked = bool(answer.get("blocked"))
        cached, _ = self.flow.store.config_cached()
        if cached is None or answer.get("config_version") != cached.get("config_version") \
                or not self.flow.store.confirmed:
            config_refresh(store=self.flow.store, client=self.client, link=self.link, images=self.images)
        else:  # images a former round could not fetch are tried again (all cached: no request)
            _images_sync(self.flow.store, cached, self.client, self.link, self.images)
        self.commands.run(answer.get("commands") or [])
        return True

    def run(self) -> None:
        changed = self.flow.devices.changed
        while not self.stopping.is_set():
            try:
                self.beat()
            except Exception:  # a bad answer must not end the heartbeat for good
                log.exception("heartbeat")
            seconds = self.flow.server_config.get("terminal", {}).get("heartbeat_seconds") or self.seconds
            changed.wait(min(float(seconds), self.seconds))
            changed.clear()
