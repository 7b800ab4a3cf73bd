"""The registry format: one CSV per gateway and day (docs/gateways/reconciliation.md).

UTF-8 (a BOM is accepted), comma-separated, a header row naming the columns below in any
order (unknown extra columns are ignored), one row per payment the gateway saw that day:

    key,upstream_id,account,amount,status,created_at

`key` is our attempt id as the gateway saw it, `amount` the sum credited (2 places, dot),
`status` one of paid / declined / pending, `created_at` ISO 8601 (a time without an offset
is Moscow time). The day is the Moscow calendar day of `created_at`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from kit.money import MoneyError, fmt, rub

MOSCOW = ZoneInfo("Europe/Moscow")
COLUMNS = ("key", "upstream_id", "account", "amount", "status", "created_at")
PAID, DECLINED, PENDING = "paid", "declined", "pending"
STATUSES = (PAID, DECLINED, PENDING)
MAX_BYTES = 20 * 1024 * 1024  # far above a day of any gateway's payments
AMOUNT = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")
MAX_ERRORS = 20  # report this many bad lines, then stop: the file is wrong anyway


@dataclass(frozen=True)
class Row:
    line: int
    key: str
    upstream_id: str
    account: str
    amount: Decimal | None
    status: str
    created_at: dt.datetime


class RegistryInvalid(ValueError):
    """A registry that is not in the format; `errors` lists what is wrong, by line."""

    code = "registry_invalid"

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def _line(n: int, text: str) -> str:
    return _("line %(n)d: %(text)s") % {"n": n, "text": text}


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a Moscow calendar day as aware datetimes."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=MOSCOW)
    return start, start + dt.timedelta(days=1)


def render(rows) -> str:
    """Rows (objects or dicts with the COLUMNS) -> the CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        get = r.get if isinstance(r, dict) else (lambda name, _r=r: getattr(_r, name))
        amount = get("amount")
        created = get("created_at")
        writer.writerow([get("key"), get("upstream_id") or "", get("account") or "",
                         "" if amount is None else fmt(amount), get("status"),
                         created.astimezone(MOSCOW).isoformat(timespec="seconds")])
    return out.getvalue()


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise RegistryInvalid([_("the file is larger than %(mb)d MB") % {"mb": MAX_BYTES // (1024 * 1024)}])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegistryInvalid([_("not UTF-8 text (byte %(n)d)") % {"n": exc.start}]) from exc


def _amount(raw: str) -> Decimal:
    if not AMOUNT.fullmatch(raw):
        raise MoneyError(raw)
    return rub(raw)


def _when(raw: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(raw)
    if value.tzinfo is None:
        value = value.replace(tzinfo=MOSCOW)
    return value


def parse(text: str, *, day: dt.date | None = None) -> list[Row]:
    """Parse and validate a registry; every row must fall on `day` (Moscow) when given.

    Raises RegistryInvalid listing the bad lines; never returns a partly valid registry.
    """
    if "\x00" in text:
        raise RegistryInvalid([_("not a text file")])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors: list[str] = []
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise RegistryInvalid([_line(1, str(exc))]) from exc
    if not header or not any(h.strip() for h in header):
        raise RegistryInvalid([_("the file is empty: a header row is required")])
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise RegistryInvalid([_line(1, _("missing column(s): %(missing)s (expected %(expected)s)")
                                     % {"missing": ", ".join(missing), "expected": ",".join(COLUMNS)})])
    index = {c: names.index(c) for c in COLUMNS}
    rows: list[Row] = []
    start = end = None
    if day is not None:
        start, end = day_bounds(day)
    while True:
        try:
            raw = next(reader, None)
        except csv.Error as exc:
            errors.append(_line(reader.line_num, str(exc)))
            break
        if raw is None:
            break
        line = reader.line_num
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) < len(names):
            errors.append(_line(line, _("%(got)d field(s), expected %(want)d") % {"got": len(raw), "want": len(names)}))
        else:
            cells = {c: raw[i].strip() for c, i in index.items()}
            problems = []
            if not cells["key"] or len(cells["key"]) > 64:
                problems.append(_("key must be 1-64 characters"))
            if len(cells["upstream_id"]) > 64 or len(cells["account"]) > 64:
                problems.append(_("upstream_id and account must be at most 64 characters"))
            status = cells["status"].lower()
            if status not in STATUSES:
                problems.append(_("status %(value)r is not one of %(allowed)s")
                                % {"value": cells["status"], "allowed": "/".join(STATUSES)})
            amount = None
            if cells["amount"] or status == PAID:
                try:
                    amount = _amount(cells["amount"])
                except MoneyError:
                    problems.append(_("amount %(value)r is not an amount like 100.00") % {"value": cells["amount"]})
            created = None
            try:
                created = _when(cells["created_at"])
            except ValueError:
                problems.append(_("created_at %(value)r is not an ISO 8601 time") % {"value": cells["created_at"]})
            if created is not None and start is not None and not (start <= created < end):
                problems.append(_("created_at %(value)s is not on %(day)s (Moscow time)")
                                % {"value": cells["created_at"], "day": day.isoformat()})
            if problems:
                errors.append(_line(line, "; ".join(problems)))
            else:
                rows.append(Row(line=line, key=cells["key"], upstream_id=cells["upstream_id"],
                                account=cells["account"], amount=amount, status=status, created_at=created))
        if len(errors) >= MAX_ERRORS:
            errors.append(_("... more errors not shown"))
            break
    if errors:
        raise RegistryInvalid(errors)
    return rows
