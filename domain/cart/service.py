"""The shopping cart: lines stored in the database, re-checked against the catalogue on read.

A line remembers the price the shopper saw when adding it. When the product went inactive, its
price changed, or there is less stock than the line asks for, the line is flagged and checkout
waits until the shopper has looked at it (`accept_changes`), so nothing is silently charged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.catalog.types import (
    Category,
    Localized,
    Product,
    ProductKind,
    ProductNotFound,
    Variant,
)
from domain.kernel.errors import DomainError, LimitReached, NotFound, ValidationError
from domain.kernel.i18n import N_
from domain.orders.pricing import (
    Coupon,
    CouponInvalid,
    PricedLine,
    ShippingOption,
    Totals,
    coupon_discount,
    normalise_code,
    totals,
)

MAX_LINES = 30
MAX_QUANTITY = 99


class OutOfStock(DomainError):
    message = N_("Sorry, {title} is out of stock.")


class VariantRequired(ValidationError):
    message = N_("Please choose an option (size, colour, ...) first.")


class CartEmpty(DomainError):
    message = N_("Your cart is empty.")


class CartNeedsReview(DomainError):
    message = N_("Some items in your cart changed. Please review the cart first.")


@dataclass(frozen=True, slots=True)
class CartItem:
    """A stored cart line."""

    id: int
    product_id: int
    variant_id: int | None
    quantity: int
    price_seen: int
    currency: str


@dataclass(frozen=True, slots=True)
class CartLine:
    """A cart line as it stands now against the catalogue."""

    item: CartItem
    title: Localized
    sku: str
    variant_label: str
    category_id: int
    unit_price: int  # the current price
    currency: str
    available: int
    active: bool
    kind: ProductKind = ProductKind.PHYSICAL  # decides how the line is paid (orders.rules)
    stars_price: int | None = None  # the product's own Stars price, if the merchant set one

    @property
    def id(self) -> int:
        return self.item.id

    @property
    def quantity(self) -> int:
        return self.item.quantity

    @property
    def amount(self) -> int:
        return self.unit_price * self.item.quantity

    @property
    def price_changed(self) -> bool:
        return self.active and self.unit_price != self.item.price_seen

    @property
    def short_of_stock(self) -> bool:
        return self.active and self.item.quantity > self.available

    @property
    def problem(self) -> str | None:
        """Why this line can't be checked out as it is: inactive, price, stock, or None."""
        if not self.active:
            return "inactive"
        if self.price_changed:
            return "price"
        if self.short_of_stock:
            return "stock"
        return None


@dataclass(frozen=True, slots=True)
class CartView:
    lines: tuple[CartLine, ...]
    currency: str
    totals: Totals
    coupon: Coupon | None = None
    coupon_code: str | None = None
    coupon_error: DomainError | None = None  # the stored code no longer applies, and why
    shipping: ShippingOption | None = None

    @property
    def empty(self) -> bool:
        return not self.lines

    @property
    def needs_review(self) -> bool:
        return any(line.problem for line in self.lines)

    def line(self, line_id: int) -> CartLine:
        for line in self.lines:
            if line.id == line_id:
                return line
        raise NotFound(N_("That item is no longer in your cart."))


class CartRepository(Protocol):
    async def items(self, user_id: int) -> list[CartItem]: ...

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
        """Add to the line of this unit (creating it), capped at max_quantity; None when the
        cart already has max_lines other lines."""
        ...

    async def set_quantity(self, user_id: int, line_id: int, quantity: int) -> bool: ...

    async def set_price_seen(self, user_id: int, line_id: int, price: int) -> bool: ...

    async def remove(self, user_id: int, line_id: int) -> bool: ...

    async def clear(self, user_id: int) -> None: ...

    async def coupon_code(self, user_id: int) -> str | None: ...

    async def contents(self, user_id: int) -> tuple[list[CartItem], str | None]:
        """`items` and `coupon_code` read together."""
        ...

    async def set_coupon_code(self, user_id: int, code: str | None) -> None: ...


class CatalogReader(Protocol):
    """The part of the catalogue a cart reads (storage.catalog's repository has it)."""

    async def get_product(self, product_id: int) -> Product | None: ...

    async def list_variants(self, product_id: int) -> list[Variant]: ...

    async def list_categories(self) -> list[Category]: ...


class CouponReader(Protocol):
    async def get_coupon(self, code: str) -> Coupon | None: ...

    async def has_used(self, coupon_id: int, user_id: int) -> bool: ...


def category_scope(categories: Sequence[Category], root: int) -> set[int]:
    """`root` and every category below it."""
    children: dict[int | None, list[int]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category.id)
    scope, stack = set(), [root]
    while stack:
        current = stack.pop()
        if current not in scope:
            scope.add(current)
            stack.extend(children.get(current, ()))
    return scope


class CartService:
    """Add, change, remove and price what a shopper is about to buy."""

    def __init__(
        self, carts: CartRepository, catalog: CatalogReader, coupons: CouponReader
    ) -> None:
        self.carts = carts
        self.catalog = catalog
        self.coupons = coupons

    async def _unit(
        self, product_id: int, variant_id: int | None
    ) -> tuple[Product, Variant | None]:
        product = await self.catalog.get_product(product_id)
        if product is None or not product.active:
            raise ProductNotFound()
        if not product.has_variants:
            return product, None
        if variant_id is None:
            raise VariantRequired()
        for variant in await self.catalog.list_variants(product_id):
            if variant.id == variant_id and variant.active:
                return product, variant
        raise ProductNotFound()

    async def add(
        self, user_id: int, product_id: int, variant_id: int | None, quantity: int = 1
    ) -> CartLine:
        """Put `quantity` of a product (or one of its variants) in the cart, capped by stock."""
        if not 1 <= quantity <= MAX_QUANTITY:
            raise ValidationError(N_("Quantity must be from 1 to {max}."), max=MAX_QUANTITY)
        product, variant = await self._unit(product_id, variant_id)
        unit = variant or product
        if unit.available <= 0:
            raise OutOfStock(title=product.title.en)
        item = await self.carts.add(
            user_id,
            product.id,
            variant.id if variant else None,
            quantity,
            unit.price,
            product.currency,
            min(unit.available, MAX_QUANTITY),
            MAX_LINES,
        )
        if item is None:
            raise LimitReached(N_("Your cart can hold at most {limit} items."), limit=MAX_LINES)
        return self._line(item, product, variant)

    async def change(self, user_id: int, line_id: int, delta: int) -> CartLine | None:
        """Add `delta` (may be negative) to a line; 0 or less removes it (returns None)."""
        line = (await self.view(user_id)).line(line_id)
        quantity = min(line.quantity + delta, MAX_QUANTITY, max(line.available, 0))
        if delta > 0 and quantity <= line.quantity:
            if line.available > line.quantity:  # the stock has more: the cap is the reason
                raise LimitReached(
                    N_("At most {max} of one item fit in an order."), max=MAX_QUANTITY
                )
            raise OutOfStock(N_("Only {count} left in stock."), count=line.available)
        if quantity <= 0:
            await self.carts.remove(user_id, line_id)
            return None
        await self.carts.set_quantity(user_id, line_id, quantity)
        return line

    async def remove(self, user_id: int, line_id: int) -> None:
        if not await self.carts.remove(user_id, line_id):
            raise NotFound(N_("That item is no longer in your cart."))

    async def clear(self, user_id: int) -> None:
        await self.carts.clear(user_id)
        await self.carts.set_coupon_code(user_id, None)

    async def accept_changes(self, user_id: int) -> CartView:
        """The shopper has seen the flags: drop dead lines, take new prices, cap quantities."""
        for line in (await self.view(user_id)).lines:
            if not line.active or line.available <= 0:
                await self.carts.remove(user_id, line.id)
                continue
            if line.price_changed:
                await self.carts.set_price_seen(user_id, line.id, line.unit_price)
            if line.short_of_stock:
                await self.carts.set_quantity(user_id, line.id, line.available)
        return await self.view(user_id)

    async def apply_coupon(self, user_id: int, raw_code: str, now: datetime) -> CartView:
        """Check the code against the cart now and remember it; raises CouponInvalid."""
        code = normalise_code(raw_code)
        cart = await self.view(user_id, now=now, code=code)
        if cart.empty:
            raise CartEmpty()
        if cart.coupon_error is not None:
            raise cart.coupon_error
        await self.carts.set_coupon_code(user_id, code)
        return cart

    async def remove_coupon(self, user_id: int) -> None:
        await self.carts.set_coupon_code(user_id, None)

    async def view(
        self,
        user_id: int,
        now: datetime | None = None,
        shipping: ShippingOption | None = None,
        code: str | None = None,
    ) -> CartView:
        """The cart priced now: lines with flags, the coupon (if it still applies), totals."""
        lines: list[CartLine] = []
        items, saved_code = await self.carts.contents(user_id)
        for item in items:
            lines.append(await self._current(item))
        currency = lines[0].currency if lines else ""
        code = code or saved_code
        priced = [PricedLine(line.amount, line.category_id) for line in lines if line.active]
        coupon, discount, error = None, 0, None
        if code and lines and now is not None:
            coupon, discount, error = await self._discount(user_id, code, priced, currency, now)
        ship = shipping.price if shipping is not None and lines else 0
        return CartView(
            tuple(lines),
            currency,
            totals(currency, priced, discount, ship),
            coupon,
            code,
            error,
            shipping,
        )

    async def _discount(
        self, user_id: int, code: str, lines: list[PricedLine], currency: str, now: datetime
    ) -> tuple[Coupon | None, int, DomainError | None]:
        coupon = await self.coupons.get_coupon(code)
        if coupon is None:
            return None, 0, CouponInvalid(N_("There is no coupon with this code."))
        try:
            if coupon.once_per_customer and await self.coupons.has_used(coupon.id, user_id):
                raise CouponInvalid(N_("You have already used this coupon."))
            scope = None
            if coupon.category_id is not None:
                categories = await self.catalog.list_categories()
                scope = category_scope(categories, coupon.category_id)
            return coupon, coupon_discount(coupon, lines, currency, now, scope), None
        except CouponInvalid as exc:
            return None, 0, exc

    async def _current(self, item: CartItem) -> CartLine:
        product = await self.catalog.get_product(item.product_id)
        if product is None:
            return CartLine(
                item, Localized("?"), "", "", 0, item.price_seen, item.currency, 0, False
            )
        variant = None
        if item.variant_id is not None:
            variants = await self.catalog.list_variants(product.id)
            variant = next((v for v in variants if v.id == item.variant_id), None)
        return self._line(item, product, variant)

    @staticmethod
    def _line(item: CartItem, product: Product, variant: Variant | None) -> CartLine:
        missing_variant = item.variant_id is not None and variant is None
        unit = variant or product
        active = product.active and not missing_variant and (variant is None or variant.active)
        active = active and (variant is not None) == product.has_variants
        return CartLine(
            item=item,
            title=product.title,
            sku=unit.sku,
            variant_label=variant.label if variant else "",
            category_id=product.category_id,
            unit_price=unit.price,
            currency=product.currency,
            available=max(unit.available, 0),
            active=active,
            kind=product.kind,
            stars_price=product.stars_price,
        )
