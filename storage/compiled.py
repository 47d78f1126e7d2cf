"""Reads made on every update, with their SQL rendered once instead of per call.

Tortoise renders each query through pypika: it clones the QuerySet, resolves the filters and
renders SQL, every time. For the reads behind nearly every update (the person who sent it, the
product on screen) that cost more of the bot's CPU than the database's answer did
(bench/throughput.py --profile). `CompiledGet` lets Tortoise render the query once per database
dialect (the same SQL, placeholders and column list as `Model.get_or_none(field=...)`), then
only binds new values and builds the model from the row as Tortoise's executor does.
`CompiledRows` does the same for a whole query (filters, joins, order, `values()`) written with
Tortoise's own API. Both run on the connection Tortoise would choose, so they join the caller's
transaction like any query.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from tortoise import fields as tf
from tortoise.exceptions import MultipleObjectsReturned
from tortoise.models import Model
from tortoise.queryset import CountQuery, DeleteQuery, QuerySet, UpdateQuery, ValuesQuery

M = TypeVar("M", bound=Model)
_SENTINEL = 7_340_032_000_001  # a value no real key has: marks where a bound value goes


Build = Callable[..., "QuerySet[Any] | ValuesQuery[Any] | CountQuery | UpdateQuery | DeleteQuery"]
_COUNT: list[Any] = []  # the "converters" of a count() query: none, and not a values() one
_WRITE: list[Any] = []  # those of an update() or delete()
_KINDS = (int, str, datetime)


class CompiledRows(Generic[M]):
    """A query written with Tortoise's API, its SQL rendered once per dialect.

    `CompiledRows(Row, lambda rows, a: rows.filter(x=a).order_by("id"), int)` is called as
    `await q.models(1)` == `await Row.filter(x=1).order_by("id")`; a builder ending in
    `.values(...)` is called as `await q.dicts(1)`, its values converted as Tortoise converts
    them, one ending in `.count()` as `await q.count(1)`, and an `.update(...)` or `.delete()`
    as `await q.execute(1)` (the rows changed). `rows` is `Row.all()` on the right connection;
    each later argument stands for a parameter of the type given (int, str, or an aware
    datetime), used once in the query (a limit, an offset or a value set by an update too).
    Plain queries only: no prefetch, select_related, annotations or `only()`; a count without
    limit or offset.
    """

    def __init__(self, model: type[M], build: Build, *kinds: type) -> None:
        for kind in kinds:
            if kind not in _KINDS:
                raise TypeError(f"CompiledRows: parameters are int, str or datetime, not {kind}")
        self.model = model
        self.build = build
        self.kinds = kinds
        self._compiled: dict[str, tuple[str, list[Any], list[int], list[Any] | None]] = {}

    def _marks(self) -> list[Any]:
        marks: dict[type, Callable[[int], Any]] = {
            int: lambda n: _SENTINEL + n,
            str: lambda n: f"\x00compiled:{n}\x00",
            datetime: lambda n: datetime(1901, 2, 3, 4, 5, 6, n + 1, tzinfo=UTC),
        }
        return [marks[kind](n) for n, kind in enumerate(self.kinds)]

    def _compile(self, db: Any) -> tuple[str, list[Any], list[int], list[Any] | None]:
        marks = self._marks()
        query = self.build(self.model.all().using_db(db), *marks)
        converters: list[Any] | None = None
        if isinstance(query, ValuesQuery):
            if query._single:
                raise TypeError("CompiledRows: a list query, not get()/first()")
            converters = [
                (alias, convert)
                for alias, field in query._fields_for_select.items()
                if not isinstance(
                    convert := query.resolve_to_python_value(query.model, field),
                    types.LambdaType,
                )
            ]
        elif isinstance(query, UpdateQuery | DeleteQuery):
            converters = _WRITE
        elif isinstance(query, CountQuery):
            if query._limit is not None or query._offset:
                raise TypeError("CompiledRows: a count without limit or offset")
            converters = _COUNT
        elif isinstance(query, QuerySet):
            plain = not (
                query._prefetch_map
                or query._select_related
                or query._annotations
                or query._fields_for_select
                or query._single
            )
            if not plain or query.model is not self.model:
                raise TypeError("CompiledRows: models of a plain query of this model only")
        else:
            raise TypeError(f"CompiledRows: a QuerySet or values() query, not {query!r}")
        query._make_query()
        sql, params = query.query.get_parameterized_sql()
        params = list(params)
        if any(params.count(mark) != 1 for mark in marks):
            raise TypeError("CompiledRows: each parameter must be used once, as a value")
        return sql, params, [params.index(mark) for mark in marks], converters

    def _bound(self, values: tuple[Any, ...]) -> tuple[Any, str, list[Any], list[Any] | None]:
        db = self.model._choose_db()
        dialect = db.capabilities.dialect
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = self._compile(db)
        sql, params, slots, converters = compiled
        bound = list(params)
        for slot, kind, value in zip(slots, self.kinds, values, strict=True):
            if (
                not isinstance(value, kind)
                or (kind is int and isinstance(value, bool))
                or (isinstance(value, datetime) and value.tzinfo is None)
            ):
                raise TypeError(f"CompiledRows: {value!r} is not {kind.__name__} (aware)")
            bound[slot] = value
        return db, sql, bound, converters

    async def models(self, *values: Any) -> list[M]:
        db, sql, bound, converters = self._bound(values)
        if converters is not None:
            raise TypeError("CompiledRows: not a query of models")
        _, rows = await db.execute_query(sql, bound)
        return [self.model._init_from_db(**row) for row in rows]

    async def dicts(self, *values: Any) -> list[dict[str, Any]]:
        db, sql, bound, converters = self._bound(values)
        if converters is None or converters is _COUNT or converters is _WRITE:
            raise TypeError("CompiledRows: not a values() query")
        rows: list[dict[str, Any]] = await db.execute_query_dict(sql, bound)
        for row in rows:
            for alias, convert in converters:
                row[alias] = convert(row[alias])
        return rows

    async def count(self, *values: Any) -> int:
        db, sql, bound, converters = self._bound(values)
        if converters is not _COUNT:
            raise TypeError("CompiledRows: not a count() query")
        _, rows = await db.execute_query(sql, bound)
        return int(next(iter(dict(rows[0]).values()))) if rows else 0

    async def execute(self, *values: Any) -> int:
        """An update's or delete's rows changed."""
        db, sql, bound, converters = self._bound(values)
        if converters is not _WRITE:
            raise TypeError("CompiledRows: not an update() or delete()")
        changed, _ = await db.execute_query(sql, bound)
        return int(changed)


class CompiledGet(Generic[M]):
    """`await CompiledGet(Row, "a", "b").get(x, y)` == `await Row.get_or_none(a=x, b=y)`, for
    integer fields: a `CompiledRows` of `Row.filter(a=x, b=y).limit(2)`, as get_or_none reads."""

    def __init__(self, model: type[M], *fields: str) -> None:
        self.model = model
        self.fields = fields
        self._checked = False
        self._rows: CompiledRows[M] = CompiledRows(
            model,
            lambda rows, *values: rows.filter(**dict(zip(fields, values, strict=True))).limit(2),
            *(int,) * len(fields),
        )

    def _check(self) -> None:
        for name in self.fields:  # integers reach the driver as they are: no to_db_value
            field = self.model._meta.fields_map[name]  # (foreign keys' "x_id": after init)
            if not isinstance(field, tf.IntField | tf.BigIntField | tf.SmallIntField):
                raise TypeError(f"CompiledGet: {self.model.__name__}.{name} isn't an integer")
        self._checked = True

    async def get(self, *values: Any) -> M | None:
        if not self._checked:
            self._check()
        rows = await self._rows.models(*values)
        if not rows:
            return None
        if len(rows) > 1:  # as get_or_none: the fields must be a unique key
            raise MultipleObjectsReturned(self.model)
        return rows[0]
