"""CartRepository and the coupon reader on Tortoise."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypedDict

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.cart.service import CartItem
from domain.kernel.idempotency import effect_key
from domain.orders.pricing import Coupon, CouponKind
from storage.compiled import CompiledGet, CompiledRows
from storage.orders.effects import (
    EffectApplied,
    applied_result,
    claim_effect,
    set_effect_result,
)
from storage.orders.models import CartLineRow, CartRow, CouponRow, CouponUseRow


class _LineKey(TypedDict):
    """The unique key of a cart line (cart_id, product_id, variant_id; 0: no variant)."""

    cart_id: int
    product_id: int
    variant_id: int


_LINE_COLUMNS = ("id", "product_id", "variant_id", "quantity", "price_seen", "currency")
_CART_OF = CompiledGet(CartRow, "user_id")
_LINE = CompiledGet(CartLineRow, "cart_id", "product_id", "variant_id")  # adding to the cart
_TOUCH = CompiledRows(
    CartRow, lambda rows, cart_id, at: rows.filter(id=cart_id).update(updated_at=at), int, datetime
)
_DROP_LINE = CompiledRows(
    CartLineRow,
    lambda rows, cart_id, product_id, variant_id: rows.filter(
        cart_id=cart_id, product_id=product_id, variant_id=variant_id
    ).delete(),
    int,
    int,
    int,
)
_CLEAR_COUPON = CompiledRows(
    CartRow, lambda rows, user_id: rows.filter(user_id=user_id).update(coupon_code=None), int
)
_LINE_COUNT = CompiledRows(
    CartLineRow, lambda rows, cart_id: rows.filter(cart_id=cart_id).count(), int
)
# The cart left-joined to its lines, oldest first: every cart and checkout screen reads it.
_CONTENTS = CompiledRows(
    CartRow,
    lambda rows, user_id: (
        rows.filter(user_id=user_id)
        .order_by("lines__added_at", "lines__id")
        .values("coupon_code", *(f"lines__{c}" for c in _LINE_COLUMNS))
    ),
    int,
)


def _item(row: CartLineRow) -> CartItem:
    return CartItem(
        id=row.id,
        product_id=row.product_id,
        variant_id=row.variant_id or None,
        quantity=row.quantity,
        price_seen=row.price_seen,
        currency=row.currency,
    )


def coupon_from_row(row: CouponRow) -> Coupon:
    return Coupon(
        id=row.id,
        code=row.code,
        kind=CouponKind(row.kind),
        value=row.value,
        currency=row.currency,
        min_order=row.min_order,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        usage_limit=row.usage_limit,
        used=row.used,
        once_per_customer=row.once_per_customer,
        category_id=row.category_id,
        active=row.active,
    )


async def _touch(cart_id: int) -> None:
    """A line changed: the cart's updated_at is its last change (abandoned-cart reminders)."""
    await _TOUCH.execute(cart_id, datetime.now(UTC))


async def remove_cart_units(user_id: int, units: list[tuple[int, int | None]]) -> None:
    """Take these units out of the user's cart (joins the caller's transaction, if any)."""
    cart = await _CART_OF.get(user_id)
    if cart is None:
        return
    for product_id, variant_id in units:
        await _DROP_LINE.execute(cart.id, product_id, variant_id or 0)


async def clear_cart_coupon(user_id: int) -> None:
    """Take the coupon off the user's cart (joins the caller's transaction, if any)."""
    await _CLEAR_COUPON.execute(user_id)


class TortoiseCartRepository:
    async def _cart(self, user_id: int) -> CartRow:
        row = await _CART_OF.get(user_id)
        if row is not None:
            return row
        try:
            return await CartRow.create(user_id=user_id)
        except IntegrityError:  # two first adds at once: the other one created it
            return await CartRow.get(user_id=user_id)

    async def items(self, user_id: int) -> list[CartItem]:
        rows = await CartLineRow.filter(cart__user_id=user_id).order_by("added_at", "id")
        return [_item(r) for r in rows]

    async def contents(self, user_id: int) -> tuple[list[CartItem], str | None]:
        """The lines (oldest first) and the coupon code in ONE statement (the cart left-joined
        to its lines), no model built per row: every cart and checkout screen reads both."""
        rows = await _CONTENTS.dicts(user_id)
        items = [
            CartItem(
                id=r["lines__id"],
                product_id=r["lines__product_id"],
                variant_id=r["lines__variant_id"] or None,
                quantity=r["lines__quantity"],
                price_seen=r["lines__price_seen"],
                currency=r["lines__currency"],
            )
            for r in rows
            if r["lines__id"] is not None  # a cart without lines: one row of NULLs
        ]
        return items, rows[0]["coupon_code"] if rows else None

    async def add(
        self,
        user_id: int,
        product_id: int,
        variant_id: int | None,
        quantity: int,
        price_seen: int,
        currency: str,
        max_quantity: int,
        max_lines: int,
    ) -> CartItem | None:
        """Add units of one product; within an update, at most once
        (domain.kernel.idempotency): the
        update handled again after a crash gets the line as the first run left it."""
        cart = await self._cart(user_id)
        key = _LineKey(cart_id=cart.id, product_id=product_id, variant_id=variant_id or 0)
        limits = (quantity, price_seen, currency, max_quantity, max_lines)
        effect = effect_key(f"cart_add:{product_id}:{variant_id or 0}")
        if effect is None:
            return await self._add_line(key, *limits)
        try:
            async with in_transaction():
                await claim_effect(effect)
                item = await self._add_line(key, *limits)
                await set_effect_result(effect, item.id if item else None)
                return item
        except EffectApplied:
            line_id = await applied_result(effect)
            row = None
            if line_id is not None:
                row = await CartLineRow.get_or_none(id=line_id, cart_id=cart.id)
            return _item(row) if row else None

    async def _add_line(
        self,
        key: _LineKey,
        quantity: int,
        price_seen: int,
        currency: str,
        max_quantity: int,
        max_lines: int,
    ) -> CartItem | None:
        cart_id = key["cart_id"]
        for _attempt in range(2):
            row = await _LINE.get(cart_id, key["product_id"], key["variant_id"])
            if row is not None:
                # Atomic, so two adds at once both count: add while under the cap, else cap.
                added = await CartLineRow.filter(
                    id=row.id, quantity__lte=max_quantity - quantity
                ).update(quantity=F("quantity") + quantity)
                if not added:
                    await CartLineRow.filter(id=row.id).update(quantity=max(1, max_quantity))
                await row.refresh_from_db(fields=["quantity"])
                await _touch(cart_id)
                return _item(row)
            if await _LINE_COUNT.count(cart_id) >= max_lines:
                return None
            try:
                async with in_transaction():  # a savepoint when called inside a transaction
                    row = await CartLineRow.create(
                        **key,
                        quantity=min(quantity, max_quantity),
                        price_seen=price_seen,
                        currency=currency,
                    )
                await _touch(cart_id)
                return _item(row)
            except IntegrityError:
                continue  # added at the same moment by another update: add to that line
        return None

    async def set_quantity(self, user_id: int, line_id: int, quantity: int) -> bool:
        updated = await CartLineRow.filter(id=line_id, cart__user_id=user_id).update(
            quantity=quantity
        )
        if updated:
            await CartRow.filter(user_id=user_id).update(updated_at=datetime.now(UTC))
        return updated == 1

    async def set_price_seen(self, user_id: int, line_id: int, price: int) -> bool:
        updated = await CartLineRow.filter(id=line_id, cart__user_id=user_id).update(
            price_seen=price
        )
        return updated == 1

    async def remove(self, user_id: int, line_id: int) -> bool:
        removed = await CartLineRow.filter(id=line_id, cart__user_id=user_id).delete() == 1
        if removed:
            await CartRow.filter(user_id=user_id).update(updated_at=datetime.now(UTC))
        return removed

    async def clear(self, user_id: int) -> None:
        await CartLineRow.filter(cart__user_id=user_id).delete()

    async def coupon_code(self, user_id: int) -> str | None:
        row = await CartRow.get_or_none(user_id=user_id).only("id", "coupon_code")
        return row.coupon_code if row else None

    async def set_coupon_code(self, user_id: int, code: str | None) -> None:
        if code is None:
            await CartRow.filter(user_id=user_id).update(coupon_code=None)
            return
        cart = await self._cart(user_id)
        await CartRow.filter(id=cart.id).update(coupon_code=code)


class TortoiseCouponRepository:
    async def get_coupon(self, code: str) -> Coupon | None:
        row = await CouponRow.get_or_none(code=code)
        return coupon_from_row(row) if row else None

    async def has_used(self, coupon_id: int, user_id: int) -> bool:
        return await CouponUseRow.filter(coupon_id=coupon_id, user_id=user_id).exists()

    async def create_coupon(
        self,
        code: str,
        kind: CouponKind,
        value: int,
        currency: str,
        *,
        min_order: int = 0,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        usage_limit: int | None = None,
        once_per_customer: bool = False,
        category_id: int | None = None,
    ) -> Coupon:
        """For the merchant side (admin tools, seeds and tests)."""
        row = await CouponRow.create(
            code=code.upper(),
            kind=kind.value,
            value=value,
            currency=currency,
            min_order=min_order,
            starts_at=starts_at,
            ends_at=ends_at,
            usage_limit=usage_limit,
            once_per_customer=once_per_customer,
            category_id=category_id,
        )
        return coupon_from_row(row)

    async def used(self, coupon_id: int) -> int:
        row = await CouponRow.get(id=coupon_id)
        return row.used

    async def release(self, coupon_id: int) -> bool:
        """Give one use back (never below zero)."""
        updated = await CouponRow.filter(id=coupon_id, used__gt=0).update(used=F("used") - 1)
        return updated == 1
