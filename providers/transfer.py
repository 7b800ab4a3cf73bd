"""Import and export of the whole catalogue, as JSON or as a zip of one CSV per table.

Rows are matched by their codes: category code, provider code, (provider, field name),
(provider, dealer INN, valid_from) for rules, (provider, gateway code, dealer INN) for routes,
(provider, kind, account) for the blacklist. An import upserts and never deletes; it refuses a
file naming a gateway or a dealer this database does not have. It is all-or-nothing: every
error is reported with its file, line and reason, and nothing is written.

The output is canonical (fixed order, fixed number formats, UTC times, fixed zip timestamps),
so export -> import into an empty catalogue -> export gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import json.decoder
import json.scanner
import zipfile
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from dealers.models import Dealer
from gateways.models import Gateway, Route

from . import selectors
from .models import (
    BlacklistChange,
    BlacklistedAccount,
    Category,
    FeeRule,
    Provider,
    ProviderField,
    ProviderStateChange,
    RewardRule,
)
from .services import field_example_problem, rule_validate

FORMAT = "kit-catalogue"
VERSION = 1

# table -> [(column, type)]; types: str, int, bool, money, percent, time, money?, time?, str? (empty -> null)
TABLES: dict[str, list[tuple[str, str]]] = {
    "categories": [("code", "str"), ("name", "str"), ("position", "int"), ("icon", "str")],
    "providers": [("code", "str"), ("name", "str"), ("category", "str"), ("legal_name", "str"), ("inn", "str"),
                  ("account_label", "str"), ("account_label_en", "str"), ("account_format", "str"),
                  ("account_example", "str"), ("account_mask", "str"), ("min_amount", "money"),
                  ("max_amount", "money"), ("check_required", "bool"), ("offline_allowed", "bool"),
                  ("offline_max_amount", "money?"), ("is_active", "bool"), ("logo", "str")],
    "fields": [("provider", "str"), ("name", "str"), ("position", "int"), ("label", "str"), ("label_en", "str"),
               ("regex", "str"), ("example", "str"), ("mask", "str"), ("required", "bool")],
    "fee_rules": [("provider", "str"), ("dealer_inn", "str?"), ("valid_from", "time"), ("valid_to", "time?"),
                  ("percent", "percent"), ("fixed", "money"), ("minimum", "money")],
    "reward_rules": [("provider", "str"), ("dealer_inn", "str?"), ("valid_from", "time"), ("valid_to", "time?"),
                     ("percent", "percent"), ("fixed", "money")],
    "routes": [("provider", "str"), ("gateway", "str"), ("dealer_inn", "str?"), ("priority", "int"),
               ("weight", "int"), ("remote_id", "str"), ("is_active", "bool")],
    "blacklist": [("provider", "str?"), ("kind", "str"), ("account", "str"), ("reason", "str"),
                  ("created_by", "str"), ("expires_at", "time?")],
}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ImportError_:
    file: str
    line: int
    reason: str

    def __str__(self):
        return f"{self.file}:{self.line}: {self.reason}"


class ImportRefused(Exception):
    """The file is broken; nothing was imported. `errors` lists every problem found."""

    def __init__(self, errors: list[ImportError_]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    def count(self, table: str, what: str) -> None:
        bucket = getattr(self, what)
        bucket[table] = bucket.get(table, 0) + 1

    def lines(self) -> list[str]:
        out = []
        for table in TABLES:
            c, u, n = self.created.get(table, 0), self.updated.get(table, 0), self.unchanged.get(table, 0)
            out.append(f"{table}: {c} new, {u} changed, {n} unchanged")
        return out


# -- values ---------------------------------------------------------------------------------------
def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _rows() -> dict[str, list[dict]]:
    """The catalogue as rows of plain values, in the canonical order."""
    inn = {d.pk: d.inn for d in Dealer.objects.only("pk", "inn")}
    out: dict[str, list[dict]] = {}
    out["categories"] = [{"code": c.code, "name": c.name, "position": c.position, "icon": c.icon}
                         for c in Category.objects.order_by("code")]
    out["providers"] = [{
        "code": p.code, "name": p.name, "category": p.category.code, "legal_name": p.legal_name, "inn": p.inn,
        "account_label": p.account_label, "account_label_en": p.account_label_en,
        "account_format": p.account_format, "account_example": p.account_example, "account_mask": p.account_mask,
        "min_amount": f"{p.min_amount:.2f}", "max_amount": f"{p.max_amount:.2f}",
        "check_required": p.check_required, "offline_allowed": p.offline_allowed,
        "offline_max_amount": None if p.offline_max_amount is None else f"{p.offline_max_amount:.2f}",
        "is_active": p.is_active, "logo": p.logo.name or "",
    } for p in Provider.objects.select_related("category").order_by("code")]
    out["fields"] = [{
        "provider": f.provider.code, "name": f.name, "position": f.position, "label": f.label,
        "label_en": f.label_en, "regex": f.regex, "example": f.example, "mask": f.mask, "required": f.required,
    } for f in ProviderField.objects.select_related("provider").order_by("provider__code", "position", "name")]
    for table, model in (("fee_rules", FeeRule), ("reward_rules", RewardRule)):
        rows = []
        for r in model.objects.select_related("provider"):
            row = {"provider": r.provider.code, "dealer_inn": inn.get(r.dealer_id) if r.dealer_id else None,
                   "valid_from": _time(r.valid_from), "valid_to": _time(r.valid_to),
                   "percent": f"{r.percent:.3f}", "fixed": f"{r.fixed:.2f}"}
            if model is FeeRule:
                row["minimum"] = f"{r.minimum:.2f}"
            rows.append(row)
        rows.sort(key=lambda r: (r["provider"], r["dealer_inn"] or "", r["valid_from"]))
        out[table] = rows
    routes = [{"provider": r.provider.code, "gateway": r.gateway.code,
               "dealer_inn": inn.get(r.dealer_id) if r.dealer_id else None, "priority": r.priority,
               "weight": r.weight, "remote_id": r.remote_id, "is_active": r.is_active}
              for r in Route.objects.select_related("provider", "gateway")]
    routes.sort(key=lambda r: (r["provider"], r["dealer_inn"] or "", r["gateway"]))
    out["routes"] = routes
    blacklist = [{"provider": b.provider.code if b.provider_id else None, "kind": b.kind, "account": b.account,
                  "reason": b.reason, "created_by": b.created_by, "expires_at": _time(b.expires_at)}
                 for b in BlacklistedAccount.objects.select_related("provider")]
    blacklist.sort(key=lambda r: (r["provider"] or "", r["kind"], r["account"]))
    out["blacklist"] = blacklist
    return out


# -- export ---------------------------------------------------------------------------------------
def export_json() -> bytes:
    """One row per line, so an import error's line number points at the row."""
    rows = _rows()
    parts = ["{", f' "format": "{FORMAT}",', f' "version": {VERSION},']
    tables = list(TABLES)
    for i, table in enumerate(tables):
        items = [" " * 2 + json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) for r in rows[table]]
        end = "," if i < len(tables) - 1 else ""
        if items:
            parts.append(f' "{table}": [')
            parts.append(",\n".join(items))
            parts.append(f" ]{end}")
        else:
            parts.append(f' "{table}": []{end}')
    parts.append("}")
    return ("\n".join(parts) + "\n").encode("utf-8")


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def export_zip() -> bytes:
    rows = _rows()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for table, columns in TABLES.items():
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow([c for c, _ in columns])
            for row in rows[table]:
                writer.writerow([_csv_value(row[c]) for c, _ in columns])
            info = zipfile.ZipInfo(f"{table}.csv", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, text.getvalue().encode("utf-8"))
    return buf.getvalue()


def export_bytes(fmt: str) -> bytes:
    return export_zip() if fmt == "zip" else export_json()


# -- reading files --------------------------------------------------------------------------------
class _Lines:
    def __init__(self, text: str):
        self.starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def at(self, pos: int) -> int:
        return bisect_right(self.starts, pos)


def _json_rows(name: str, raw: bytes, errors: list) -> dict[str, list[tuple[int, dict]]] | None:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.append(ImportError_(name, 1, "not UTF-8"))
        return None
    lines = _Lines(text)
    decoder = json.JSONDecoder()
    base_object = decoder.parse_object

    def parse_object(s_and_end, *args):
        obj, end = base_object(s_and_end, *args)
        return _Located(obj, lines.at(s_and_end[1] - 1)), end

    decoder.parse_object = parse_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    try:
        doc = decoder.decode(text)
    except json.JSONDecodeError as exc:
        errors.append(ImportError_(name, exc.lineno, f"not JSON: {exc.msg}"))
        return None
    if not isinstance(doc, _Located) or doc.value.get("format") != FORMAT:
        errors.append(ImportError_(name, 1, f'not a catalogue file (format must be "{FORMAT}")'))
        return None
    top = doc.value
    if top.get("version") != VERSION:
        errors.append(ImportError_(name, doc.line, f"version must be {VERSION}"))
        return None
    out = {}
    for table in TABLES:
        items = top.get(table, [])
        if not isinstance(items, list):
            errors.append(ImportError_(name, doc.line, f"{table} must be a list"))
            continue
        rows = []
        for item in items:
            if not isinstance(item, _Located):
                errors.append(ImportError_(name, doc.line, f"{table}: every row must be an object"))
                continue
            rows.append((item.line, {k: (v.value if isinstance(v, _Located) else v) for k, v in item.value.items()}))
        out[table] = rows
    return out


@dataclass
class _Located:
    value: dict
    line: int


def _zip_rows(name: str, raw: bytes, errors: list) -> dict[str, list[tuple[int, dict]]] | None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        errors.append(ImportError_(name, 1, "not a zip file"))
        return None
    out = {}
    members = set(zf.namelist())
    for table, columns in TABLES.items():
        member = f"{table}.csv"
        if member not in members:
            continue
        try:
            text = zf.read(member).decode("utf-8-sig")
        except UnicodeDecodeError:
            errors.append(ImportError_(member, 1, "not UTF-8"))
            continue
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        want = [c for c, _ in columns]
        if header != want:
            errors.append(ImportError_(member, 1, f"header must be {','.join(want)}"))
            continue
        rows = []
        for values in reader:
            line = reader.line_num
            if not values:
                continue
            if len(values) != len(want):
                errors.append(ImportError_(member, line, f"{len(values)} columns, expected {len(want)}"))
                continue
            row = {}
            for (col, typ), value in zip(columns, values, strict=True):
                if typ == "bool":
                    row[col] = {"true": True, "false": False}.get(value, value)
                elif typ == "int":
                    row[col] = int(value) if value.isdigit() else value
                elif typ.endswith("?") and value == "":
                    row[col] = None
                else:
                    row[col] = value
            rows.append((line, row))
        out[table] = rows
    return out


def _check(value, typ: str):
    """The value in its Python type; ValueError with the reason otherwise."""
    optional = typ.endswith("?")
    typ = typ.rstrip("?")
    if value is None:
        if optional:
            return None
        raise ValueError("required")
    if typ == "str":
        if not isinstance(value, str):
            raise ValueError("must be text")
        return value
    if typ == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 32767:
            raise ValueError("must be a whole number 0..32767")
        return value
    if typ == "bool":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if typ in ("money", "percent"):
        places = 2 if typ == "money" else 3
        if not isinstance(value, str):
            raise ValueError("must be a decimal string")
        try:
            d = Decimal(value)
        except InvalidOperation:
            raise ValueError("not a number") from None
        if not d.is_finite() or d < 0 or d != d.quantize(Decimal(1).scaleb(-places)) or d >= 10 ** (12 if typ == "money" else 3):
            raise ValueError(f"must be a non-negative number with at most {places} decimals")
        return d
    if typ == "time":
        if not isinstance(value, str):
            raise ValueError("must be an ISO 8601 time")
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("must be an ISO 8601 time") from None
        if dt.tzinfo is None:
            raise ValueError("must carry a UTC offset")
        return dt
    raise AssertionError(typ)  # pragma: no cover


# -- import ---------------------------------------------------------------------------------------
def catalogue_import(*, name: str, raw: bytes, dry_run: bool = False, actor: str = "import") -> ImportReport:
    """Import a JSON or zip catalogue file (by its content); ImportRefused when anything is wrong."""
    errors: list[ImportError_] = []
    reader = _zip_rows if raw[:2] == b"PK" else _json_rows
    tables = reader(name, raw, errors)
    if tables is None:
        raise ImportRefused(errors)
    parsed: dict[str, list[tuple[str, int, dict]]] = {}
    for table, columns in TABLES.items():
        file = f"{table}.csv" if reader is _zip_rows else name
        rows = []
        for line, row in tables.get(table, []):
            clean, ok = {}, True
            for col, typ in columns:
                if col not in row and typ.endswith("?"):
                    row[col] = None
                try:
                    clean[col] = _check(row.get(col), typ)
                except ValueError as exc:
                    errors.append(ImportError_(file, line, f"{col}: {exc}"))
                    ok = False
            unknown = set(row) - {c for c, _ in columns}
            if unknown:
                errors.append(ImportError_(file, line, f"unknown columns: {', '.join(sorted(unknown))}"))
                ok = False
            if ok:
                rows.append((file, line, clean))
        parsed[table] = rows

    gateways = {g.code: g for g in Gateway.objects.all()}
    dealers: dict[str, list[Dealer]] = {}
    for d in Dealer.objects.exclude(inn=""):
        dealers.setdefault(d.inn, []).append(d)
    # Codes of every row in the file, also of rows with an error: a bad provider row is reported once,
    # not again at each of its fields, rules and routes.
    categories = {c.code for c in Category.objects.all()} | {r.get("code") for _, r in tables.get("categories", [])}
    providers = (set(Provider.objects.values_list("code", flat=True))
                 | {r.get("code") for _, r in tables.get("providers", [])})

    def ref(file, line, row, col, known, what):
        value = row.get(col)
        if value is not None and value not in known:
            errors.append(ImportError_(file, line, f"{col}: unknown {what} {value!r}"))

    for file, line, row in parsed["providers"]:
        ref(file, line, row, "category", categories, "category")
    for table in ("fields", "fee_rules", "reward_rules", "routes", "blacklist"):
        for file, line, row in parsed[table]:
            ref(file, line, row, "provider", providers, "provider")
            if "dealer_inn" in row and row["dealer_inn"] is not None:
                found = dealers.get(row["dealer_inn"], [])
                if len(found) != 1:
                    errors.append(ImportError_(file, line, f"dealer_inn: {'no' if not found else 'more than one'} "
                                                           f"dealer with INN {row['dealer_inn']!r}"))
    for file, line, row in parsed["routes"]:
        ref(file, line, row, "gateway", gateways, "gateway")
    for table, regex, example in (("providers", "account_format", "account_example"), ("fields", "regex", "example")):
        for file, line, row in parsed[table]:
            problem = field_example_problem(row[regex], row[example])
            if problem:
                errors.append(ImportError_(file, line, f"{example}: {problem}"))
    for file, line, row in parsed["blacklist"]:
        if row["kind"] not in BlacklistedAccount.Kind.values:
            errors.append(ImportError_(file, line, f"kind: must be one of {', '.join(BlacklistedAccount.Kind.values)}"))
    for table, key in (("categories", ("code",)), ("providers", ("code",)), ("fields", ("provider", "name")),
                       ("fee_rules", ("provider", "dealer_inn", "valid_from")),
                       ("reward_rules", ("provider", "dealer_inn", "valid_from")),
                       ("routes", ("provider", "gateway", "dealer_inn")),
                       ("blacklist", ("provider", "kind", "account"))):
        seen: dict[tuple, int] = {}
        for file, line, row in parsed[table]:
            k = tuple(row.get(c) for c in key)
            if k in seen:
                errors.append(ImportError_(file, line, f"the same {'/'.join(key)} as line {seen[k]}"))
            seen[k] = line
    if errors:
        raise ImportRefused(errors)

    report = ImportReport(dry_run=dry_run)
    with transaction.atomic():
        _write(parsed, report, errors, gateways, {inn: ds[0] for inn, ds in dealers.items()}, actor, name)
        if errors:
            transaction.set_rollback(True)
            raise ImportRefused(errors)
        if dry_run:
            transaction.set_rollback(True)
    selectors.catalogue_invalidate()
    return report


def _upsert(model, report: ImportReport, table: str, lookup: dict, values: dict):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        report.count(table, "created")
        return obj, None
    before = {k: getattr(obj, k) for k in values}
    for k, v in values.items():
        setattr(obj, k, v)
    same = all(before[k] == getattr(obj, k) for k in values)  # a FieldFile compares by its name
    report.count(table, "unchanged" if same else "updated")
    return obj, (None if same else before)


def _write(parsed, report: ImportReport, errors: list, gateways, dealers, actor: str, name: str) -> None:
    cats = {}
    for _f, _l, r in parsed["categories"]:
        obj, changed = _upsert(Category, report, "categories", {"code": r["code"]},
                               {"name": r["name"], "position": r["position"], "icon": r["icon"]})
        obj.save()
        cats[obj.code] = obj
    for c in Category.objects.exclude(code__in=cats):
        cats[c.code] = c
    provs = {}
    for _file, _line, r in parsed["providers"]:
        values = {k: r[k] for k in r if k not in ("code", "category")}
        values["category"] = cats[r["category"]]
        obj, before = _upsert(Provider, report, "providers", {"code": r["code"]}, values)
        was_new = obj.pk is None
        obj.save()
        if (before is not None and before["is_active"] != obj.is_active) or (was_new and not obj.is_active):
            ProviderStateChange.objects.create(provider=obj, is_active=obj.is_active, actor=actor[:150],
                                               reason=f"catalogue import {name}"[:255])
        provs[obj.code] = obj
    for p in Provider.objects.exclude(code__in=provs):
        provs[p.code] = p
    for _file, _line, r in parsed["fields"]:
        obj, _b = _upsert(ProviderField, report, "fields", {"provider": provs[r["provider"]], "name": r["name"]},
                          {k: r[k] for k in r if k not in ("provider", "name")})
        obj.save()
    for table, model in (("fee_rules", FeeRule), ("reward_rules", RewardRule)):
        for file, line, r in parsed[table]:
            lookup = {"provider": provs[r["provider"]], "dealer": dealers.get(r["dealer_inn"]) if r["dealer_inn"] else None,
                      "valid_from": r["valid_from"]}
            values = {k: r[k] for k in r if k not in ("provider", "dealer_inn", "valid_from")}
            existing = model.objects.filter(**lookup).first()
            obj, before = _upsert(model, report, table, lookup, values)
            if before is None and existing is not None:
                continue
            try:
                rule_validate(obj, original=existing)
            except ValidationError as exc:
                errors.append(ImportError_(file, line, "; ".join(exc.messages)))
                continue
            obj.save()
    for _file, _line, r in parsed["routes"]:
        lookup = {"provider": provs[r["provider"]], "gateway": gateways[r["gateway"]],
                  "dealer": dealers.get(r["dealer_inn"]) if r["dealer_inn"] else None}
        obj, _b = _upsert(Route, report, "routes", lookup,
                          {k: r[k] for k in ("priority", "weight", "remote_id", "is_active")})
        obj.save()
    for _file, _line, r in parsed["blacklist"]:
        lookup = {"provider": provs[r["provider"]] if r["provider"] else None, "kind": r["kind"],
                  "account": r["account"]}
        obj, before = _upsert(BlacklistedAccount, report, "blacklist", lookup,
                              {k: r[k] for k in ("reason", "created_by", "expires_at")})
        was_new = obj.pk is None
        if was_new or before is not None:
            obj.save()
            BlacklistChange.objects.create(entry=obj, action="added" if was_new else "changed", actor=actor[:150],
                                           data={**{k: (v if not isinstance(v, datetime) else _time(v))
                                                    for k, v in r.items()}, "import": name})
