"""/config carries the terminal's theme and the ads in force in the next 24 hours; the ETag follows them."""

import hashlib
import io
import zoneinfo
from datetime import date, datetime, time

import pytest
from PIL import Image

from screens.models import Ad, ScreenImage, Theme, ThemeAssignment
from screens.selectors import terminal_ads

MSK = zoneinfo.ZoneInfo("Europe/Moscow")


def png(colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buf, "PNG")
    return buf.getvalue()


def _image(data: bytes) -> ScreenImage:
    return ScreenImage.objects.create(sha256=hashlib.sha256(data).hexdigest(), content_type="image/png", data=data,
                                      size=len(data), width=4, height=4)


@pytest.fixture
def no_demo_screens(world):
    Ad.objects.all().delete()
    ThemeAssignment.objects.all().delete()


def _ad(demo, terminal=None, **kw) -> Ad:
    values = dict(dealer=demo, name="Скидка", kind="text", text="Без комиссии", date_from=date(2026, 12, 10),
                  date_to=date(2026, 12, 10), weekdays="1234567", time_from=time(10), time_to=time(12))
    values.update(kw)
    ad = Ad.objects.create(**values)
    if terminal is not None:
        ad.terminals.add(terminal)
    return ad


def _frozen(monkeypatch, at):
    monkeypatch.setattr("django.utils.timezone.now", lambda: at)


def test_config_carries_the_assigned_theme_with_its_logo_url_and_hash(kiosk, terminal, demo, no_demo_screens):
    data = png()
    theme = Theme.objects.create(dealer=demo, name="Красная", layout="large", background="#101010",
                                 text="#fafafa", accent="#e11d48", button_text="#000000", logo=_image(data))
    ThemeAssignment.objects.create(terminal=terminal, theme=theme)
    doc = kiosk.config().json()["theme"]
    sha = hashlib.sha256(data).hexdigest()
    assert doc == {"id": theme.pk, "name": "Красная", "layout": "large",
                   "colors": {"background": "#101010", "text": "#fafafa", "accent": "#e11d48",
                              "button_text": "#000000"},
                   "logo": {"url": f"/screens/img/{sha}", "sha256": sha, "content_type": "image/png",
                            "width": 4, "height": 4}}


def test_the_image_url_serves_the_exact_bytes_with_that_hash(client, world):
    data = png()
    row = _image(data)
    response = client.get(f"/screens/img/{row.sha256}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert hashlib.sha256(response.content).hexdigest() == row.sha256
    assert client.get("/screens/img/" + "0" * 64).status_code == 404
    assert client.get("/screens/img/not-a-hash").status_code == 404


def test_the_etag_changes_with_the_theme(kiosk, terminal, demo, no_demo_screens):
    first = kiosk.config().headers["ETag"]
    theme = Theme.objects.create(dealer=demo, name="Синяя")
    ThemeAssignment.objects.create(terminal=terminal, theme=theme)
    second = kiosk.config(etag=first)
    assert second.status_code == 200 and second.headers["ETag"] != first
    Theme.objects.filter(pk=theme.pk).update(accent="#000001")
    third = kiosk.config(etag=second.headers["ETag"])
    assert third.status_code == 200 and third.headers["ETag"] != second.headers["ETag"]
    assert kiosk.config(etag=third.headers["ETag"]).status_code == 304


def test_the_etag_changes_with_ads(kiosk, terminal, demo, no_demo_screens, monkeypatch):
    _frozen(monkeypatch, datetime(2026, 12, 10, 9, 0, tzinfo=MSK))
    first = kiosk.config().headers["ETag"]
    ad = _ad(demo, terminal)
    second = kiosk.config(etag=first)
    assert second.status_code == 200 and second.headers["ETag"] != first
    Ad.objects.filter(pk=ad.pk).update(text="Другой текст")
    assert kiosk.config(etag=second.headers["ETag"]).status_code == 200


def test_the_etag_changes_when_an_ad_enters_and_leaves_the_next_24_hours(kiosk, terminal, demo, no_demo_screens,
                                                                          monkeypatch):
    _ad(demo, terminal)  # 10 December, 10:00-12:00 Moscow time
    tags = {}
    for label, at in [("before", datetime(2026, 12, 9, 9, 59, tzinfo=MSK)),
                      ("edge", datetime(2026, 12, 9, 10, 0, tzinfo=MSK)),
                      ("ahead", datetime(2026, 12, 9, 10, 1, tzinfo=MSK)),
                      ("during", datetime(2026, 12, 10, 11, 59, tzinfo=MSK)),
                      ("after", datetime(2026, 12, 10, 12, 0, tzinfo=MSK))]:
        _frozen(monkeypatch, at)
        response = kiosk.config()
        tags[label] = (response.headers["ETag"], [a["name"] for a in response.json()["ads"]])
    assert [names for _, names in tags.values()] == [[], [], ["Скидка"], ["Скидка"], []]
    assert tags["before"][0] == tags["edge"][0] == tags["after"][0]
    assert tags["ahead"][0] == tags["during"][0] != tags["before"][0]


def test_an_ad_is_delivered_with_its_whole_schedule_and_image(terminal, demo, no_demo_screens):
    data = png((1, 2, 3))
    ad = _ad(demo, terminal, kind="image", image=_image(data), position="idle", weekdays="145")
    sha = hashlib.sha256(data).hexdigest()
    assert terminal_ads(terminal, now=datetime(2026, 12, 10, 8, 0, tzinfo=MSK)) == [{
        "id": ad.pk, "name": "Скидка", "kind": "image", "text": "", "position": "idle",
        "image": {"url": f"/screens/img/{sha}", "sha256": sha, "content_type": "image/png", "width": 4, "height": 4},
        "schedule": {"date_from": "2026-12-10", "date_to": "2026-12-10", "weekdays": [1, 4, 5],
                     "time_from": "10:00", "time_to": "12:00", "time_zone": "Europe/Moscow"}}]


def test_an_ad_on_a_day_of_week_outside_its_schedule_is_not_delivered(terminal, demo, no_demo_screens):
    _ad(demo, terminal, weekdays="67")  # 10 December 2026 is a Thursday
    assert terminal_ads(terminal, now=datetime(2026, 12, 10, 8, 0, tzinfo=MSK)) == []


def test_ads_reach_terminals_by_choice_by_all_my_terminals_and_globally(terminal, demo, foreign, no_demo_screens):
    from terminals.models import Terminal

    other = Terminal.objects.get(number="1002")
    sub_terminal = Terminal.objects.get(number="2001")
    foreign_terminal = Terminal.objects.get(number="9001")
    _ad(demo, terminal, name="только 1001")
    _ad(demo, name="все терминалы Demo", all_terminals=True)
    _ad(None, name="вся сеть", all_terminals=True)
    _ad(foreign, name="чужая", all_terminals=True)
    now = datetime(2026, 12, 10, 8, 0, tzinfo=MSK)

    def names(t):
        return [a["name"] for a in terminal_ads(Terminal.objects.select_related("dealer").get(pk=t.pk), now=now)]

    assert names(terminal) == ["только 1001", "все терминалы Demo", "вся сеть"]
    assert names(other) == ["все терминалы Demo", "вся сеть"]
    assert names(sub_terminal) == ["все терминалы Demo", "вся сеть"]
    assert names(foreign_terminal) == ["вся сеть", "чужая"]


def test_an_inactive_ad_is_not_delivered(terminal, demo, no_demo_screens):
    _ad(demo, terminal, is_active=False)
    assert terminal_ads(terminal, now=datetime(2026, 12, 10, 8, 0, tzinfo=MSK)) == []


def test_a_config_with_a_logo_and_an_image_ad_matches_the_schema(kiosk, terminal, demo, no_demo_screens):
    from openapi_schema_validator import OAS31Validator

    theme = Theme.objects.create(dealer=demo, name="С логотипом", logo=_image(png()))
    ThemeAssignment.objects.create(terminal=terminal, theme=theme)
    _ad(demo, terminal, kind="image", image=_image(png((9, 9, 9))), date_from=date(2020, 1, 1),
        date_to=date(2999, 1, 1), time_to=time(0))
    _ad(demo, terminal, name="текст", date_from=date(2020, 1, 1), date_to=date(2999, 1, 1), time_from=time(0),
        time_to=time(0))
    schema = kiosk.openapi().json()
    config = kiosk.config().json()
    assert [a["kind"] for a in config["ads"]] == ["image", "text"]
    OAS31Validator({**schema["components"]["schemas"]["Config"], "components": schema["components"]}).validate(config)
