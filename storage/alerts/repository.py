"""The alerts' stores on Tortoise: domain.alerts.back_in_stock.StockSubscriptionStore and
domain.alerts.price_drops.PriceWatchStore.

The sweeps read the catalogue's own columns (on_hand, reserved, active, price), so whatever path
moved stock or changed a price, the next sweep sees it. Ids put into SQL are ints (inlined after
int()), which keeps one statement text for SQLite's `?` and asyncpg's `$1` placeholders.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.alerts.back_in_stock import BackInStockNotice, StockSubscription, UnitStock
from domain.alerts.price_drops import FavouritePrice, Reference
from domain.catalog.types import Localized
from domain.users.service import resolve_language
from storage.alerts.models import AlertSettingsRow, PriceWatchRow, StockSubscriptionRow
from storage.catalog.models import ProductRow, VariantRow

_DUE = """
SELECT s.id AS id, s.user_id AS user_id, s.product_id AS product_id, s.variant_id AS variant_id,
       s.attempts AS attempts, u.telegram_id AS telegram_id, u.language AS language,
       u.telegram_language AS telegram_language, p.title_en AS title_en,
       p.title_zh AS title_zh, v.options AS options
FROM alerts_stock_subscriptions s
JOIN users u ON u.id = s.user_id
JOIN catalog_products p ON p.id = s.product_id
LEFT JOIN catalog_variants v ON v.id = s.variant_id AND v.product_id = s.product_id
WHERE s.status = 'waiting' AND p.active = TRUE AND (
    (s.variant_id = 0 AND p.has_variants = FALSE AND p.on_hand - p.reserved > 0)
 OR (s.variant_id = 0 AND p.has_variants = TRUE AND EXISTS (
        SELECT 1 FROM catalog_variants w
        WHERE w.product_id = p.id AND w.active = TRUE AND w.on_hand - w.reserved > 0))
 OR (s.variant_id <> 0 AND v.active = TRUE AND v.on_hand - v.reserved > 0))
ORDER BY s.id
"""

_DROP_ORPHANS = """
DELETE FROM alerts_stock_subscriptions
WHERE variant_id <> 0 AND NOT EXISTS (
    SELECT 1 FROM catalog_variants v
    WHERE v.id = alerts_stock_subscriptions.variant_id
      AND v.product_id = alerts_stock_subscriptions.product_id)
"""

_CHANGED = """
SELECT f.user_id AS user_id, f.product_id AS product_id, u.telegram_id AS telegram_id,
       u.language AS language, u.telegram_language AS telegram_language,
       p.title_en AS title_en, p.title_zh AS title_zh, p.has_variants AS has_variants,
       p.price AS price, p.currency AS currency, w.last_price AS last_price,
       w.currency AS ref_currency
FROM alerts_settings st
JOIN catalog_favourites f ON f.user_id = st.user_id
JOIN users u ON u.id = f.user_id
JOIN catalog_products p ON p.id = f.product_id
LEFT JOIN alerts_price_watches w ON w.user_id = f.user_id AND w.product_id = f.product_id
WHERE st.price_drop = TRUE AND p.active = TRUE AND f.user_id > {after}
  AND (w.id IS NULL OR w.last_price <> p.price OR w.currency <> p.currency)
ORDER BY f.user_id, f.product_id
LIMIT {limit}
"""

_PRUNE_WATCHES = """
DELETE FROM alerts_price_watches
WHERE NOT EXISTS (
    SELECT 1 FROM catalog_favourites f
    WHERE f.user_id = alerts_price_watches.user_id
      AND f.product_id = alerts_price_watches.product_id)
"""


def variant_label(options: Any) -> str:
    """ "M / Red" from a variant's [[name, value], ...] (a JSON string on some backends)."""
    if isinstance(options, str):
        options = json.loads(options or "[]")
    return " / ".join(str(value) for _name, value in options or ())


def _locale(row: dict[str, Any]) -> str:
    return resolve_language(row["language"] or row["telegram_language"])


class TortoiseStockSubscriptionStore:
    async def unit(self, product_id: int, variant_id: int) -> UnitStock | None:
        product = await ProductRow.get_or_none(id=product_id).only(
            "id", "active", "has_variants", "on_hand", "reserved"
        )
        if product is None:
            return None
        if variant_id == 0:
            if not product.has_variants:
                available = product.on_hand - product.reserved
            else:
                rows = await VariantRow.filter(product_id=product_id, active=True).values_list(
                    "on_hand", "reserved"
                )
                available = sum(max(0, on_hand - reserved) for on_hand, reserved in rows)
            return UnitStock(product_id, 0, product.active, available)
        variant = await VariantRow.get_or_none(id=variant_id, product_id=product_id)
        if variant is None:
            return None
        return UnitStock(
            product_id,
            variant_id,
            product.active and variant.active,
            variant.on_hand - variant.reserved,
        )

    async def add(self, user_id: int, product_id: int, variant_id: int, limit: int) -> bool | None:
        if await StockSubscriptionRow.filter(user_id=user_id).count() >= limit:
            return None
        try:
            await StockSubscriptionRow.create(
                user_id=user_id, product_id=product_id, variant_id=variant_id
            )
        except IntegrityError:
            return False
        return True

    async def remove(self, user_id: int, subscription_id: int) -> bool:
        deleted = await StockSubscriptionRow.filter(
            id=subscription_id, user_id=user_id, status="waiting"
        ).delete()
        return deleted == 1

    async def list_for(self, user_id: int) -> list[StockSubscription]:
        rows = (
            await StockSubscriptionRow.filter(user_id=user_id)
            .order_by("-id")
            .prefetch_related("product")
        )
        variant_ids = [r.variant_id for r in rows if r.variant_id]
        labels = {
            v.id: variant_label(v.options)
            for v in await VariantRow.filter(id__in=variant_ids).only("id", "options")
        }
        return [
            StockSubscription(
                id=r.id,
                product_id=r.product.id,
                variant_id=r.variant_id,
                title=Localized(r.product.title_en, r.product.title_zh or ""),
                variant_label=labels.get(r.variant_id, ""),
            )
            for r in rows
        ]

    async def due(self, limit: int) -> list[BackInStockNotice]:
        rows = await connections.get("default").execute_query_dict(f"{_DUE} LIMIT {int(limit)}")
        return [
            BackInStockNotice(
                subscription_id=int(r["id"]),
                user_id=int(r["user_id"]),
                telegram_id=int(r["telegram_id"]),
                locale=_locale(r),
                product_id=int(r["product_id"]),
                variant_id=int(r["variant_id"]),
                title=Localized(str(r["title_en"]), str(r["title_zh"] or "")),
                variant_label=variant_label(r["options"]) if r["variant_id"] else "",
                attempts=int(r["attempts"]),
            )
            for r in rows
        ]

    async def claim(self, subscription_id: int, attempt: str, now: datetime) -> bool:
        updated = await StockSubscriptionRow.filter(id=subscription_id, status="waiting").update(
            status="sending", attempt=attempt, claimed_at=now
        )
        return updated == 1

    async def finish(self, subscription_id: int, attempt: str) -> None:
        await StockSubscriptionRow.filter(id=subscription_id, attempt=attempt).delete()

    async def release(self, subscription_id: int, attempt: str, failed: bool) -> None:
        await StockSubscriptionRow.filter(
            id=subscription_id, attempt=attempt, status="sending"
        ).update(
            status="waiting", attempt="", claimed_at=None, attempts=F("attempts") + int(failed)
        )

    async def settle_stale(self, claimed_before: datetime) -> int:
        conn = connections.get("default")
        await conn.execute_query(_DROP_ORPHANS)  # options that no longer exist
        return await StockSubscriptionRow.filter(
            status="sending", claimed_at__lt=claimed_before
        ).delete()


class TortoisePriceWatchStore:
    async def enabled(self, user_id: int) -> bool:
        return await AlertSettingsRow.filter(user_id=user_id, price_drop=True).exists()

    async def set_enabled(self, user_id: int, on: bool) -> None:
        async with in_transaction() as conn:
            updated = (
                await AlertSettingsRow.filter(user_id=user_id).using_db(conn).update(price_drop=on)
            )
            if not updated:
                try:
                    async with in_transaction() as inner:  # a savepoint: a race is harmless
                        await AlertSettingsRow.create(
                            user_id=user_id, price_drop=on, using_db=inner
                        )
                except IntegrityError:
                    await (
                        AlertSettingsRow.filter(user_id=user_id)
                        .using_db(conn)
                        .update(price_drop=on)
                    )
            if on:  # fresh references: drops while opted out are not announced
                await PriceWatchRow.filter(user_id=user_id).using_db(conn).delete()

    async def changed(self, after_user_id: int, limit: int) -> list[FavouritePrice]:
        conn = connections.get("default")
        if after_user_id == 0:  # once per sweep: references of removed favourites go
            await conn.execute_query(_PRUNE_WATCHES)
        sql = _CHANGED.format(after=int(after_user_id), limit=int(limit))
        rows = await conn.execute_query_dict(sql)
        return [
            FavouritePrice(
                user_id=int(r["user_id"]),
                telegram_id=int(r["telegram_id"]),
                locale=_locale(r),
                product_id=int(r["product_id"]),
                title=Localized(str(r["title_en"]), str(r["title_zh"] or "")),
                has_variants=bool(r["has_variants"]),
                price=int(r["price"]),
                currency=str(r["currency"]),
                reference=None
                if r["last_price"] is None
                else Reference(int(r["last_price"]), str(r["ref_currency"])),
            )
            for r in rows
        ]

    async def move_reference(
        self, user_id: int, product_id: int, expected: Reference | None, new: Reference
    ) -> bool:
        now = datetime.now(UTC)
        if expected is None:
            try:
                await PriceWatchRow.create(
                    user_id=user_id,
                    product_id=product_id,
                    last_price=new.price,
                    currency=new.currency,
                    updated_at=now,
                )
            except IntegrityError:
                return False
            return True
        updated = await PriceWatchRow.filter(
            user_id=user_id,
            product_id=product_id,
            last_price=expected.price,
            currency=expected.currency,
        ).update(last_price=new.price, currency=new.currency, updated_at=now)
        return updated == 1
