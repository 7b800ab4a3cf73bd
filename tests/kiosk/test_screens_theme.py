"""The server's theme and ads on the kiosk's screens: set on the server through the services the cabinet
calls, delivered in /config, images cached by hash on the kiosk, ads shown by their schedules, offline too."""

import hashlib
import io
import logging
import zoneinfo
from datetime import datetime, time, timedelta

import httpx
import pytest
from PIL import Image

from kiosk.images import ImageCache, image_cache
from kiosk.sync import config_refresh
from kiosk.web import IDLE_AD_SECONDS, Screens

pytestmark = pytest.mark.django_db
MSK = zoneinfo.ZoneInfo("Europe/Moscow")


def png(colour, size=(48, 16)) -> dict:
    """An uploaded image as screens.images.image_check hands it to the services."""
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "PNG")
    data = buf.getvalue()
    return {"data": data, "content_type": "image/png", "width": size[0], "height": size[1],
            "sha256": hashlib.sha256(data).hexdigest()}


PLANTED = png("#123456")


def theme_on(terminal, demo, *, logo=None, **fields):
    from screens import services
    from screens.models import Theme

    theme = Theme(dealer=demo, name=fields.pop("name", "Тёмная"), **fields)
    services.theme_save(theme=theme, logo=logo)
    services.theme_assign(theme=theme, terminals=[terminal])
    return theme


def ad_on(terminal, demo, *, image=None, **fields):
    from django.utils import timezone

    from screens import services
    from screens.models import Ad

    today = timezone.localdate(timezone=MSK)
    values = dict(dealer=demo, name="Скидка", kind="text", text="Сегодня без комиссии", position="top",
                  date_from=today - timedelta(days=1), date_to=today + timedelta(days=30), weekdays="1234567",
                  time_from=time(0), time_to=time(0))
    values.update(fields)
    return services.ad_save(ad=Ad(**values), terminals=[terminal], image=image)


@pytest.fixture
def kiosk(make_kiosk, terminal, demo):
    from screens.models import Ad, ThemeAssignment

    Ad.objects.all().delete()  # the demo's ad and theme: each test sets its own
    ThemeAssignment.objects.all().delete()
    h = make_kiosk()
    h.now = datetime.now(MSK)

    def screens():
        app = Screens(h.flow, h.cfg, clock=h.clock, now=lambda: h.now)
        return httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://127.0.0.1:8765")

    h.screens = screens
    h.refresh = lambda **kw: config_refresh(store=h.store, client=h.kiosk.client, link=h.kiosk.link, **kw)
    h.images = h.cfg.data_dir / "images"
    return h


def test_a_theme_assigned_on_the_server_reaches_the_screens_after_refresh_config(kiosk, terminal, demo):
    from terminals.commands import command_queue
    from terminals.models import TerminalCommand

    logo = png("#e11d48")
    theme_on(terminal, demo, layout="large", background="#101010", text="#fafafa", accent="#e11d48",
             button_text="#000000", logo=logo)
    before = kiosk.screens().get("/theme.css").text
    assert "--bg: #101010" not in before  # the kiosk has not read the config since
    command = command_queue(terminals=[terminal], kind="refresh_config")[0]
    assert kiosk.kiosk.heartbeat.beat()  # the answer carries the command; the kiosk runs it
    assert kiosk.kiosk.heartbeat.beat()  # and acknowledges it
    command.refresh_from_db()
    assert command.state == TerminalCommand.State.DONE

    screens = kiosk.screens()
    css = screens.get("/theme.css").text
    for var in ("--bg: #101010", "--text: #fafafa", "--primary: #e11d48", "--button-text: #000000"):
        assert var in css
    page = screens.get("/").text
    assert "layout-large" in page
    assert f"<img class='logo' src='/img/{logo['sha256']}' alt=''>" in page
    assert (kiosk.images / logo["sha256"]).read_bytes() == logo["data"]
    served = screens.get(f"/img/{logo['sha256']}")
    assert (served.status_code, served.headers["content-type"], served.content) == (200, "image/png", logo["data"])
    assert served.headers.get_list("cache-control") == ["max-age=86400, immutable"]

    # Offline, the theme and its logo stay: both come from the kiosk's store and its cache.
    kiosk.online = False
    kiosk.kiosk.link.fail()
    page = screens.get("/").text
    assert "layout-large" in page and f"src='/img/{logo['sha256']}'" in page
    assert screens.get(f"/img/{logo['sha256']}").content == logo["data"]


@pytest.mark.parametrize(("layout", "shown"), [("tiles", "tiles"), ("list", "list"), ("large", "large"),
                                               ("grid", "tiles"), ("carousel", "tiles"), (None, "tiles")])
def test_every_server_layout_renders_and_an_unknown_one_falls_back_to_tiles(kiosk, layout, shown):
    doc, etag = kiosk.store.config_cached()
    doc["theme"] = {"id": 1, "name": "x", "layout": layout, "colors": {}, "logo": None}
    kiosk.store.config_save(doc, etag)
    assert f"class='page-home layout-{shown}'" in kiosk.screens().get("/").text


def test_the_style_sheet_has_rules_for_each_layout():
    from kiosk.theme import DEFAULT_LAYOUT, LAYOUTS
    from kiosk.web import STATIC

    css = (STATIC / "kiosk.css").read_text()
    for layout in LAYOUTS:
        if layout != DEFAULT_LAYOUT:  # the default is the plain .tiles rule
            assert f".layout-{layout} .tiles {{" in css and f".layout-{layout} .tiles button {{" in css


@pytest.mark.parametrize("bad", ["red; } body { display: none", "#12345", "url(https://evil.example/x)",
                                 "#ff0000;--x:1", "expression(alert(1))", 16711680, None])
def test_colours_are_checked_again_on_the_kiosk_and_a_bad_one_falls_back(kiosk, bad):
    doc, etag = kiosk.store.config_cached()
    doc["theme"] = {"id": 1, "name": "x", "layout": "tiles",
                    "colors": {"background": bad, "text": "#abc", "accent": bad, "button_text": "#11223344"},
                    "logo": {"url": "/screens/img/x", "sha256": "../../kiosk.toml"}}
    kiosk.store.config_save(doc, etag)
    css = kiosk.screens().get("/theme.css").text
    assert css == (":root { --primary: #0b5cad; --accent: #ffc83d; --bg: #f3f5f8; --text: #abc; "
                   "--muted: color-mix(in srgb, var(--text) 65%, var(--bg)); --button-text: #11223344; }\n")
    assert "<img class='logo'" not in kiosk.screens().get("/").text


def test_a_wrong_hash_is_discarded_logged_and_never_shown(kiosk, terminal, demo, caplog):
    from screens.models import ScreenImage

    logo = png("#e11d48")
    theme_on(terminal, demo, logo=logo)
    ScreenImage.objects.filter(pk=logo["sha256"]).update(data=png("#00ff00")["data"])  # not what the hash says
    with caplog.at_level(logging.ERROR, logger="kiosk.images"):
        assert kiosk.refresh()
    assert f"image {logo['sha256']}: the bytes received hash to" in caplog.text
    assert list(kiosk.images.iterdir()) == []
    screens = kiosk.screens()
    assert "<img class='logo'" not in screens.get("/").text
    assert screens.get(f"/img/{logo['sha256']}").status_code == 404


def test_a_failed_image_is_tried_again_later_and_a_heartbeat_fetches_what_is_missing(kiosk, terminal, demo):
    from kiosk.images import RETRY_FIRST
    from screens.models import ScreenImage

    logo = png("#e11d48")
    theme_on(terminal, demo, logo=logo)
    ScreenImage.objects.filter(pk=logo["sha256"]).update(data=b"broken")
    cache = ImageCache(kiosk.images, clock=kiosk.clock)
    assert kiosk.refresh(images=cache)
    assert cache.path(logo["sha256"]) is None
    ScreenImage.objects.filter(pk=logo["sha256"]).update(data=logo["data"])  # fixed on the server
    doc, _ = kiosk.store.config_cached()
    assert cache.sync(doc, kiosk.kiosk.client) == {"fetched": 0, "failed": 1, "pruned": 0}  # waits its turn
    kiosk.clock.advance(RETRY_FIRST + 1)
    assert cache.sync(doc, kiosk.kiosk.client) == {"fetched": 1, "failed": 0, "pruned": 0}

    # A heartbeat with an unchanged config still fetches an image the cache lacks.
    (kiosk.images / logo["sha256"]).unlink()
    assert kiosk.kiosk.heartbeat.beat()
    assert (kiosk.images / logo["sha256"]).read_bytes() == logo["data"]


def test_images_no_longer_named_by_the_config_are_pruned(kiosk, terminal, demo):
    from screens import services

    first, second = png("#e11d48"), png("#2563eb")
    theme = theme_on(terminal, demo, logo=first)
    assert kiosk.refresh()
    (kiosk.images / ".half-a-download.part").write_bytes(b"x")
    services.theme_save(theme=theme, logo=second)
    assert kiosk.refresh()
    assert sorted(p.name for p in kiosk.images.iterdir()) == [second["sha256"]]
    services.theme_assign(theme=None, terminals=[terminal])
    assert kiosk.refresh()
    assert list(kiosk.images.iterdir()) == []


def test_an_image_larger_than_the_kiosk_takes_is_refused(kiosk, terminal, demo, monkeypatch):
    monkeypatch.setattr("kiosk.images.MAX_BYTES", 50)
    logo = png("#e11d48")
    theme_on(terminal, demo, logo=logo)
    assert kiosk.refresh()
    assert list(kiosk.images.iterdir()) == []


@pytest.mark.parametrize("path", [
    "/img/../kiosk.sqlite3", "/img/..%2Fkiosk.toml", "/img/%2e%2e/%2e%2e/kiosk.toml", "/img/../../data/kiosk.sqlite3",
    "/img/" + "a" * 63, "/img/" + "A" * 64, "/img/" + "a" * 65, "/img/" + "a" * 64 + "/../../kiosk.toml",
    "/img/", "/img/" + "a" * 64, "/img/" + PLANTED["sha256"],
])
def test_the_kiosk_serves_only_the_images_it_knows_by_hash(kiosk, terminal, demo, path):
    logo = png("#e11d48")
    theme_on(terminal, demo, logo=logo)
    assert kiosk.refresh()
    # Files in the cache directory that the config does not name: never served.
    (kiosk.images / ("a" * 64)).write_bytes(logo["data"])
    (kiosk.images / PLANTED["sha256"]).write_bytes(PLANTED["data"])  # an image under its own true hash
    screens = kiosk.screens()
    assert screens.get(path).status_code == 404
    assert screens.get(f"/img/{logo['sha256']}").status_code == 200


def test_a_cached_file_damaged_on_disk_is_removed_not_shown_and_fetched_again(kiosk, terminal, demo):
    logo = png("#e11d48")
    theme_on(terminal, demo, logo=logo)
    assert kiosk.refresh()
    (kiosk.images / logo["sha256"]).write_bytes(logo["data"][:-5])
    screens = kiosk.screens()
    assert screens.get(f"/img/{logo['sha256']}").status_code == 404
    assert not (kiosk.images / logo["sha256"]).exists()
    image_cache(kiosk.store).sync(kiosk.store.config_cached()[0], kiosk.kiosk.client)
    assert screens.get(f"/img/{logo['sha256']}").content == logo["data"]


def test_scheduled_ads_show_at_their_positions_inside_their_schedules_offline_too(kiosk, terminal, demo):
    tomorrow = kiosk.now + timedelta(days=1)
    banner = png("#f59e0b", size=(600, 80))
    ad_on(terminal, demo, text="Сегодня без комиссии", position="top")
    ad_on(terminal, demo, name="Картинка", kind="image", text="", image=banner, position="bottom")
    ad_on(terminal, demo, name="Завтра", text="Только завтра", weekdays=str(tomorrow.isoweekday()))
    assert kiosk.refresh()
    doc, _ = kiosk.store.config_cached()
    assert sorted(a["name"] for a in doc["ads"]) == ["Завтра", "Картинка", "Скидка"]  # all three delivered

    page = kiosk.screens().get("/").text
    head, main, tail = page.partition("<main>")[0], page.partition("<main>")[2].partition("</main>")[0], \
        page.partition("</main>")[2]
    assert "class='ad ad-top ad-text'" in head and "Сегодня без комиссии" in head
    assert "class='ad ad-bottom ad-image'" in tail and f"<img src='/img/{banner['sha256']}'" in tail
    assert "Сегодня без комиссии" not in main + tail
    assert "Только завтра" not in page  # delivered, but outside its schedule
    assert kiosk.screens().get(f"/img/{banner['sha256']}").content == banner["data"]

    # The server is gone and the config grows old: the kiosk's clock alone decides.
    kiosk.online = False
    kiosk.kiosk.link.fail()
    assert not kiosk.refresh()
    kiosk.now = tomorrow.replace(hour=12, minute=0, second=0)
    app = Screens(kiosk.flow, kiosk.cfg, now=lambda: kiosk.now)
    assert sorted(a.text for a in app.ads_now()) == ["", "Сегодня без комиссии", "Только завтра"]
    screens = kiosk.screens()
    tops = set()
    for _ in range(2):  # two ads at the top take turns
        tops.add(screens.get("/").text.partition("<main>")[0].rpartition("<span>")[2].partition("</span>")[0])
        kiosk.now += timedelta(seconds=15)
    assert tops == {"Сегодня без комиссии", "Только завтра"}
    kiosk.now = datetime.now(MSK) + timedelta(days=40)  # past every ad's last date
    page = screens.get("/").text
    assert "class='ad " not in page


def test_an_image_ad_waits_until_its_image_is_cached(kiosk, terminal, demo):
    from screens.models import ScreenImage

    banner = png("#f59e0b", size=(600, 80))
    ad_on(terminal, demo, name="Картинка", kind="image", text="", image=banner, position="bottom")
    ScreenImage.objects.filter(pk=banner["sha256"]).update(data=b"not it")
    assert kiosk.refresh()
    assert kiosk.screens().get("/").text.count("class='ad ") == 0


def test_the_idle_ad_fills_the_screen_after_a_minute_without_a_touch_and_a_touch_brings_the_services_back(
        kiosk, terminal, demo):
    ad_on(terminal, demo, text="Оплачивайте ЖКХ без комиссии", position="idle")
    assert kiosk.refresh()
    screens = kiosk.screens()
    page = screens.get("/").text
    assert "page-home" in page and "Оплачивайте ЖКХ" not in page  # an idle ad is not a banner
    kiosk.clock.advance(IDLE_AD_SECONDS + 1)
    page = screens.get("/").text
    assert "class='page-idle" in page
    assert "class='ad ad-idle ad-text'" in page and "Оплачивайте ЖКХ без комиссии" in page
    assert "Коснитесь экрана" in page and "<h1>" not in page
    assert screens.post("/wake").headers["location"] == "/"
    page = screens.get("/").text
    assert "page-home" in page and "Выберите услугу</h1>" in page
    kiosk.clock.advance(IDLE_AD_SECONDS - 5)
    assert "page-home" in screens.get("/").text


def test_an_image_cache_that_cannot_be_written_costs_the_pictures_never_the_config(kiosk, terminal, demo, caplog):
    from providers.models import Provider

    theme_on(terminal, demo, logo=png("#e11d48"))
    Provider.objects.filter(code="mts").update(max_amount="7000.00")
    if kiosk.images.exists():
        kiosk.images.rmdir()  # empty: nothing was cached at boot
    kiosk.images.write_text("a file where the directory should be")
    with caplog.at_level(logging.ERROR, logger="kiosk.sync"):
        assert kiosk.refresh()
    assert "images: not synchronised" in caplog.text
    assert kiosk.flow.provider_by_code("mts")["limits"]["max"] == "7000.00"
    assert "<img class='logo'" not in kiosk.screens().get("/").text
