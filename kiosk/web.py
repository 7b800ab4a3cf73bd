"""The customer screens, served on 127.0.0.1 to the kiosk's full-screen browser.

Standard library only (wsgiref + socketserver threads, html.escape): the kiosk runs on a bare
terminal image, the screens are a handful of server-rendered pages, and a dependency would be one
more thing to update there. Every page works without JavaScript (the insert screen refreshes itself);
static/kiosk.js only updates the note counts in place. The flow's state decides which page shows:
a GET of another page redirects to the right one.
"""

from __future__ import annotations

import html
import json
import logging
import mimetypes
import re
import secrets
import socketserver
import time
from datetime import datetime
from decimal import Decimal
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .ads import ROTATE_SECONDS, Ad, ads_on, all_ads, pick
from .config import pin_matches
from .devices.cheque import rub as cheque_rub
from .flow import S
from .i18n import t
from .images import HASH, ImageCache, image_cache, referenced
from .theme import Look
from .theme import resolve as resolve_look

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
PAGES = {S.IDLE: "/", S.ACCOUNT: "/account", S.INSERTING: "/insert", S.FINISHING: "/insert",
         S.RECEIPT: "/receipt", S.OUT_OF_SERVICE: "/out-of-service"}
SERVICE_MINUTES = 10
PIN_TRIES = 5
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
IDLE_AD_SECONDS = 60  # no touch for this long on the home screen: the full-screen (`idle`) ad, if one is on


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def money(value, lang: str) -> str:
    text = cheque_rub(Decimal(value))
    return text.replace("руб.", "₽") if lang == "ru" else text.replace(",", ".").replace(" руб.", " RUB")


class Screens:
    """The WSGI application. `flow` is the payment flow; everything shown comes from it and the config."""

    def __init__(self, flow, cfg, clock=time.monotonic, *, now=None, images: ImageCache | None = None):
        self.flow = flow
        self.cfg = cfg
        self.clock = clock
        # The wall clock the ads' schedules are read by (aware); tests pass a fixed one.
        self.now = now or (lambda: datetime.now().astimezone())
        self.images = images or image_cache(flow.store)
        self.sessions: dict[str, float] = {}
        self.pin = ""
        self.pin_failures = 0
        self.pin_locked_until = 0.0

    # -- plumbing -----------------------------------------------------------------------
    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "/") or "/"
        try:
            if method == "POST" and not self._same_origin(environ):
                status, headers, body = self.respond(403, "forbidden")
            else:
                form = self._form(environ) if method == "POST" else {}
                status, headers, body = self.route(method, path, form, environ)
        except Exception:  # a broken page must not take the screen down: show "out of service"
            log.exception("screen %s %s", method, path)
            status, headers, body = "500 Internal Server Error", [], self.page(
                "oos", t(self.flow.lang, "oos_title"), f"<div class='oos'><h1>{esc(t(self.flow.lang, 'oos_title'))}"
                f"</h1></div>")
        if not any(k == "Cache-Control" for k, _ in headers):
            headers = [("Cache-Control", "no-store"), *headers]
        headers = [("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"), *headers]
        if not any(k == "Content-Type" for k, _ in headers):
            headers.append(("Content-Type", "text/html; charset=utf-8"))
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        headers.append(("Content-Length", str(len(data))))
        start_response(status, headers)
        return [data]

    @staticmethod
    def _same_origin(environ) -> bool:
        # The screens answer only the kiosk's own browser; a page from elsewhere cannot post here.
        origin = environ.get("HTTP_ORIGIN") or environ.get("HTTP_REFERER") or ""
        host = environ.get("HTTP_HOST", "")
        return not origin or re.sub(r"^https?://", "", origin).split("/")[0] == host

    @staticmethod
    def _form(environ) -> dict[str, str]:
        try:
            size = min(int(environ.get("CONTENT_LENGTH") or 0), 4096)
        except ValueError:
            size = 0
        raw = environ["wsgi.input"].read(size).decode("utf-8", "replace") if size else ""
        return {k: v[0] for k, v in parse_qs(raw).items()}

    @staticmethod
    def redirect(location: str):
        return "303 See Other", [("Location", location)], b""

    @staticmethod
    def respond(code: int, text: str):
        return f"{code} {text}", [("Content-Type", "text/plain; charset=utf-8")], text

    def route(self, method: str, path: str, form: dict, environ):
        flow = self.flow
        if method == "GET" and path.startswith("/static/"):
            return self.static(path.removeprefix("/static/"))
        if method == "GET" and path == "/theme.css":
            return "200 OK", [("Content-Type", "text/css; charset=utf-8")], self.theme_css()
        if method == "GET" and path == "/logo":
            return self.logo()
        if method == "GET" and path.startswith("/img/"):
            return self.image(path.removeprefix("/img/"))
        if path.startswith("/service"):
            return self.service(method, path, form, environ)
        if method == "POST":
            action = {"/lang": lambda: flow.set_language(form.get("lang", "")),
                      "/choose": lambda: flow.choose(form.get("provider", "")),
                      "/key": lambda: flow.key(form.get("key", ""), form.get("field")),
                      "/account": flow.submit_account, "/hint": flow.accept_hint,
                      "/cancel": flow.cancel, "/confirm": flow.confirm, "/done": flow.done,
                      "/wake": flow.touch}.get(path)
            if action is None:
                return self.respond(404, "not found")
            action()
            back = form.get("back", "")
            local = back.startswith("/") and not back.startswith("//")  # never a redirect off this screen
            return self.redirect(back if path == "/lang" and local else PAGES[flow.state])
        if method != "GET":
            return self.respond(405, "method not allowed")
        if path == "/insert/status":
            return "200 OK", [("X-Kiosk-Page", PAGES[flow.state])], self.insert_status()
        if path == "/state.json":
            snap = flow.snapshot()
            return "200 OK", [("Content-Type", "application/json")], json.dumps(
                {"state": snap["state"], "total": f"{snap['total']:.2f}", "count": snap["count"],
                 "page": PAGES[flow.state], "online": flow.link.online, "txn": snap["txn"],
                 "started": flow.started, "out_of_service": flow.oos_reasons()})
        pages = {"/": self.home, "/account": self.account, "/insert": self.insert, "/receipt": self.receipt,
                 "/out-of-service": self.out_of_service}
        if path not in pages:
            return self.respond(404, "not found")
        wanted = PAGES[flow.state]
        if path != wanted:
            return self.redirect(wanted)
        return "200 OK", [], pages[path]()

    def static(self, name: str):
        path = (STATIC / name).resolve()
        if STATIC.resolve() not in path.parents or not path.is_file():
            return self.respond(404, "not found")
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return "200 OK", [("Content-Type", kind + ("; charset=utf-8" if kind.startswith("text/") or
                                                   kind.endswith("javascript") else ""))], path.read_bytes()

    # -- theme, logo, images, ads -------------------------------------------------------
    def look(self) -> Look:
        return resolve_look(self.flow.server_config.get("theme"), self.cfg.theme, self.cfg.path.parent)

    def theme_css(self) -> str:
        return self.look().css()

    def logo(self):
        """The kiosk's own logo file ([theme] logo); a server theme's logo is an image at /img/<sha256>."""
        look = self.look()
        if look.logo_file is None:
            return self.respond(404, "no logo")
        path = look.logo_file
        return "200 OK", [("Content-Type", mimetypes.guess_type(path.name)[0] or "image/png")], path.read_bytes()

    def image(self, sha: str):
        """A cached image, by its hash: only one the config in use names, only from the cache, checked again."""
        if not HASH.fullmatch(sha) or sha not in referenced(self.flow.server_config):
            return self.respond(404, "not found")
        found = self.images.read(sha)
        if found is None:
            return self.respond(404, "not found")
        data, kind = found
        return "200 OK", [("Content-Type", kind), ("Cache-Control", "max-age=86400, immutable")], data

    def ads_now(self, now: datetime | None = None) -> list[Ad]:
        """The ads on at `now` (the kiosk's clock): the config file's and the server's, each inside its
        schedule; an image ad only once its image is in the cache."""
        now = now or self.now()
        return [ad for ad in ads_on(all_ads(self.flow.server_config, self.cfg.ads), now)
                if ad.kind == "text" or ad.image_src or self.images.path(ad.image_sha) is not None]

    def ad_html(self, ad: Ad | None, position: str, tag: str = "div") -> str:
        if ad is None:
            return ""
        text = ad.text_for(self.flow.lang)
        image = ""
        if ad.image_sha:
            image = f"<img src='/img/{esc(ad.image_sha)}' alt='{esc(text)}'>"
        elif ad.image_src:
            image = f"<img src='{esc(ad.image_src)}' alt=''>"
        return (f"<{tag} class='ad ad-{position} ad-{esc(ad.kind)}' data-ad='{esc(ad.key)}'>{image}"
                f"{f'<span>{esc(text)}</span>' if text else ''}</{tag}>")

    def banners(self) -> tuple[str, str]:
        """The top and bottom banners on now."""
        now = self.now()
        on = self.ads_now(now)
        return self.ad_html(pick(on, "top", now), "top"), self.ad_html(pick(on, "bottom", now), "bottom")

    def idle_ad(self) -> Ad | None:
        """The full-screen ad, once the kiosk has stood idle IDLE_AD_SECONDS without a touch."""
        flow = self.flow
        if flow.state != S.IDLE or flow.clock() - flow.activity < IDLE_AD_SECONDS:
            return None
        now = self.now()
        return pick(self.ads_now(now), "idle", now)

    # -- the frame ----------------------------------------------------------------------
    def page(self, name: str, title: str, content: str, *, refresh: int | None = None, back: str = "/",
             banners: tuple[str, str] = ("", "")) -> str:
        lang = self.flow.lang
        term = self.flow.server_config.get("terminal", {})
        look = self.look()
        logo = ""
        if look.logo_sha and self.images.path(look.logo_sha) is not None:
            logo = f"<img class='logo' src='/img/{look.logo_sha}' alt=''>"
        elif look.logo_file is not None:
            logo = "<img class='logo' src='/logo' alt=''>"
        langs = "".join(f"<button name='lang' value='{code}'{' disabled' if code == lang else ''}>{label}</button>"
                        for code, label in (("ru", "RU"), ("en", "EN")))
        meta = f"<meta http-equiv='refresh' content='{refresh}'>" if refresh else ""
        top, bottom = banners
        return (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>{meta}"
                f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
                f"<title>{esc(title)}</title><link rel='stylesheet' href='/static/kiosk.css'>"
                f"<link rel='stylesheet' href='/theme.css'><script src='/static/kiosk.js' defer></script></head>"
                f"<body data-page='{esc(PAGES[self.flow.state])}' class='page-{name} layout-{look.layout}'>"
                f"<header>{logo}<div class='title'>{esc(term.get('dealer') or 'KIT')}</div>"
                f"<form class='lang' method='post' action='/lang'><input type='hidden' name='back' value='{esc(back)}'>"
                f"{langs}</form></header>{top}<main>{content}</main>{bottom}"
                f"<footer><span>{esc(t(lang, 'terminal'))} № {esc(self.cfg.terminal)}"
                f"{' · ' + esc(term.get('address')) if term.get('address') else ''}</span>"
                f"<span>{esc(t(lang, 'support'))}: {esc(term.get('support_phone', ''))}</span></footer></body></html>")

    def name_of(self, item: dict) -> str:
        if self.flow.lang == "en" and item.get("name_en"):
            return item["name_en"]
        return item.get("name", "")

    # -- customer pages -----------------------------------------------------------------
    def home(self) -> str:
        lang, flow = self.flow.lang, self.flow
        idle = self.idle_ad()
        if idle is not None:
            # Full screen while nobody uses the kiosk; a touch anywhere brings the services back.
            content = (f"<form method='post' action='/wake' class='idle'><button class='idle-ad'>"
                       f"{self.ad_html(idle, 'idle', tag='span')}<span class='touch'>{esc(t(lang, 'touch_to_start'))}</span>"
                       f"</button></form>")
            return self.page("idle", t(lang, "choose"), content, refresh=ROTATE_SECONDS)
        groups: dict[str, list[dict]] = {}
        names = {}
        for p in flow.providers():
            cat = p.get("category", {})
            groups.setdefault(cat.get("code", ""), []).append(p)
            names[cat.get("code", "")] = cat.get("name", "")
        cats = {c["code"]: c for c in flow.server_config.get("categories", [])}
        body = [f"<h1>{esc(t(lang, 'choose'))}</h1>"]
        for code in sorted(groups, key=lambda c: cats.get(c, {}).get("position", 99)):
            title = t(lang, f"cat_{code}", default=names[code])
            tiles = []
            for p in groups[code]:
                available = flow.provider_available(p)
                note = "" if available else f"<small>{esc(t(lang, 'unavailable_short'))}</small>"
                tiles.append(f"<form method='post' action='/choose'><button name='provider' value='{esc(p['code'])}'"
                             f"{'' if available else ' disabled'}>{esc(self.name_of(p))}{note}</button></form>")
            body.append(f"<h2 class='category'>{esc(title)}</h2><div class='tiles'>{''.join(tiles)}</div>")
        if not flow.link.online:
            body.insert(1, f"<div class='notice'>{esc(t(lang, 'offline_notice'))}</div>")
        # Refreshed now and then so an idle screen follows the kiosk (out of service and back), the
        # ads their schedules, and the full-screen ad comes once nobody has touched it for a while.
        return self.page("home", t(lang, "choose"), "".join(body), refresh=ROTATE_SECONDS, banners=self.banners())

    def account(self) -> str:
        lang, flow = self.flow.lang, self.flow
        p = flow.provider
        fields = []
        for f in flow.fields():
            label = f.get("label_en") if lang == "en" and f.get("label_en") else f.get("label", f["name"])
            value = flow.values.get(f["name"], "")
            active = " active" if f["name"] == flow.active else ""
            example = f.get("example") or ""
            fields.append(f"<form method='post' action='/key'><input type='hidden' name='key' value=''>"
                          f"<button class='field{active}' name='field' value='{esc(f['name'])}'>"
                          f"<small>{esc(label)}{' (' + esc(t(lang, 'optional')) + ')' if not f.get('required', True) else ''}</small>"
                          f"{esc(value) or '&nbsp;'}</button></form>"
                          + (f"<div class='notes'>{esc(t(lang, 'example'))}: {esc(example)}</div>" if active and example else ""))
        keys = [*"123456789", "clear", "0", "back"]
        pad = "".join(f"<form method='post' action='/key'><button name='key' value='{k}' "
                      f"class='{'secondary' if len(k) > 1 else ''}'>{esc(t(lang, 'key_' + k, default=k))}</button></form>"
                      for k in keys)
        message = ""
        if flow.message == "other_operator" and flow.hint:
            message = (f"<div class='notice'>{esc(t(lang, 'other_operator', name=flow.hint['name']))}"
                       f"<form method='post' action='/hint'><button class='accent small'>"
                       f"{esc(t(lang, 'switch_to', name=flow.hint['name']))}</button></form></div>")
        elif flow.message:
            message = f"<div class='message'>{esc(t(lang, 'msg_' + flow.message))}</div>"
        content = (f"<h1>{esc(self.name_of(p))}</h1>{message}<div class='entry'><div class='fields'>{''.join(fields)}"
                   f"<div class='actions'><form method='post' action='/cancel'><button class='secondary'>"
                   f"{esc(t(lang, 'back'))}</button></form><form method='post' action='/account'>"
                   f"<button class='accent'>{esc(t(lang, 'next'))}</button></form></div></div>"
                   f"<div class='keypad'>{pad}</div></div>")
        return self.page("account", self.name_of(p), content, back="/account")

    def agent_info(self) -> str:
        """What a payment agent must show before taking cash (103-FZ art. 4)."""
        lang, flow = self.flow.lang, self.flow
        term = flow.server_config.get("terminal", {})
        p = flow.provider or {}
        fee = p.get("fee")
        if not fee:
            fee_text = t(lang, "no_fee")
        else:
            parts = []
            if Decimal(fee["percent"]):
                parts.append(f"{Decimal(fee['percent']).normalize():f}%")
            if Decimal(fee["fixed"]):
                parts.append(money(fee["fixed"], lang))
            fee_text = " + ".join(parts) or t(lang, "no_fee")
            if Decimal(fee["minimum"]):
                fee_text += f", {t(lang, 'minimum')} {money(fee['minimum'], lang)}"
        rows = [(t(lang, "agent"), f"{term.get('dealer', '')}, {t(lang, 'inn')} {term.get('dealer_inn', '')}"),
                (t(lang, "agent_address"), term.get("address", "")),
                (t(lang, "provider"), f"{p.get('legal_name') or p.get('name', '')}"
                                      + (f", {t(lang, 'inn')} {p['inn']}" if p.get("inn") else "")),
                (t(lang, "account"), flow.values.get("account", "")),
                (t(lang, "fee"), fee_text),
                (t(lang, "limits"), f"{money(p.get('limits', {}).get('min', '0'), lang)} – {money(flow.max_amount, lang)}"),
                (t(lang, "support"), term.get("support_phone", ""))]
        return "<dl class='info'>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows) + "</dl>"

    def insert_status(self) -> str:
        lang, snap = self.flow.lang, self.flow.snapshot()
        notes = ", ".join(money(v, lang) for v in snap["notes"]) or "—"
        returned = (f"<div class='notice'>{esc(t(lang, 'returned'))}</div>" if snap["returned"] else "")
        return (f"<div class='counts'><span>{esc(t(lang, 'inserted'))}</span>"
                f"<span class='total' id='total'>{esc(money(snap['total'], lang))}</span>"
                f"<span class='notes'>{esc(t(lang, 'notes'))}: <b id='count'>{snap['count']}</b> ({esc(notes)})</span>"
                f"</div>{returned}")

    def insert(self) -> str:
        lang, flow = self.flow.lang, self.flow
        snap = flow.snapshot()
        offline = f"<div class='notice'>{esc(t(lang, 'offline_payment'))}</div>" if flow.offline else ""
        can_cancel = snap["count"] == 0
        content = (f"<h1>{esc(t(lang, 'insert'))}</h1>{offline}<div class='cols'><div>{self.agent_info()}</div><div>"
                   f"<div data-poll='/insert/status'>{self.insert_status()}</div>"
                   f"<p class='notes'>{esc(t(lang, 'walk_away', seconds=int(self.cfg.walk_away_seconds)))}</p>"
                   f"<div class='actions'><form method='post' action='/cancel'><button class='secondary'"
                   f"{'' if can_cancel else ' disabled'}>{esc(t(lang, 'cancel'))}</button></form>"
                   f"<form method='post' action='/confirm'><button class='accent' id='pay'>{esc(t(lang, 'pay'))}"
                   f"</button></form></div></div></div>")
        return self.page("insert", t(lang, "insert"), content, refresh=2, back="/insert")

    def receipt(self) -> str:
        lang, flow = self.flow.lang, self.flow
        p = flow.receipt
        if p is None:
            return self.page("receipt", t(lang, "thanks"), "")
        term = flow.server_config.get("terminal", {})
        lines = [(t(lang, "txn"), p.txn), (t(lang, "provider"), p.provider_name), (t(lang, "account"), p.account),
                 (t(lang, "inserted"), money(p.amount, lang)), (t(lang, "fee"), money(p.fee, lang)),
                 (t(lang, "credited"), money(p.credited, lang)),
                 (t(lang, "paid_at"), datetime.fromisoformat(p.paid_at).strftime("%d.%m.%Y %H:%M:%S"))]
        notes = []
        if p.not_passed:
            notes.append(f"<div class='message'>{esc(t(lang, 'not_passed', phone=term.get('support_phone', '')))}</div>")
        elif p.offline:
            notes.append(f"<div class='notice'>{esc(t(lang, 'offline_receipt'))}</div>")
        if p.receipt == "not_printed":
            notes.append(f"<div class='message'>{esc(t(lang, 'not_printed'))}</div>")
        elif p.receipt == "fiscal_failed":
            notes.append(f"<div class='message'>{esc(t(lang, 'fiscal_failed'))}</div>")
        else:
            notes.append(f"<div class='notice'>{esc(t(lang, 'take_cheque'))}</div>")
        table = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in lines)
        content = (f"<h1>{esc(t(lang, 'thanks'))}</h1>{''.join(notes)}<dl class='info receipt'>{table}</dl>"
                   f"<div class='actions'><form method='post' action='/done'><button class='accent' id='done'>"
                   f"{esc(t(lang, 'done'))}</button></form></div>")
        return self.page("receipt", t(lang, "thanks"), content, refresh=int(self.cfg.receipt_seconds) + 1, back="/receipt",
                         banners=self.banners())

    def out_of_service(self) -> str:
        lang = self.flow.lang
        reasons = self.flow.oos_reasons()
        shown = ", ".join(t(lang, "oos_" + r, default=r) for r in reasons)
        content = (f"<div class='oos'><h1>{esc(t(lang, 'oos_title'))}</h1><p>{esc(t(lang, 'oos_text'))}</p>"
                   f"<p class='notes'>{esc(shown)}</p></div>")
        return self.page("oos", t(lang, "oos_title"), content, refresh=5, back="/out-of-service")

    # -- the service screen (behind the PIN) --------------------------------------------
    def _authorised(self, environ) -> bool:
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        token = cookie["kiosk_service"].value if "kiosk_service" in cookie else ""
        expires = self.sessions.get(token, 0)
        return bool(token) and expires > self.clock()

    def service(self, method: str, path: str, form: dict, environ):
        lang = self.flow.lang
        if path == "/service/key" and method == "POST":
            key = form.get("key", "")
            self.pin = "" if key == "clear" else self.pin[:-1] if key == "back" else (
                self.pin + key if key.isdigit() and len(key) == 1 and len(self.pin) < 12 else self.pin)
            return self.redirect("/service")
        if path == "/service/login" and method == "POST":
            pin, self.pin = self.pin, ""
            if self.clock() < self.pin_locked_until:
                return self.redirect("/service?locked=1")
            if self.cfg.service_pin_hash and pin_matches(pin, self.cfg.service_pin_hash):
                self.pin_failures = 0
                token = secrets.token_urlsafe(24)
                self.sessions = {k: v for k, v in self.sessions.items() if v > self.clock()}
                self.sessions[token] = self.clock() + SERVICE_MINUTES * 60
                return "303 See Other", [("Location", "/service/panel"), (
                    "Set-Cookie", f"kiosk_service={token}; Path=/service; HttpOnly; SameSite=Strict")], b""
            self.pin_failures += 1
            if self.pin_failures >= PIN_TRIES:
                self.pin_failures, self.pin_locked_until = 0, self.clock() + 300
                log.warning("service PIN: too many wrong PINs, locked for 5 minutes")
            return self.redirect("/service?wrong=1")
        if path == "/service" and method == "GET":
            qs = parse_qs(environ.get("QUERY_STRING", ""))
            message = ""
            if "wrong" in qs:
                message = f"<div class='message'>{esc(t(lang, 'wrong_pin'))}</div>"
            if "locked" in qs or self.clock() < self.pin_locked_until:
                message = f"<div class='message'>{esc(t(lang, 'pin_locked'))}</div>"
            keys = [*"123456789", "clear", "0", "back"]
            pad = "".join(f"<form method='post' action='/service/key'><button name='key' value='{k}' "
                          f"class='{'secondary' if len(k) > 1 else ''}'>{esc(t(lang, 'key_' + k, default=k))}"
                          f"</button></form>" for k in keys)
            content = (f"<h1>{esc(t(lang, 'service'))}</h1>{message}<div class='entry'><div class='fields'>"
                       f"<div class='field active' id='pin'><small>PIN</small>{'•' * len(self.pin) or '&nbsp;'}</div>"
                       f"<div class='actions'><form method='post' action='/service/login'><button class='accent' id='login'>"
                       f"{esc(t(lang, 'enter'))}</button></form></div></div><div class='keypad'>{pad}</div></div>")
            return "200 OK", [], self.page("service", t(lang, "service"), content, back="/service")
        if not self._authorised(environ):
            return self.redirect("/service")
        if path == "/service/reprint" and method == "POST":
            ok = self.flow.reprint_last()
            return self.redirect("/service/panel?reprint=" + ("ok" if ok else "failed"))
        if path == "/service/encash-open" and method == "POST":
            self.flow.encashment_open()
            return self.redirect("/service/panel?collect=opened")
        if path == "/service/collect" and method == "POST":
            done = self.flow.collect()
            return self.redirect("/service/panel?collect=" + ("ok" if done and done["printed"] else
                                                               "not_printed" if done else "refused"))
        if path == "/service/logout" and method == "POST":
            self.sessions.clear()
            return self.redirect("/")
        if path == "/service/panel" and method == "GET":
            qs = parse_qs(environ.get("QUERY_STRING", ""))
            return "200 OK", [], self.page("panel", t(lang, "service"),
                                           self.panel(qs.get("reprint", [""])[0], qs.get("collect", [""])[0]),
                                           back="/service/panel")
        return self.respond(404, "not found")

    def panel(self, reprint: str, collect: str = "") -> str:
        lang, flow, store = self.flow.lang, self.flow, self.flow.store
        d = flow.devices

        def state(value: str) -> str:
            return f"<span class='{'ok' if value == 'ok' else 'bad'}'>{esc(value)}</span>"

        devices = [(t(lang, "validator"), state(d.validator) + (f" {esc(d.validator_error)}" if d.validator_error else "")
                    + (f" · {esc(d.identification)}" if d.identification else "")),
                   (t(lang, "printer"), state(d.printer) + f" · {esc(t(lang, 'paper'))}: {esc(d.paper)}"),
                   (t(lang, "fiscal"), state(d.fiscal) + f" · {esc(self.cfg.fiscal)} {esc(d.fiscal_error)}"),
                   (t(lang, "server"), state("ok" if flow.link.online else "offline")),
                   (t(lang, "flow_state"), esc(flow.state.value)),
                   (t(lang, "next_txn"), esc(store.txn_counter() + 1))]
        q = store.queue_summary()
        box = store.cash_box()
        rejected = "".join(f"<tr><td>{esc(p.txn)}</td><td>{esc(p.http_status)}</td><td>{esc(p.error_code)}</td>"
                           f"<td>{esc(money(p.amount, lang))}</td><td>{esc(p.paid_at)}</td></tr>" for p in store.rejected())
        cash = "".join(f"<tr><td>{esc(v)} ₽</td><td>{n}</td></tr>" for v, n in box.items())
        none = f"<tr><td colspan='5'>{esc(t(lang, 'none'))}</td></tr>"
        message = ""
        if reprint:
            message = f"<div class='{'notice' if reprint == 'ok' else 'message'}'>{esc(t(lang, 'reprint_' + reprint))}</div>"
        if collect in ("ok", "not_printed", "refused", "opened"):
            message = f"<div class='{'notice' if collect == 'ok' else 'message'}'>{esc(t(lang, 'collect_' + collect))}</div>"
        return (f"<h1>{esc(t(lang, 'service'))}</h1>{message}<div class='cols'><div>"
                f"<table>{''.join(f'<tr><th>{esc(k)}</th><td>{v}</td></tr>' for k, v in devices)}</table>"
                f"<h2>{esc(t(lang, 'queue'))}</h2><p>{q['count']} · {esc(money(q['amount'], lang))}"
                f"{' · ' + esc(q['oldest_at']) if q['oldest_at'] else ''}</p>"
                f"<h2>{esc(t(lang, 'cash_box'))}</h2><table>{cash or none}</table></div><div>"
                f"<h2>{esc(t(lang, 'rejected'))}</h2><table><tr><th>txn</th><th>HTTP</th><th>{esc(t(lang, 'code'))}</th>"
                f"<th>{esc(t(lang, 'inserted'))}</th><th>{esc(t(lang, 'paid_at'))}</th></tr>{rejected or none}</table>"
                f"<div class='actions'><form method='post' action='/service/reprint'><button id='reprint'>"
                f"{esc(t(lang, 'reprint'))}</button></form><form method='post' action='/service/encash-open'>"
                f"<button id='encash-open'>{esc(t(lang, 'collect_open'))}</button></form>"
                f"<form method='post' action='/service/collect'>"
                f"<button id='collect' class='accent'>{esc(t(lang, 'collect'))}</button></form>"
                f"<form method='post' action='/service/logout'>"
                f"<button class='secondary'>{esc(t(lang, 'logout'))}</button></form></div></div></div>")


class _Threaded(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        log.debug("screens: " + format, *args)


def serve(flow, cfg) -> WSGIServer:
    """Bind the screens to listen_host:listen_port (0: any free port, written to data_dir/screens.port)."""
    server = make_server(cfg.listen_host, cfg.listen_port, Screens(flow, cfg), server_class=_Threaded,
                         handler_class=_QuietHandler)
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    (cfg.data_dir / "screens.port").write_text(str(server.server_port))
    return server
