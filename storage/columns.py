"""One column of a query, typed as what it holds.

Tortoise 1.1 annotates every `values_list()` result as rows of tuples, whatever `flat` says;
with one field and `flat=True` it returns the bare values. These helpers run exactly that query
and say so in their types, so callers need neither a cast nor an ignore.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar, cast

from tortoise.models import Model
from tortoise.queryset import QuerySet

M = TypeVar("M", bound=Model)


async def int_column(query: QuerySet[M], field: str) -> list[int]:
    """`await query.values_list(field, flat=True)` for a non-null integer `field`."""
    return cast("list[int]", await query.values_list(field, flat=True))


async def datetime_column(query: QuerySet[M], field: str) -> list[datetime]:
    """`await query.values_list(field, flat=True)` for a datetime `field` that the query
    keeps non-null (a NOT NULL column, or one it filters on)."""
    return cast("list[datetime]", await query.values_list(field, flat=True))
