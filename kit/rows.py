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

from dataclasses import dataclass, field
from functools import cache

from django.db import DatabaseError, DataError, connections, models, transaction
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


def lock_clause(of: str | tuple[str, ...] = "") -> str:
    """` FOR UPDATE [OF alias, ...]` where the backend has it (SQLite has no row locks: nothing)."""
    features = connections["default"].features
    if not features.has_select_for_update:
        return ""
    if of and features.has_select_for_update_of:
        qn = connections["default"].ops.quote_name
        return " FOR UPDATE OF " + ", ".join(qn(alias) for alias in ((of,) if isinstance(of, str) else of))
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


def _insert_row(model: type[models.Model], values: dict, db: str) -> tuple[dict, dict]:
    """The row an INSERT writes (attname -> value, defaults and auto dates filled) and the related
    instances given for foreign keys."""
    s = shape(model, db)
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
    return row, related


def _inserted(model: type[models.Model], row: dict, related: dict, pk, db: str):
    """The instance an INSERT of `row` made, as `save()` leaves it."""
    obj = model(**row, **{model._meta.pk.attname: pk})
    obj._state.adding = False
    obj._state.db = db
    for f, value in related.items():  # related instances given: keep them, as `Model(fk=obj)` does
        f.set_cached_value(obj, value)
    return obj


def insert(model: type[models.Model], values: dict, *, on_conflict: str = "", db: str = "default"):
    """INSERT one row and return the new instance (None when `on_conflict` = a unique column and that
    value exists: ON CONFLICT DO NOTHING, nothing written, the transaction still usable).

    Fields not in `values` take their default; `auto_now`/`auto_now_add` dates are now, as `save()`
    would set them. Foreign keys may be given as instances or as `<name>_id`.
    """
    s = shape(model, db)
    connection = connections[db]
    row, related = _insert_row(model, values, db)
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
    return _inserted(model, row, related, got[0], db)


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



# --- several writes in one round trip ------------------------------------------------------
@dataclass(eq=False)
class Step:
    """One write of a `Chain`. After `Chain.run()`: `written` (a row was inserted or updated) and,
    for an insert that wrote, `obj` (the new instance)."""

    kind: str  # "insert" or "update"
    model: type[models.Model]
    names: tuple[str, ...]  # insert: the columns written; update: the columns set
    where: tuple[str, ...]  # update: the compare-and-set columns, after the primary key
    on_conflict: str  # insert: "" (a clash is an error), a unique field's name, or "*" (any constraint)
    after: Step | None  # written only when this earlier step wrote
    params: list  # prepared values, in the order of the statement's placeholders
    row: dict | None = None  # insert: the values, for the instance
    related: dict | None = None
    expect: str = ""  # when set, writing nothing is an error with this text
    then: list = field(default_factory=list)  # called (no arguments) when the step wrote
    written: bool = False
    obj: models.Model | None = None

    def key(self, index: dict) -> tuple:
        return (self.kind, self.model, self.names, self.where, self.on_conflict, bool(self.expect),
                None if self.after is None else index[id(self.after)])


class NotWritten(DatabaseError):
    """A `Chain` step expected to write did not: nothing of the chain was written."""


@dataclass(eq=False)
class Also:
    """A value read in the same statement as a `Chain`'s writes (`Chain.also`): `value` after `run()`."""

    sql: str
    params: list
    value: object = None


class Chain:
    """Writes that depend on each other only through "write this only if that wrote", sent as ONE
    statement on PostgreSQL (a data-modifying CTE, prepared on the server: kit/prepared.py) and
    one after another elsewhere, with the same rows and the same outcome.

    The engine records an attempt's answer, moves the payment and writes its event and reward
    rows: four round trips through `update`/`insert`, one here. Each step is an INSERT (one row,
    optionally ON CONFLICT DO NOTHING) or an UPDATE by primary key (optionally compare-and-set);
    `after=` makes a step conditional on an earlier one having written its row. No step may
    touch a row another step of the chain writes (PostgreSQL runs a CTE's writes on one snapshot).
    `run()` is all or nothing, in the caller's transaction when there is one.
    """

    def __init__(self, db: str = "default"):
        self.db = db
        self.steps: list[Step] = []
        self.reads: list[Also] = []

    def _add(self, step: Step) -> Step:
        if step.after is not None and step.after not in self.steps:
            raise ValueError("`after` must be an earlier step of the same chain")
        self.steps.append(step)
        return step

    def insert(self, model: type[models.Model], values: dict, *, on_conflict: str = "",
               after: Step | None = None) -> Step:
        """One row, as `insert` writes it (`on_conflict`: a unique field's name, nothing written on a clash)."""
        s = shape(model, self.db)
        connection = connections[self.db]
        row, related = _insert_row(model, values, self.db)
        names = tuple(row)
        params = [_prep(s.by_name[n], row[n], connection) for n in names]
        return self._add(Step("insert", model, names, (), on_conflict, after, params, row=row, related=related))

    def insert_new(self, obj: models.Model, *, after: Step | None = None) -> Step:
        """An unsaved instance, ON CONFLICT DO NOTHING on any unique constraint, its fields' `pre_save`
        applied: what `bulk_create([obj], ignore_conflicts=True)` writes (no instance comes back)."""
        s = shape(type(obj), self.db)
        connection = connections[self.db]
        fields = [f for f in s.fields if not (f.primary_key and isinstance(f, models.AutoField))]
        params = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
        return self._add(Step("insert", type(obj), tuple(f.attname for f in fields), (), "*", after, params))

    def update(self, model: type[models.Model], pk, values: dict, *, where: dict | None = None,
               after: Step | None = None, expect: str = "") -> Step:
        """UPDATE the row `pk` as `update` does (compare-and-set on `where`); `expect`: the text of the
        DatabaseError `run()` raises when the row was not updated."""
        s = shape(model, self.db)
        connection = connections[self.db]
        where = where or {}
        names, conds = tuple(values), tuple(where)
        params = [_prep(s.by_name[n], values[n], connection) for n in names]
        params.append(pk)
        params += [_prep(s.by_name[n], where[n], connection) for n in conds]
        return self._add(Step("update", model, names, conds, "", after, params, expect=expect))

    def also(self, sql: str, params: list) -> Also:
        """Read one value with the writes: `sql` is a SELECT of one column and at most one row (NULL
        without). On PostgreSQL a scalar subquery of the same statement, which sees the rows as
        they were before the statement; elsewhere its own statement, before the writes."""
        read = Also(sql, params)
        self.reads.append(read)
        return read

    def run(self) -> None:
        if not self.steps:
            return
        # All or nothing: one statement is atomic by itself (a step expected to write that did not
        # makes the statement itself fail: see _chain_sql), the steps one by one are not, so they
        # run in a transaction. Inside the caller's transaction no savepoint is taken: a failure
        # aborts that transaction (a caller that wants to go on takes a savepoint around run()).
        if connections[self.db].vendor == "postgresql":
            self._run_as_one()
        else:
            self._run_one_by_one_atomically()
        for step in self.steps:
            for fn in step.then if step.written else ():
                fn()

    def _run_one_by_one_atomically(self) -> None:
        with transaction.atomic(using=self.db, savepoint=False):
            self._run_one_by_one()
            for step in self.steps:
                if step.expect and not step.written:
                    raise NotWritten(step.expect)

    def _done(self, step: Step, pk) -> None:
        step.written = pk is not None
        if step.written and step.row is not None:
            step.obj = _inserted(step.model, step.row, step.related or {}, pk, self.db)

    def _run_as_one(self) -> None:
        from . import prepared

        index = {id(step): i for i, step in enumerate(self.steps)}
        key = (tuple(step.key(index) for step in self.steps), tuple(read.sql for read in self.reads))
        sql = _CHAINS.get((key, self.db))
        if sql is None:
            sql = _CHAINS[(key, self.db)] = _chain_sql(self.steps, index, self.db, self.reads)
        params = [p for step in self.steps for p in step.params] + [p for read in self.reads for p in read.params]
        try:
            got = prepared.execute(sql, params, db=self.db)
        except DataError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != _DIVISION_BY_ZERO:
                raise
            raise NotWritten("; ".join(step.expect for step in self.steps if step.expect)) from exc
        for step, pk in zip(self.steps, got, strict=False):
            self._done(step, pk)
        for read, value in zip(self.reads, got[len(self.steps):len(self.steps) + len(self.reads)], strict=True):
            read.value = value

    def _run_one_by_one(self) -> None:
        connection = connections[self.db]
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for read in self.reads:  # as the one statement's subqueries see them: before the writes
                cursor.execute(f"SELECT ({read.sql})", read.params)
                read.value = cursor.fetchone()[0]
            for step in self.steps:
                if step.after is not None and not step.after.written:
                    continue
                s = shape(step.model, self.db)
                if step.kind == "update":
                    cursor.execute(_update_sql(step.model, step.names, step.where, self.db), step.params)
                    self._done(step, True if cursor.rowcount == 1 else None)
                    continue
                sql = _insert_sql(step.model, step.names, self.db) + _conflict(step, s, qn)
                cursor.execute(sql + f" RETURNING {qn(s.pk_column)}", step.params)
                got = cursor.fetchone()
                self._done(step, None if got is None else got[0])


_CHAINS: dict[tuple, str] = {}  # (the steps' shapes, db) -> the statement
_DIVISION_BY_ZERO = "22012"


def _conflict(step: Step, s: Shape, qn) -> str:
    if step.on_conflict == "*":
        return " ON CONFLICT DO NOTHING"
    if step.on_conflict:
        return f" ON CONFLICT ({qn(s.by_name[step.on_conflict].column)}) DO NOTHING"
    return ""


def _chain_sql(steps: list[Step], index: dict, db: str, reads: list[Also] = ()) -> str:
    """WITH s0 AS (...), s1 AS (...) SELECT (SELECT pk FROM s0), (SELECT pk FROM s1), ...

    An insert after sK selects its values FROM sK (one row or none); an update after sK adds
    EXISTS (SELECT 1 FROM sK) to its WHERE. Every step returns its primary key: NULL when it
    wrote nothing."""
    qn = connections[db].ops.quote_name
    parts = []
    for i, step in enumerate(steps):
        s = shape(step.model, db)
        after = None if step.after is None else f"s{index[id(step.after)]}"
        if step.kind == "update":
            sql = _update_sql(step.model, step.names, step.where, db)
            if after:
                sql += f" AND EXISTS (SELECT 1 FROM {after})"  # noqa: S608 - our own CTE names
        else:
            sql = _insert_sql(step.model, step.names, db)
            if after:
                head, marks = sql.rsplit(" VALUES (", 1)
                sql = f"{head} SELECT {marks[:-1]} FROM {after}"  # noqa: S608 - names from the model
            sql += _conflict(step, s, qn)
        parts.append(f"s{i} AS ({sql} RETURNING {qn(s.pk_column)})")
    pks = ", ".join([f"(SELECT {qn(shape(step.model, db).pk_column)} FROM s{i})"  # noqa: S608 - names from the models
                     for i, step in enumerate(steps)] + [f"({read.sql})" for read in reads])
    # A step expected to write: 1 / (its row count), a division by zero when it wrote nothing,
    # which fails the whole statement, so nothing of it is written (not a constant: PostgreSQL
    # cannot fold it while planning).
    guards = "".join(f", 1 / (SELECT count(*) FROM s{i})"  # noqa: S608 - our own CTE names
                     for i, step in enumerate(steps) if step.expect)
    return f"WITH {', '.join(parts)} SELECT {pks}{guards}"
