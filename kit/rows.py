"""Hot-path statements without Django's query compiler: SQL text built once per model, values
through the model fields' own preparation and converters, instances through `Model.from_db`.

The ORM compiles every statement afresh: 0.2-1 ms of CPU for a primary-key SELECT with joins,
an UPDATE or an INSERT on the bench machine, against ~0.05-0.1 ms to run the same text
through the cursor. The payment engine runs a dozen such statements for each submission
(docs/performance.md), so it uses these for its fixed-shape statements: a row by primary
key (optionally locked), a conditional UPDATE by primary key, an INSERT returning the key.

What stays the ORM's: values are prepared by each field (`get_db_prep_save`: JSON, dates and
decimals as the backend wants them), rows come back through the converters the compiler
would apply (the backend's, then the field's `from_db_value`: JSON, encrypted text,
SQLite's dates and decimals), and instances are built by `Model.from_db`, so they behave
like ORM-loaded ones (a column not selected is a deferred field that loads on access). No
signals are sent (the ORM's `update()` sends none either; the models written here have no
save signals). Anything beyond these shapes uses the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import connections, models
from django.utils import timezone


@dataclass(frozen=True)
class Shape:
    """One model's table, columns in the order `from_db` expects, and each column's converters."""

    model: type[models.Model]
    table: str
    pk_column: str
    fields: tuple  # concrete fields, model order
    by_name: dict  # field name and attname -> field
    converters: tuple  # per field: tuple of (converter, expression)

    def columns(self, alias: str = "", names: tuple[str, ...] | None = None, db: str = "default") -> str:
        """The quoted column list (all fields, or `names` in model order) for a SELECT."""
        qn = connections[db].ops.quote_name
        prefix = f"{qn(alias)}." if alias else ""
        return ", ".join(prefix + qn(f.column) for f in self.fields if names is None or f.attname in names)


@cache
def shape(model: type[models.Model], alias: str = "default") -> Shape:
    connection = connections[alias]
    fields = tuple(model._meta.concrete_fields)
    by_name: dict = {}
    for f in fields:
        by_name[f.name] = f
        by_name[f.attname] = f
    converters = []
    for f in fields:
        col = f.get_col(model._meta.db_table)
        convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        converters.append(tuple((c, col) for c in convs))
    return Shape(model, model._meta.db_table, model._meta.pk.column, fields, by_name, tuple(converters))


def lock_clause(of: str = "") -> str:
    """` FOR UPDATE [OF alias]` where the backend has it (SQLite has no row locks: nothing)."""
    features = connections["default"].features
    if not features.has_select_for_update:
        return ""
    if of and features.has_select_for_update_of:
        return f" FOR UPDATE OF {connections['default'].ops.quote_name(of)}"
    return " FOR UPDATE"


def build(model: type[models.Model], values, names: tuple[str, ...] | None = None, db: str = "default"):
    """An instance from a row's values (all concrete fields in model order, or `names`' fields)."""
    s = shape(model, db)
    connection = connections[db]
    out = []
    i = 0
    for f, convs in zip(s.fields, s.converters, strict=True):
        if names is not None and f.attname not in names:
            continue
        value = values[i]
        i += 1
        for conv, col in convs:
            value = conv(value, col, connection)
        out.append(value)
    attnames = [f.attname for f in s.fields] if names is None else [f.attname for f in s.fields if f.attname in names]
    return model.from_db(db, attnames, out)


def fetch(model: type[models.Model], sql: str, params, db: str = "default") -> list:
    """Instances of `model` from `sql`, which selects `shape(model).columns()` first (extra columns after
    them are returned alongside: a list of (instance, extras) when there are any)."""
    n = len(shape(model, db).fields)
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if rows and len(rows[0]) > n:
        return [(build(model, row[:n], db=db), row[n:]) for row in rows]
    return [build(model, row, db=db) for row in rows]


def _prep(f, value, connection):
    if isinstance(f, models.ForeignKey) and isinstance(value, models.Model):
        value = value.pk
    return f.get_db_prep_save(value, connection)


@cache
def _insert_sql(model, names: tuple[str, ...], db: str) -> str:
    s = shape(model, db)
    qn = connections[db].ops.quote_name
    cols = ", ".join(qn(s.by_name[n].column) for n in names)
    marks = ", ".join(["%s"] * len(names))
    return f"INSERT INTO {qn(s.table)} ({cols}) VALUES ({marks})"  # noqa: S608 - names from the model


def insert(model: type[models.Model], values: dict, *, on_conflict: str = "", db: str = "default"):
    """INSERT one row and return the new instance (None when `on_conflict` = a unique column and that
    value exists: ON CONFLICT DO NOTHING, nothing written, the transaction still usable).

    Fields not in `values` take their default; `auto_now`/`auto_now_add` dates are now, as `save()`
    would set them. Foreign keys may be given as instances or as `<name>_id`.
    """
    s = shape(model, db)
    connection = connections[db]
    now = None
    row: dict = {}
    related: dict = {}
    for f in s.fields:
        if f.primary_key and isinstance(f, models.AutoField):
            continue
        if f.name in values:
            value = values[f.name]
        elif f.attname in values:
            value = values[f.attname]
        elif getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
            now = now or timezone.now()
            value = now
        else:
            value = f.get_default()
        if f.is_relation and isinstance(value, models.Model):
            related[f] = value
            value = value.pk
        row[f.attname] = value
    names = tuple(row)
    sql = _insert_sql(model, names, db)
    qn = connection.ops.quote_name
    if on_conflict:
        sql += f" ON CONFLICT ({qn(s.by_name[on_conflict].column)}) DO NOTHING"
    sql += f" RETURNING {qn(s.pk_column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [_prep(s.by_name[n], row[n], connection) for n in names])
        got = cursor.fetchone()
    if got is None:
        return None
    obj = model(**row, **{model._meta.pk.attname: got[0]})
    obj._state.adding = False
    obj._state.db = db
    for f, value in related.items():  # related instances given: keep them, as `Model(fk=obj)` does
        f.set_cached_value(obj, value)
    return obj


def insert_ignoring_conflicts(model: type[models.Model], objs: list, db: str = "default") -> None:
    """One INSERT of unsaved instances, ON CONFLICT DO NOTHING on any unique constraint: what
    `bulk_create(objs, ignore_conflicts=True)` writes (and, like it, no primary keys set)."""
    if not objs:
        return
    s = shape(model, db)
    connection = connections[db]
    fields = [f for f in s.fields if not (f.primary_key and isinstance(f, models.AutoField))]
    names = tuple(f.attname for f in fields)
    one = "(" + ", ".join(["%s"] * len(names)) + ")"
    sql = _insert_sql(model, names, db).rsplit(" VALUES ", 1)[0]
    sql += " VALUES " + ", ".join([one] * len(objs)) + " ON CONFLICT DO NOTHING"
    params = []
    for obj in objs:
        for f in fields:
            params.append(f.get_db_prep_save(f.pre_save(obj, add=True), connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@cache
def _update_sql(model, names: tuple[str, ...], where: tuple[str, ...], db: str) -> str:
    s = shape(model, db)
    qn = connections[db].ops.quote_name
    sets = ", ".join(f"{qn(s.by_name[n].column)} = %s" for n in names)
    conds = " AND ".join([f"{qn(s.pk_column)} = %s", *(f"{qn(s.by_name[n].column)} = %s" for n in where)])
    return f"UPDATE {qn(s.table)} SET {sets} WHERE {conds}"  # noqa: S608 - names from the model


def update(model: type[models.Model], pk, values: dict, *, where: dict | None = None, db: str = "default") -> int:
    """UPDATE the row `pk` with `values` (plain values, no expressions) where every `where`
    column still equals its value (compare-and-set); return the rows changed (0 or 1)."""
    s = shape(model, db)
    connection = connections[db]
    where = where or {}
    names, conds = tuple(values), tuple(where)
    params = [_prep(s.by_name[n], values[n], connection) for n in names]
    params.append(pk)
    params += [_prep(s.by_name[n], where[n], connection) for n in conds]
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(model, names, conds, db), params)
        return cursor.rowcount

