"""Reads made on every update, with their SQL rendered once instead of per call.

Tortoise renders each query through pypika: it clones the QuerySet, resolves the filters and
renders SQL, every time. For the reads behind nearly every update (the person who sent it, the
product on screen) that cost more of the bot's CPU than the database's answer did
(bench/throughput.py --profile). `CompiledGet` lets Tortoise render the query once per database
dialect (the same SQL, placeholders and column list as `Model.get_or_none(field=...)`), then
only binds new values and builds the model from the row as Tortoise's executor does. It runs on
the connection Tortoise would choose, so it joins the caller's transaction like any query.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from tortoise import fields as tf
from tortoise.exceptions import MultipleObjectsReturned
from tortoise.models import Model

M = TypeVar("M", bound=Model)
_SENTINEL = -7_340_032_000_001  # a value no real key has: marks where a bound value goes


class CompiledGet(Generic[M]):
    """`await CompiledGet(Row, "a", "b").get(x, y)` == `await Row.get_or_none(a=x, b=y)`."""

    def __init__(self, model: type[M], *fields: str) -> None:
        self.model = model
        self.fields = fields
        self._compiled: dict[str, tuple[str, list[Any], list[int]]] = {}

    def _compile(self, db: Any) -> tuple[str, list[Any], list[int]]:
        for name in self.fields:  # integers reach the driver as they are: no to_db_value
            field = self.model._meta.fields_map[name]  # (foreign keys' "x_id": after init)
            if not isinstance(field, tf.IntField | tf.BigIntField | tf.SmallIntField):
                raise TypeError(f"CompiledGet: {self.model.__name__}.{name} isn't an integer")
        marks = {name: _SENTINEL - n for n, name in enumerate(self.fields)}
        query = self.model.filter(**marks).using_db(db).limit(2)  # as get_or_none does
        query._make_query()
        sql, params = query.query.get_parameterized_sql()
        slots = [params.index(marks[name]) for name in self.fields]
        return sql, list(params), slots

    async def get(self, *values: Any) -> M | None:
        db = self.model._choose_db()
        dialect = db.capabilities.dialect
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = self._compile(db)
        sql, params, slots = compiled
        bound = list(params)
        for slot, value in zip(slots, values, strict=True):
            bound[slot] = value
        _, rows = await db.execute_query(sql, bound)
        if not rows:
            return None
        if len(rows) > 1:  # as get_or_none: the fields must be a unique key
            raise MultipleObjectsReturned(self.model)
        return self.model._init_from_db(**rows[0])
