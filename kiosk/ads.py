"""Ads on the customer screens, each shown only inside its schedule, by the kiosk's own clock.

The server's config carries the ads in force at some moment of the next 24 hours with their whole
schedules; the kiosk decides itself, at each page, which ones are on — also offline, with a config
days old. A server schedule is: dates `date_from`..`date_to` (inclusive), ISO `weekdays`
(1 = Monday), the daily window [`time_from`, `time_to`) — `time_to` "00:00" is midnight at the end
of the day — all in `time_zone` (the dealer's; the kiosk's clock is read in that zone). A window
whose end is not after its start (the server refuses those) is never on, as on the server.

The kiosk's own [[ads]] (its config file) keep their older keys: `starts`/`ends` dates, `from`/`to`
times ("24:00" allowed), `days`, `text`, `text_en`, `image`, `position`; in the kiosk's local time.

Positions: `top` and `bottom` are banners above and below the home and receipt screens; `idle` is
the full screen shown while nobody uses the kiosk. Several ads on at one position take turns.
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from .images import image_ref

log = logging.getLogger(__name__)
POSITIONS = ("top", "bottom", "idle")
ROTATE_SECONDS = 15  # several ads at one position: each shows for this long (a home screen refresh)
CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


_warned: set[str] = set()  # the screens read the ads at every page: each problem is logged once


class BadAd(ValueError):
    pass


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning("%s", message)


@dataclass(frozen=True)
class Schedule:
    date_from: date | None
    date_to: date | None
    weekdays: frozenset[int]
    time_from: time
    time_to: time | None  # None: the end of the day (midnight)
    zone: tzinfo | None  # None: the kiosk's local time zone

    def on(self, now: datetime) -> bool:
        """Whether `now` (an aware datetime, the kiosk's clock) is inside this schedule."""
        local = now.astimezone(self.zone) if self.zone is not None else now.astimezone()
        day = local.date()
        if self.date_from is not None and day < self.date_from:
            return False
        if self.date_to is not None and day > self.date_to:
            return False
        if local.isoweekday() not in self.weekdays:
            return False
        clock = local.time().replace(tzinfo=None)
        return self.time_from <= clock and (self.time_to is None or clock < self.time_to)


@dataclass(frozen=True)
class Ad:
    key: str  # "server:<id>" or "local:<index>"
    kind: str  # "text" or "image"
    position: str
    schedule: Schedule
    text: str = ""
    text_en: str = ""
    image_sha: str | None = None  # a server image ad: its image in the cache
    image_src: str | None = None  # a kiosk [[ads]] image: the src as configured

    def text_for(self, lang: str) -> str:
        return self.text_en if lang == "en" and self.text_en else self.text


def _zone(name, fallback: str | None) -> tzinfo | None:
    for candidate in (name, fallback):
        if isinstance(candidate, str) and candidate:
            try:
                return zoneinfo.ZoneInfo(candidate)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                _warn_once(f"ads: time zone {candidate!r} unknown on this kiosk")
    return None


def _time(value, *, end: bool = False) -> time | None:
    """"HH:MM" -> time; at the end of a window "00:00" (and the kiosk's own "24:00") are None, midnight."""
    if end and value in ("00:00", "24:00"):
        return None
    match = CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise BadAd(f"not a time of day: {value!r}")
    return time(int(match[1]), int(match[2]))


def _date(value) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadAd(f"not a date: {value!r}") from None


def _weekdays(value) -> frozenset[int]:
    if not isinstance(value, list) or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7
                                              for d in value):
        raise BadAd(f"not a list of ISO weekdays: {value!r}")
    return frozenset(value)


def server_ad(doc: dict, *, terminal_zone: str | None = None) -> Ad:
    """One ad of the config's `ads`; BadAd if it is not one the kiosk can show as the server meant it."""
    if not isinstance(doc, dict) or not isinstance(doc.get("schedule"), dict):
        raise BadAd("no schedule")
    s = doc["schedule"]
    schedule = Schedule(date_from=_date(s.get("date_from")), date_to=_date(s.get("date_to")),
                        weekdays=_weekdays(s.get("weekdays")), time_from=_time(s.get("time_from")),
                        time_to=_time(s.get("time_to"), end=True), zone=_zone(s.get("time_zone"), terminal_zone))
    position = doc.get("position")
    if position not in POSITIONS:
        raise BadAd(f"unknown position {position!r}")
    kind = doc.get("kind")
    if kind == "text":
        text = doc.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BadAd("a text ad without its text")
        return Ad(key=f"server:{doc.get('id')}", kind="text", position=position, schedule=schedule, text=text)
    if kind == "image":
        ref = image_ref(doc.get("image"))
        if ref is None:
            raise BadAd("an image ad without its image")
        return Ad(key=f"server:{doc.get('id')}", kind="image", position=position, schedule=schedule,
                  image_sha=ref[0])
    raise BadAd(f"unknown kind {kind!r}")


def local_ad(doc: dict, index: int) -> Ad:
    """One [[ads]] table of the kiosk's config file."""
    days = doc.get("days")
    schedule = Schedule(date_from=_date(doc["starts"]) if "starts" in doc else None,
                        date_to=_date(doc["ends"]) if "ends" in doc else None,
                        weekdays=_weekdays(days) if days else frozenset(range(1, 8)),
                        time_from=_time(doc.get("from", "00:00")), time_to=_time(doc.get("to", "24:00"), end=True),
                        zone=None)
    position = doc.get("position", "top")
    if position not in POSITIONS:
        raise BadAd(f"unknown position {position!r}")
    text, text_en, image = doc.get("text", ""), doc.get("text_en", ""), doc.get("image")
    if not isinstance(text, str) or not isinstance(text_en, str) or not (text or isinstance(image, str) and image):
        raise BadAd("an ad needs a text or an image")
    return Ad(key=f"local:{index}", kind="image" if isinstance(image, str) and image else "text", position=position,
              schedule=schedule, text=text, text_en=text_en, image_src=image if isinstance(image, str) else None)


def all_ads(config: dict | None, local: list) -> list[Ad]:
    """The kiosk's own ads, then the server's; one that cannot be read is left out (and logged)."""
    config = config if isinstance(config, dict) else {}
    terminal = config.get("terminal") if isinstance(config.get("terminal"), dict) else {}
    out = []
    for i, doc in enumerate(local or []):
        try:
            out.append(local_ad(doc, i))
        except (BadAd, TypeError) as exc:
            _warn_once(f"ads: the config file's ad {i + 1} is left out: {exc}")
    server = config.get("ads")
    for doc in server if isinstance(server, list) else []:
        try:
            out.append(server_ad(doc, terminal_zone=terminal.get("time_zone")))
        except (BadAd, TypeError) as exc:
            _warn_once(f"ads: the server's ad {doc.get('id') if isinstance(doc, dict) else '?'} is left out: {exc}")
    return out


def ads_on(ads: list[Ad], now: datetime) -> list[Ad]:
    """The ads whose schedule holds at `now`."""
    return [ad for ad in ads if ad.schedule.on(now)]


def pick(ads: list[Ad], position: str, now: datetime) -> Ad | None:
    """The ad to show at `position` now among those on (taking turns every ROTATE_SECONDS)."""
    here = [ad for ad in ads if ad.position == position]
    if not here:
        return None
    return here[int(now.timestamp()) // ROTATE_SECONDS % len(here)]
