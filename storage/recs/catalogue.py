"""The catalogue as the recommender sees it: what is sellable now, and every product's metadata.

`CatalogueAvailability` answers per list shown (two small indexed queries); the feed is read
once per rebuild.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from domain.recommend import ItemInfo
from storage.catalog.models import CategoryRow, ProductRow, VariantRow

_FEED_COLUMNS = (
    "id",
    "category_id",
    "title_en",
    "title_zh",
    "description_en",
    "description_zh",
    "brand",
    "specs",
    "tags",
    "created_at",
    "active",
)


class CatalogueAvailability:
    """Availability over catalog_products / catalog_variants: active and something to sell.

    A product without variants needs its own stock (on_hand > reserved); a product with
    variants needs at least one active variant with stock.
    """

    async def available(self, item_ids: Sequence[int]) -> set[int]:
        ids = list(dict.fromkeys(item_ids))
        if not ids:
            return set()
        rows = await ProductRow.filter(id__in=ids, active=True).values_list(
            "id", "has_variants", "on_hand", "reserved"
        )
        found = {
            pid for pid, variants, on_hand, reserved in rows if not variants and on_hand > reserved
        }
        with_variants = [pid for pid, variants, _on_hand, _reserved in rows if variants]
        if with_variants:
            stocked = await VariantRow.filter(
                product_id__in=with_variants, active=True
            ).values_list("product_id", "on_hand", "reserved")
            found.update(pid for pid, on_hand, reserved in stocked if on_hand > reserved)
        return found


def category_ancestors(parents: Mapping[int, int | None], category_id: int) -> tuple[int, ...]:
    """Ids from the root down to `category_id`'s parent; a cycle or a missing parent stops it."""
    path: list[int] = []
    seen = {category_id}
    parent = parents.get(category_id)
    while parent is not None and parent not in seen:
        path.append(parent)
        seen.add(parent)
        parent = parents.get(parent)
    return tuple(reversed(path))


def item_info(row: Mapping[str, Any], parents: Mapping[int, int | None]) -> ItemInfo:
    """One catalogue product (a `values()` row) as recommender metadata (both languages go
    into the text)."""
    category_id = int(row["category_id"])
    created = row["created_at"]
    if isinstance(created, datetime) and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    specs = tuple((str(k), str(v)) for k, v in (row["specs"] or []))
    texts = (row[c] for c in ("title_en", "title_zh", "description_en", "description_zh"))
    return ItemInfo(
        item_id=int(row["id"]),
        category_id=category_id,
        category_path=category_ancestors(parents, category_id),
        brand=str(row["brand"] or ""),
        specs=specs,
        tags=tuple(str(t) for t in (row["tags"] or [])),
        text=" ".join(str(t) for t in texts if t),
        created_at=created if isinstance(created, datetime) else None,
        active=bool(row["active"]),
    )


class TortoiseCatalogueFeed:
    """CatalogueFeed: every product with its category ancestors, read for a rebuild."""

    async def items(self) -> list[ItemInfo]:
        parents = dict(await CategoryRow.all().values_list("id", "parent_id"))
        rows = await ProductRow.all().order_by("id").values(*_FEED_COLUMNS)
        return [item_info(row, parents) for row in rows]
