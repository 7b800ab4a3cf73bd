"""The kiosk reads each ad's schedule itself, by its own clock, in the schedule's time zone (fixed clocks here)."""

import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest

from kiosk.ads import Ad, BadAd, all_ads, local_ad, pick, server_ad

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
UTC = zoneinfo.ZoneInfo("UTC")


def doc(**schedule) -> dict:
    """A server ad document as /config carries it (screens.selectors.ad_doc)."""
    s = {"date_from": "2026-12-01", "date_to": "2026-12-31", "weekdays": [1, 2, 3, 4, 5, 6, 7],
         "time_from": "08:00", "time_to": "22:00", "time_zone": "Europe/Moscow"}
    s.update(schedule)
    return {"id": 7, "name": "Скидка", "kind": "text", "text": "Без комиссии", "image": None, "position": "bottom",
            "schedule": s}


def on(ad_doc: dict, *at) -> bool:
    return server_ad(ad_doc).schedule.on(datetime(*at, tzinfo=MSK))


def test_inside_and_outside_the_dates_both_ends_inclusive():
    ad = doc(date_from="2026-12-10", date_to="2026-12-12")
    assert not on(ad, 2026, 12, 9, 12, 0)
    assert on(ad, 2026, 12, 10, 12, 0)
    assert on(ad, 2026, 12, 12, 21, 59)
    assert not on(ad, 2026, 12, 13, 12, 0)


def test_only_on_its_days_of_the_week():
    ad = doc(weekdays=[6, 7])  # 2026-12-05 is a Saturday
    assert on(ad, 2026, 12, 5, 12, 0)
    assert on(ad, 2026, 12, 6, 12, 0)
    assert not on(ad, 2026, 12, 7, 12, 0)
    assert not on(ad, 2026, 12, 11, 12, 0)


def test_inside_its_hours_from_inclusive_to_exclusive():
    ad = doc(time_from="10:30", time_to="12:00")
    assert not on(ad, 2026, 12, 7, 10, 29, 59)
    assert on(ad, 2026, 12, 7, 10, 30)
    assert on(ad, 2026, 12, 7, 11, 59, 59)
    assert not on(ad, 2026, 12, 7, 12, 0)


def test_until_midnight_runs_to_the_end_of_the_day_and_not_into_the_next():
    ad = doc(time_from="22:00", time_to="00:00", weekdays=[5], date_to="2026-12-04")  # Friday 4 December
    assert on(ad, 2026, 12, 4, 22, 0)
    assert on(ad, 2026, 12, 4, 23, 59, 59)
    assert not on(ad, 2026, 12, 5, 0, 0)  # Saturday: not one of its days, and past its last date
    assert not on(ad, 2026, 12, 4, 21, 59)


def test_two_evenings_to_midnight_and_mornings_from_midnight_make_a_night_across_midnight():
    evening = server_ad(doc(time_from="22:00", time_to="00:00"))
    morning = server_ad(doc(time_from="00:00", time_to="02:00"))
    night = [datetime(2026, 12, 7, 21, 59, tzinfo=MSK) + timedelta(minutes=m) for m in range(0, 250, 10)]
    shown = [any(a.schedule.on(t) for a in (evening, morning)) for t in night]
    assert shown == [t.time() >= time(22) or t.time() < time(2) for t in night]


def test_all_day():
    ad = doc(time_from="00:00", time_to="00:00")
    assert on(ad, 2026, 12, 7, 0, 0) and on(ad, 2026, 12, 7, 12, 0) and on(ad, 2026, 12, 7, 23, 59, 59)


def test_a_window_that_ends_before_it_starts_is_never_on_as_on_the_server():
    ad = doc(time_from="22:00", time_to="02:00")
    assert not any(on(ad, 2026, 12, 7, h, 30) for h in range(24))


def test_the_kiosk_clock_is_read_in_the_schedules_time_zone():
    ad = doc(time_zone="Asia/Yekaterinburg", time_from="10:00", time_to="12:00")  # UTC+5
    kiosk = server_ad(ad).schedule
    assert kiosk.on(datetime(2026, 12, 7, 5, 0, tzinfo=UTC))  # 10:00 in Yekaterinburg
    assert not kiosk.on(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))  # 10:00 UTC is 15:00 there
    assert not kiosk.on(datetime(2026, 12, 7, 10, 0, tzinfo=MSK))  # 08:00 UTC is 13:00 there


def test_an_unknown_time_zone_falls_back_to_the_terminals():
    ad = server_ad(doc(time_zone="Mars/Olympus", time_from="10:00", time_to="12:00"),
                   terminal_zone="Asia/Yekaterinburg")
    assert ad.schedule.on(datetime(2026, 12, 7, 5, 30, tzinfo=UTC))


@pytest.mark.parametrize("change", [
    {"schedule": None}, {"position": "sideways"}, {"kind": "video"}, {"text": ""},
    {"kind": "image", "image": {"url": "/x", "sha256": "../../etc/passwd"}},
    {"schedule": {**doc()["schedule"], "weekdays": [0, 8]}},
    {"schedule": {**doc()["schedule"], "weekdays": "1234567"}},
    {"schedule": {**doc()["schedule"], "time_from": "25:00"}},
    {"schedule": {**doc()["schedule"], "time_to": "8 pm"}},
    {"schedule": {**doc()["schedule"], "date_from": "tomorrow"}},
])
def test_an_ad_the_kiosk_cannot_read_is_left_out_and_the_others_stay(change):
    bad = {**doc(), **change, "id": 8}
    with pytest.raises(BadAd):
        server_ad(bad)
    ads = all_ads({"ads": [bad, doc(), "junk"]}, [])
    assert [a.key for a in ads] == ["server:7"]


def test_the_server_and_the_kiosk_agree_on_every_window():
    """The kiosk's reading of the config's schedule against the server's own windows (screens.selectors)."""
    from screens.models import Ad as ServerAd
    from screens.selectors import ad_doc, ad_windows

    cases = [dict(weekdays="135", time_from=time(9), time_to=time(17, 30)),
             dict(weekdays="67", time_from=time(20), time_to=time(0)),
             dict(weekdays="1234567", time_from=time(0), time_to=time(0)),
             dict(weekdays="5", time_from=time(23, 45), time_to=time(0))]
    start = datetime(2026, 12, 1, 0, 0, tzinfo=MSK)
    for case in cases:
        server = ServerAd(name="x", kind="text", text="x", position="top", date_from=date(2026, 12, 2),
                          date_to=date(2026, 12, 9), **case)
        kiosk = server_ad(ad_doc(server, "Europe/Moscow"))
        for step in range(0, 12 * 24 * 4):  # every 15 minutes over 12 days, each side of its dates
            t = start + timedelta(minutes=15 * step)
            expected = bool(ad_windows(server, start=t, end=t + timedelta(seconds=1), tz=MSK))
            assert kiosk.schedule.on(t) == expected, (case, t)


def test_the_config_files_own_ads_keep_their_keys_in_local_time():
    ad = local_ad({"text": "Ночью", "from": "22:00", "to": "24:00", "days": [6, 7], "starts": "2026-12-01"}, 0)
    assert ad.position == "top"
    assert ad.schedule.on(datetime(2026, 12, 5, 23, 0).astimezone())
    assert not ad.schedule.on(datetime(2026, 12, 7, 23, 0).astimezone())
    assert not ad.schedule.on(datetime(2026, 11, 28, 23, 0).astimezone())


def test_several_ads_at_one_position_take_turns():
    a, b = (Ad(key=k, kind="text", position="top", schedule=server_ad(doc()).schedule, text=k) for k in "ab")
    other = Ad(key="c", kind="text", position="bottom", schedule=a.schedule, text="c")
    t = datetime(2026, 12, 7, 12, 0, 0, tzinfo=MSK)
    assert pick([a, b, other], "top", t).key == "a"
    assert pick([a, b, other], "top", t + timedelta(seconds=15)).key == "b"
    assert pick([a, b, other], "top", t + timedelta(seconds=30)).key == "a"
    assert pick([a, b], "idle", t) is None
