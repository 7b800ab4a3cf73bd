"""The numbering plan (number ranges -> operator) and ported numbers: loading and the look-up.

The registry's CSV: `АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН` (older files
stop after `Регион`). Current files are UTF-8 with a BOM, older ones windows-1251. A load
parses every file first and replaces the whole plan in one transaction, so a broken file
leaves the last good plan in force; loading the same content again changes nothing.

Ported numbers (our own format, one per line): `number;operator_inn;ported_at`, the number
in ten digits (9161234567) or with 7/8/+7 in front, the date as YYYY-MM-DD (may be empty).
A ported number wins over the plan.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from . import selectors
from .models import NumberingPlanLoad, NumberRange, OperatorProvider, PortedNumber

HEADER = ["АВС/ DEF", "От", "До", "Емкость", "Оператор", "Регион", "Территория ГАР", "ИНН"]
BATCH = 5000


class PlanRefused(Exception):
    """The file cannot be loaded; the plan in force is unchanged."""


@dataclass(frozen=True)
class Lookup:
    number: str  # 11 digits, 7XXXXXXXXXX
    operator: str
    inn: str
    region: str
    provider: str | None
    source: str  # plan | ported


def _decode(name: str, raw: bytes) -> str:
    if not raw.strip():
        raise PlanRefused(f"{name}: the file is empty")
    head = raw[:512].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<")) or b"<html" in head:
        raise PlanRefused(f"{name}: an HTML page, not the registry's CSV (an error page of the download?)")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1251")  # the registry's older files; cp1251 decodes any byte but 0x98


def _norm(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").split()).replace("АВС/DEF", "АВС/ DEF").replace("ABC", "АВС")


def plan_parse(name: str, raw: bytes) -> list[NumberRange]:
    """The ranges of one registry file; PlanRefused with the file and line of the first problem."""
    try:
        text = _decode(name, raw)
    except UnicodeDecodeError:
        raise PlanRefused(f"{name}: neither UTF-8 nor windows-1251") from None
    lines = text.splitlines()
    header = [_norm(c) for c in lines[0].split(";")]
    if header not in (HEADER, HEADER[:6]):
        raise PlanRefused(f"{name}:1: the header must be {';'.join(HEADER)} (or its first six columns), "
                          f"not {lines[0][:120]!r}")
    width = len(header)
    ranges = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split(";")]
        if len(cells) < width:
            raise PlanRefused(f"{name}:{n}: {len(cells)} columns, expected {width}")
        code, first, last = cells[0], cells[1], cells[2]
        if not (code.isdigit() and len(code) == 3 and first.isdigit() and last.isdigit()
                and len(first) <= 7 and len(last) <= 7):
            raise PlanRefused(f"{name}:{n}: code and range must be digits (3, up to 7, up to 7)")
        lo, hi = int(code + first.zfill(7)), int(code + last.zfill(7))
        if lo > hi:
            raise PlanRefused(f"{name}:{n}: the range ends before it starts")
        ranges.append(NumberRange(first=lo, last=hi, operator=cells[4][:255], region=cells[5][:255],
                                  territory=cells[6][:255] if width > 6 else "",
                                  inn=cells[7][:12] if width > 7 else ""))
    if not ranges:
        raise PlanRefused(f"{name}: no ranges after the header")
    return ranges


def plan_load(files: list[tuple[str, bytes]]) -> tuple[bool, int]:
    """Replace the plan by the ranges of `files` (all parsed before anything is written).

    Returns (changed, rows): unchanged when the same content is in force already.
    """
    ranges = []
    digest = hashlib.sha256()
    for name, raw in files:
        ranges.extend(plan_parse(name, raw))
        digest.update(hashlib.sha256(raw).digest())
    ranges.sort(key=lambda r: r.first)
    for prev, cur in zip(ranges, ranges[1:], strict=False):
        if cur.first <= prev.last:
            raise PlanRefused(f"ranges overlap: {prev.first}-{prev.last} and {cur.first}-{cur.last}")
    hexdigest = digest.hexdigest()
    with transaction.atomic():
        last = NumberingPlanLoad.objects.filter(kind="plan").order_by("-loaded_at", "-id").first()
        if last is not None and last.digest == hexdigest and NumberRange.objects.exists():
            return False, len(ranges)
        NumberRange.objects.all().delete()
        NumberRange.objects.bulk_create(ranges, batch_size=BATCH)
        NumberingPlanLoad.objects.create(kind="plan", files=[n for n, _ in files], digest=hexdigest,
                                         rows=len(ranges))
    return True, len(ranges)


def ported_parse(name: str, raw: bytes) -> list[PortedNumber]:
    try:
        text = _decode(name, raw)
    except UnicodeDecodeError:
        raise PlanRefused(f"{name}: not UTF-8") from None
    seen: dict[int, PortedNumber] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#") or (n == 1 and line.lower().startswith("number")):
            continue
        cells = [c.strip() for c in line.split(";")]
        if len(cells) != 3:
            raise PlanRefused(f"{name}:{n}: expected number;operator_inn;ported_at")
        ten = selectors.phone_normalize(cells[0])
        if ten is None:
            raise PlanRefused(f"{name}:{n}: {cells[0]!r} is not a Russian mobile number")
        if not (cells[1].isdigit() and len(cells[1]) in (10, 12)):
            raise PlanRefused(f"{name}:{n}: the operator INN must be 10 or 12 digits")
        try:
            when = date.fromisoformat(cells[2]) if cells[2] else None
        except ValueError:
            raise PlanRefused(f"{name}:{n}: ported_at must be YYYY-MM-DD") from None
        seen[int(ten)] = PortedNumber(number=int(ten), operator_inn=cells[1], ported_at=when)
    return list(seen.values())


def ported_load(name: str, raw: bytes) -> tuple[bool, int]:
    """Replace the ported numbers by the file's (one transaction; a broken file changes nothing)."""
    rows = ported_parse(name, raw)
    hexdigest = hashlib.sha256(raw).hexdigest()
    with transaction.atomic():
        last = NumberingPlanLoad.objects.filter(kind="ported").order_by("-loaded_at", "-id").first()
        if last is not None and last.digest == hexdigest:
            return False, len(rows)
        PortedNumber.objects.all().delete()
        PortedNumber.objects.bulk_create(rows, batch_size=BATCH)
        NumberingPlanLoad.objects.create(kind="ported", files=[name], digest=hexdigest, rows=len(rows))
    return True, len(rows)


def range_for(number: int) -> NumberRange | None:
    """The plan's range holding `number`: the greatest `first` <= number (a backward scan of the
    B-tree index number_range_first that reads one row), then its `last` is compared."""
    row = NumberRange.objects.filter(first__lte=number).order_by("-first").first()
    return row if row is not None and row.last >= number else None


def phone_lookup(text: str) -> Lookup | None:
    """Operator of a Russian mobile number (ported numbers first, then the plan); None if unknown.

    ValueError when `text` is not a Russian mobile number.
    """
    ten = selectors.phone_normalize(text)
    if ten is None:
        raise ValueError("not a Russian mobile number")
    number = int(ten)
    plan = range_for(number)
    ported = PortedNumber.objects.filter(number=number).first()
    if ported is not None:
        inn, source = ported.operator_inn, "ported"
        named = plan if plan is not None and plan.inn == inn else NumberRange.objects.filter(inn=inn).first()
        mapped = OperatorProvider.objects.select_related("provider").filter(inn=inn).first()
        operator = named.operator if named is not None else (mapped.note if mapped else "")
        region = plan.region if plan is not None else ""
    elif plan is not None:
        inn, source, operator, region = plan.inn, "plan", plan.operator, plan.region
        mapped = OperatorProvider.objects.select_related("provider").filter(inn=inn).first() if inn else None
    else:
        return None
    provider = mapped.provider.code if mapped is not None and mapped.provider.is_active else None
    return Lookup(number="7" + ten, operator=operator, inn=inn, region=region, provider=provider, source=source)
