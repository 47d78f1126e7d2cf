"""The money path in memory: catalogue stock, carts, coupons, orders and payments with the same
contracts as storage/, and `MoneyShop`, every money service wired over them as bot/wiring.py
wires the real ones (cosmicpython's FakeRepository, for the whole checkout).

What storage promises and these fakes keep:
- stock: one conditional movement per sellable unit, allowed by THE stock rule
  (domain.inventory.ledger.movement_allowed); an order reserves every unit or none, quantities
  of one unit summed first; reservations only of active units
  (storage.inventory.apply_stock_movement);
- coupons: claimed at placing by a conditional increment (active, under the usage limit) and a
  unique once-per-customer use; released (count and use) when a transition says so;
- orders: placing is one transaction (reservations, coupon, place hooks such as the loyalty
  redeem): any refusal leaves nothing behind; a transition applies only from its source status;
  a payment is inserted first under its unique charge id (DuplicatePayment); paying takes the
  bought units and the coupon out of the buyer's cart; every transition is logged;
- within one update (domain.kernel.idempotency) an order is placed at most once.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.cart.service import CartItem, CartService, OutOfStock
from domain.catalog.types import Category, Localized, Product, Variant
from domain.inventory.ledger import StockLevel, StockRow, UnitNotFound, movement_allowed
from domain.kernel.i18n import N_
from domain.kernel.idempotency import effect_key
from domain.loyalty.rules import LoyaltyConfig
from domain.loyalty.service import EntryKind, LedgerDraft, LoyaltyService
from domain.orders.payments import InvoiceSigner, PaymentResult, PaymentService
from domain.orders.pricing import Coupon, CouponInvalid, CouponKind, ShippingOption
from domain.orders.service import (
    Apply,
    CheckoutConfig,
    DuplicatePayment,
    Order,
    OrderDraft,
    OrderEvent,
    OrderService,
    PaymentRecord,
    PayMethod,
    RefundRecord,
)
from domain.orders.states import (
    RECEIVED_STATUSES,
    Action,
    FulfilmentStatus,
    OrderStatus,
    PaymentStatus,
    StockMove,
)
from domain.users.service import Address
from tests.unit.loyalty_fakes import InMemoryLoyaltyRepository

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
Unit = tuple[int, int | None]
PlaceHook = Callable[[OrderDraft, int], Awaitable[None]]


class _Unchanged(Exception):
    """Rolls a fake transaction back (the order had left the transition's source status)."""


@contextmanager
def transaction(*parts: Any) -> Iterator[None]:
    """All or nothing over in-memory stores: each part's `STATE` attributes are copied first
    and put back when the block raises, like a database transaction rolling back."""
    saved = [
        (part, {name: copy.deepcopy(getattr(part, name)) for name in part.STATE}) for part in parts
    ]
    try:
        yield
    except BaseException:
        for part, state in saved:
            for name, value in state.items():
                setattr(part, name, value)
        raise


def summed_units(lines: Sequence[tuple[int, int | None, int]]) -> list[tuple[Unit, int]]:
    """Quantities of one sellable unit added up (storage.orders.repository.summed_units)."""
    totals: Counter[Unit] = Counter()
    for product_id, variant_id, quantity in lines:
        totals[(product_id, variant_id)] += quantity
    return sorted(totals.items(), key=lambda item: (item[0][1] is not None, item[0]))


# ---- catalogue and stock ----


@dataclass(frozen=True, slots=True)
class Movement:
    """One stock ledger row."""

    product_id: int
    variant_id: int | None
    delta_on_hand: int
    delta_reserved: int
    reason: str
    ref: str


class InMemoryStock:
    """The catalogue as a cart reads it (CatalogReader), its stock ledger (StockLedger) and
    checkout's four stock movements (reserve, release, sell, restock) of storage's catalogue."""

    STATE = ("products", "variants", "movements")

    def __init__(self, currency: str = "USD") -> None:
        self.currency = currency
        self.categories: dict[int, Category] = {1: Category(1, None, Localized("All"))}
        self.products: dict[int, Product] = {}
        self.variants: dict[int, list[Variant]] = {}
        self.movements: list[Movement] = []
        self._next_variant = 100

    # ---- setting up ----

    def add_category(self, category_id: int, parent_id: int | None = None) -> Category:
        category = Category(category_id, parent_id, Localized(f"Category {category_id}"))
        self.categories[category_id] = category
        return category

    def add_product(
        self,
        price: int,
        on_hand: int,
        *,
        title: str = "",
        category_id: int = 1,
        active: bool = True,
        currency: str | None = None,
    ) -> Product:
        product_id = len(self.products) + 1
        product = Product(
            id=product_id,
            sku=f"SKU-{product_id}",
            category_id=category_id,
            title=Localized(title or f"Product {product_id}"),
            description=Localized(""),
            brand="",
            price=price,
            currency=currency or self.currency,
            compare_at=None,
            photos=(),
            specs=(),
            tags=(),
            on_hand=on_hand,
            reserved=0,
            low_stock_threshold=0,
            active=active,
            has_variants=False,
            created_at=NOW,
        )
        self.products[product_id] = product
        return product

    def add_variant(self, product_id: int, price: int, on_hand: int, label: str) -> Variant:
        """A variant of a product (which then sells only through its variants)."""
        product = self.products[product_id]
        variant = Variant(
            self._next_variant,
            product_id,
            f"{product.sku}-{label}",
            (("Size", label),),
            price,
            product.currency,
            None,
            on_hand,
            0,
        )
        self._next_variant += 1
        self.variants.setdefault(product_id, []).append(variant)
        prices = [v.price for v in self.variants[product_id]]
        self.products[product_id] = replace(product, has_variants=True, price=min(prices))
        return variant

    def set_price(self, product_id: int, price: int, variant_id: int | None = None) -> None:
        self._update(product_id, variant_id, price=price)

    def set_active(self, product_id: int, active: bool, variant_id: int | None = None) -> None:
        self._update(product_id, variant_id, active=active)

    def stock(self, product_id: int, variant_id: int | None = None) -> tuple[int, int]:
        """(on_hand, reserved) of one sellable unit."""
        unit = self._unit(product_id, variant_id)
        assert unit is not None
        return unit.on_hand, unit.reserved

    def _unit(self, product_id: int, variant_id: int | None) -> Product | Variant | None:
        if variant_id is None:
            product = self.products.get(product_id)
            return product if product is not None and not product.has_variants else None
        return next((v for v in self.variants.get(product_id, []) if v.id == variant_id), None)

    def _update(self, product_id: int, variant_id: int | None, **changes: Any) -> None:
        if variant_id is None:
            self.products[product_id] = replace(self.products[product_id], **changes)
            return
        self.variants[product_id] = [
            replace(v, **changes) if v.id == variant_id else v for v in self.variants[product_id]
        ]

    # ---- CatalogReader ----

    async def get_product(self, product_id: int) -> Product | None:
        return self.products.get(product_id)

    async def list_variants(self, product_id: int) -> list[Variant]:
        return list(self.variants.get(product_id, []))

    async def list_categories(self) -> list[Category]:
        return list(self.categories.values())

    # ---- StockLedger ----

    async def apply(
        self,
        product_id: int,
        variant_id: int | None,
        delta_on_hand: int,
        delta_reserved: int,
        reason: str,
        ref: str = "",
        actor: int = 0,
        *,
        only_active: bool = False,
    ) -> StockLevel | None:
        """The conditional update of storage, refused (None) where THE stock rule
        (domain.inventory.ledger.movement_allowed) refuses it; UnitNotFound for an unknown
        unit."""
        unit = self._unit(product_id, variant_id)
        if unit is None:
            raise UnitNotFound()
        level = StockLevel(product_id, variant_id, unit.on_hand, unit.reserved)
        if only_active and not unit.active:
            return None
        if not movement_allowed(level, delta_on_hand, delta_reserved):
            return None
        on_hand, reserved = unit.on_hand + delta_on_hand, unit.reserved + delta_reserved
        self._update(product_id, variant_id, on_hand=on_hand, reserved=reserved)
        self.movements.append(
            Movement(product_id, variant_id, delta_on_hand, delta_reserved, reason, ref)
        )
        return StockLevel(product_id, variant_id, on_hand, reserved)

    async def level(self, product_id: int, variant_id: int | None) -> StockLevel | None:
        unit = self._unit(product_id, variant_id)
        if unit is None:
            return None
        return StockLevel(product_id, variant_id, unit.on_hand, unit.reserved)

    def _low(self) -> list[StockRow]:
        rows = []
        for product in self.products.values():
            units: list[Product | Variant] = (
                list(self.variants.get(product.id, [])) if product.has_variants else [product]
            )
            for unit in units:
                if not (product.active and unit.active):
                    continue
                if unit.on_hand - unit.reserved <= product.low_stock_threshold:
                    variant_id = unit.id if isinstance(unit, Variant) else None
                    rows.append(
                        StockRow(
                            product.id,
                            variant_id,
                            unit.sku,
                            product.title.en,
                            product.title.zh,
                            unit.on_hand,
                            unit.reserved,
                            product.low_stock_threshold,
                        )
                    )
        return sorted(rows, key=lambda r: (r.on_hand - r.reserved, r.product_id))

    async def count_low(self) -> int:
        return len(self._low())

    async def low(self, offset: int, limit: int) -> list[StockRow]:
        return self._low()[offset : offset + limit]

    # ---- checkout's movements ----

    async def _move(
        self,
        product_id: int,
        variant_id: int | None,
        on_hand: int,
        reserved: int,
        reason: str,
        ref: str,
        only_active: bool = False,
    ) -> bool:
        try:
            level = await self.apply(
                product_id, variant_id, on_hand, reserved, reason, ref, only_active=only_active
            )
        except UnitNotFound:
            return False
        return level is not None

    async def reserve(self, product_id: int, variant_id: int | None, qty: int, ref: str) -> bool:
        if qty <= 0:
            return False
        return await self._move(product_id, variant_id, 0, qty, "reserve", ref, True)

    async def release(self, product_id: int, variant_id: int | None, qty: int, ref: str) -> bool:
        return qty > 0 and await self._move(product_id, variant_id, 0, -qty, "release", ref)

    async def sell(self, product_id: int, variant_id: int | None, qty: int, ref: str) -> bool:
        return qty > 0 and await self._move(product_id, variant_id, -qty, -qty, "sale", ref)

    async def restock(self, product_id: int, variant_id: int | None, qty: int, ref: str) -> bool:
        return qty > 0 and await self._move(product_id, variant_id, qty, 0, "return", ref)


# ---- carts and coupons ----


class InMemoryCarts:
    """CartRepository: one line per sellable unit, capped, at most `max_lines` lines."""

    STATE = ("lines", "codes")

    def __init__(self) -> None:
        self.lines: dict[int, dict[int, CartItem]] = {}  # user -> line id -> line
        self.codes: dict[int, str | None] = {}
        self._next_line = 1

    async def items(self, user_id: int) -> list[CartItem]:
        return list(self.lines.get(user_id, {}).values())

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
        mine = self.lines.setdefault(user_id, {})
        for line in mine.values():
            if (line.product_id, line.variant_id) == (product_id, variant_id):
                new = line.quantity + quantity
                if line.quantity > max_quantity - quantity:
                    new = max(1, max_quantity)
                mine[line.id] = replace(line, quantity=new)
                return mine[line.id]
        if len(mine) >= max_lines:
            return None
        item = CartItem(
            self._next_line,
            product_id,
            variant_id,
            min(quantity, max_quantity),
            price_seen,
            currency,
        )
        self._next_line += 1
        mine[item.id] = item
        return item

    async def set_quantity(self, user_id: int, line_id: int, quantity: int) -> bool:
        mine = self.lines.get(user_id, {})
        if line_id not in mine:
            return False
        mine[line_id] = replace(mine[line_id], quantity=quantity)
        return True

    async def set_price_seen(self, user_id: int, line_id: int, price: int) -> bool:
        mine = self.lines.get(user_id, {})
        if line_id not in mine:
            return False
        mine[line_id] = replace(mine[line_id], price_seen=price)
        return True

    async def remove(self, user_id: int, line_id: int) -> bool:
        return self.lines.get(user_id, {}).pop(line_id, None) is not None

    async def clear(self, user_id: int) -> None:
        self.lines.pop(user_id, None)

    async def coupon_code(self, user_id: int) -> str | None:
        return self.codes.get(user_id)

    async def contents(self, user_id: int) -> tuple[list[CartItem], str | None]:
        return await self.items(user_id), self.codes.get(user_id)

    async def set_coupon_code(self, user_id: int, code: str | None) -> None:
        self.codes[user_id] = code

    def remove_units(self, user_id: int, units: Sequence[Unit]) -> None:
        """What paying takes out of the buyer's cart (storage.orders.carts.remove_cart_units)."""
        mine = self.lines.get(user_id, {})
        for line_id, line in list(mine.items()):
            if (line.product_id, line.variant_id) in units:
                del mine[line_id]


@dataclass(frozen=True, slots=True)
class CouponUse:
    coupon_id: int
    user_id: int
    order_id: int
    once_key: str | None


class InMemoryCoupons:
    """CouponReader, and the claim/release storage does when placing and closing orders."""

    STATE = ("coupons", "uses")

    def __init__(self) -> None:
        self.coupons: dict[str, Coupon] = {}
        self.uses: list[CouponUse] = []

    def add_coupon(
        self, code: str, kind: CouponKind, value: int, currency: str = "USD", **rules: Any
    ) -> Coupon:
        coupon = Coupon(len(self.coupons) + 1, code, kind, value, currency, **rules)
        self.coupons[code] = coupon
        return coupon

    def by_id(self, coupon_id: int) -> Coupon:
        return next(c for c in self.coupons.values() if c.id == coupon_id)

    def used(self, code: str) -> int:
        return self.coupons[code].used

    async def get_coupon(self, code: str) -> Coupon | None:
        return self.coupons.get(code)

    async def has_used(self, coupon_id: int, user_id: int) -> bool:
        return any(u.coupon_id == coupon_id and u.user_id == user_id for u in self.uses)

    def claim(self, draft: OrderDraft, order_id: int) -> None:
        assert draft.coupon_id is not None
        coupon = self.by_id(draft.coupon_id)
        limit = coupon.usage_limit
        if not coupon.active or (limit is not None and coupon.used >= limit):
            raise CouponInvalid(N_("This coupon has been used up."))
        self.coupons[coupon.code] = replace(coupon, used=coupon.used + 1)
        once = f"{coupon.id}:{draft.user_id}" if draft.once_per_customer else None
        if once is not None and any(u.once_key == once for u in self.uses):
            raise CouponInvalid(N_("You have already used this coupon."))
        self.uses.append(CouponUse(coupon.id, draft.user_id, order_id, once))

    def release(self, coupon_id: int, order_id: int) -> None:
        coupon = self.by_id(coupon_id)
        if coupon.used > 0:
            self.coupons[coupon.code] = replace(coupon, used=coupon.used - 1)
        self.uses = [u for u in self.uses if (u.coupon_id, u.order_id) != (coupon_id, order_id)]


# ---- orders ----

_CHANGEABLE = {
    "paid_at",
    "delivered_at",
    "tracking_number",
    "refund_reason",
    "shipping_option_id",
    "shipping",
    "address",
    "pay_amount",
}


class InMemoryOrders:
    """OrderRepository with storage's transactions: see the module's docstring."""

    STATE = ("orders", "log", "payments", "refunds", "effects")

    def __init__(
        self,
        stock: InMemoryStock,
        carts: InMemoryCarts,
        coupons: InMemoryCoupons,
        place_hooks: Sequence[PlaceHook] = (),
        also_rolled_back: Sequence[Any] = (),
    ) -> None:
        """`place_hooks` run inside the placing transaction (the loyalty redeem);
        `also_rolled_back`: other stores they write to, restored when placing fails."""
        self.stock = stock
        self.carts = carts
        self.coupons = coupons
        self.place_hooks = tuple(place_hooks)
        self.parts = (self, stock, carts, coupons, *also_rolled_back)
        self.orders: dict[int, Order] = {}
        self.log: dict[int, list[OrderEvent]] = {}
        self.payments: list[PaymentRecord] = []
        self.refunds: list[RefundRecord] = []
        self.effects: dict[str, int] = {}
        # Run just before placing: another transaction that commits between the checks and
        # the order's own transaction (tests make races with it).
        self.before_place: list[Callable[[], Awaitable[None]]] = []
        self._next_id = 1

    # ---- placing ----

    async def place(self, draft: OrderDraft) -> Order:
        effect = effect_key("order_place_digital" if draft.digital else "order_place")
        if effect is not None and effect in self.effects:
            return self.orders[self.effects[effect]]
        for interloper in self.before_place:
            await interloper()
        order_id = self._next_id  # a sequence: not given back by a rollback
        self._next_id += 1
        with transaction(*self.parts):
            units = summed_units(
                [(ln.product_id, ln.variant_id, ln.quantity) for ln in draft.lines]
            )
            for (product_id, variant_id), quantity in units:
                if not await self.stock.reserve(
                    product_id, variant_id, quantity, f"order:{order_id}"
                ):
                    title = next(
                        ln.title.en
                        for ln in draft.lines
                        if (ln.product_id, ln.variant_id) == (product_id, variant_id)
                    )
                    raise OutOfStock(title=title)
            if draft.coupon_id is not None:
                self.coupons.claim(draft, order_id)
            for hook in self.place_hooks:
                await hook(draft, order_id)
            order = Order(
                id=order_id,
                user_id=draft.user_id,
                status=OrderStatus.PENDING_PAYMENT,
                payment_status=PaymentStatus.UNPAID,
                fulfilment_status=FulfilmentStatus.UNFULFILLED,
                lines=draft.lines,
                currency=draft.currency,
                subtotal=draft.subtotal,
                discount=draft.discount,
                shipping=draft.shipping,
                pay_method=draft.pay_method,
                pay_currency=draft.pay_currency,
                pay_amount=draft.pay_amount,
                address=draft.address[:300],
                shipping_option_id=draft.shipping_option_id,
                shipping_title=draft.shipping_title,
                coupon_id=draft.coupon_id,
                coupon_code=draft.coupon_code,
                tracking_number=None,
                refund_reason=None,
                created_at=draft.created_at,
                expires_at=draft.expires_at,
                free_shipping=draft.free_shipping,
                digital=draft.digital,
            )
            self.orders[order_id] = order
            self.log[order_id] = [
                OrderEvent(
                    order_id,
                    Action.PLACE,
                    order.status,
                    order.status,
                    "buyer",
                    "",
                    draft.created_at,
                )
            ]
            if effect is not None:
                self.effects[effect] = order_id
        return order

    async def placed_by_this_update(self, user_id: int, digital: bool = False) -> Order | None:
        effect = effect_key("order_place_digital" if digital else "order_place")
        order_id = self.effects.get(effect) if effect is not None else None
        order = self.orders.get(order_id) if order_id is not None else None
        return order if order is not None and order.user_id == user_id else None

    # ---- reading ----

    async def get(self, order_id: int) -> Order | None:
        return self.orders.get(order_id)

    async def list_for_user(self, user_id: int, offset: int, limit: int) -> list[Order]:
        mine = sorted(
            (o for o in self.orders.values() if o.user_id == user_id), key=lambda o: -o.id
        )
        return mine[offset : offset + limit]

    async def count_for_user(self, user_id: int) -> int:
        return sum(1 for o in self.orders.values() if o.user_id == user_id)

    async def events(self, order_id: int) -> list[OrderEvent]:
        return list(self.log.get(order_id, []))

    async def payment_for(self, order_id: int) -> PaymentRecord | None:
        return next((p for p in self.payments if p.order_id == order_id), None)

    async def refunded(self, order_id: int) -> int:
        return sum(r.amount for r in self.refunds if r.order_id == order_id)

    def payments_of(self, order_id: int) -> list[PaymentRecord]:
        return [p for p in self.payments if p.order_id == order_id]

    def refunds_of(self, order_id: int) -> list[RefundRecord]:
        return [r for r in self.refunds if r.order_id == order_id]

    async def overdue(self, now: datetime, limit: int) -> list[int]:
        due = [
            o
            for o in self.orders.values()
            if o.status is OrderStatus.PENDING_PAYMENT and o.expires_at <= now
        ]
        return [o.id for o in sorted(due, key=lambda o: o.expires_at)][:limit]

    async def delivered_before(self, moment: datetime, limit: int) -> list[int]:
        done = [
            o
            for o in self.orders.values()
            if o.status is OrderStatus.DELIVERED
            and o.delivered_at is not None
            and o.delivered_at <= moment
        ]
        return [o.id for o in sorted(done, key=lambda o: o.delivered_at or moment)][:limit]

    async def has_received(self, user_id: int, product_id: int) -> bool:
        return any(
            o.user_id == user_id
            and o.status in RECEIVED_STATUSES
            and any(ln.product_id == product_id for ln in o.lines)
            for o in self.orders.values()
        )

    # ---- changing ----

    def _insert_payment(self, payment: PaymentRecord) -> None:
        if any(p.charge_id == payment.charge_id for p in self.payments):
            raise DuplicatePayment(payment.charge_id)
        self.payments.append(payment)

    async def record_extra_payment(self, payment: PaymentRecord) -> bool:
        try:
            self._insert_payment(payment)
        except DuplicatePayment:
            return False
        status = self.orders[payment.order_id].status
        self.log[payment.order_id].append(
            OrderEvent(
                payment.order_id,
                Action.EXTRA_PAYMENT,
                status,
                status,
                "telegram",
                "paid twice; refund due",
                payment.created_at,
            )
        )
        return True

    async def apply(self, order_id: int, step: Apply) -> Order | None:
        t = step.transition
        try:
            with transaction(*self.parts):
                if step.payment is not None:
                    self._insert_payment(step.payment)  # first: duplicates stop here
                order = self.orders.get(order_id)
                if order is None or order.status is not t.source:
                    raise _Unchanged()
                if t.needs_payment is not None and order.payment_status not in t.needs_payment:
                    raise _Unchanged()
                order = self._changed(order, step)
                self.orders[order_id] = order
                await self._move_stock(t.stock, order)
                if t.action is Action.PAY:
                    units = [(ln.product_id, ln.variant_id) for ln in order.lines]
                    self.carts.remove_units(order.user_id, units)
                    self.carts.codes[order.user_id] = None
                if t.release_coupon and order.coupon_id is not None:
                    self.coupons.release(order.coupon_id, order_id)
                if step.refund is not None:
                    self.refunds.append(step.refund)
                self.log[order_id].append(
                    OrderEvent(
                        order_id, t.action, t.source, t.target, step.actor, step.note, step.at
                    )
                )
        except _Unchanged:
            return None
        return order

    @staticmethod
    def _changed(order: Order, step: Apply) -> Order:
        t = step.transition
        values: dict[str, Any] = {"status": t.target}
        if t.payment is not None:
            values["payment_status"] = t.payment
        if t.fulfilment is not None:
            values["fulfilment_status"] = t.fulfilment
        values.update({k: v for k, v in step.changes.items() if k in _CHANGEABLE})
        if "shipping_title_en" in step.changes:
            values["shipping_title"] = Localized(
                step.changes["shipping_title_en"], step.changes.get("shipping_title_zh", "")
            )
        return replace(order, **values)

    async def _move_stock(self, move: StockMove, order: Order) -> None:
        if move is StockMove.NONE:
            return
        operation = {
            StockMove.RELEASE: self.stock.release,
            StockMove.SELL: self.stock.sell,
            StockMove.RESTOCK: self.stock.restock,
        }[move]
        units = summed_units([(ln.product_id, ln.variant_id, ln.quantity) for ln in order.lines])
        for (product_id, variant_id), quantity in units:
            # Refused only for a unit deleted under a live order: storage logs and goes on.
            await operation(product_id, variant_id, quantity, f"order:{order.id}")


def loyalty_redeem_hook(ledger: InMemoryLoyaltyRepository) -> PlaceHook:
    """storage.loyalty.record_checkout: the redeem row written while the order is placed
    (NotEnoughPoints rolls the whole order back)."""

    async def record_checkout(draft: OrderDraft, order_id: int) -> None:
        if draft.points_redeemed > 0:
            await ledger.add(
                LedgerDraft(
                    draft.user_id,
                    EntryKind.REDEEM,
                    -draft.points_redeemed,
                    draft.created_at,
                    key=f"redeem:{order_id}",
                    order_id=order_id,
                    reason=f"order #{order_id}",
                )
            )

    return record_checkout


class _RollbackLedger:
    """The loyalty fake's data, named for `transaction` (the fake itself is shared code)."""

    STATE = ("entries", "keys", "settled", "spend")

    def __init__(self, ledger: InMemoryLoyaltyRepository) -> None:
        self.ledger = ledger

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ledger, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "ledger":
            object.__setattr__(self, name, value)
        else:
            setattr(self.ledger, name, value)


# ---- the whole shop ----

STANDARD = ShippingOption("std", Localized("Standard", "标准"), 500)
EXPRESS = ShippingOption("exp", Localized("Express", "快递"), 1500)
HOME = Address("Ann", "+15550100", "Springfield", "1 Main St", "12345")


def credit(user_id: int, points: int, at: datetime = NOW) -> LedgerDraft:
    """An owner's gift of points (a ledger row that needs no order)."""
    return LedgerDraft(user_id, EntryKind.ADJUST, points, at, reason="gift")


def checkout_config(**changes: Any) -> CheckoutConfig:
    """Card and Stars on, two shipping options, 2 cents a Star, 15 minutes to pay."""
    base = CheckoutConfig(
        reservation=timedelta(minutes=15),
        auto_complete=timedelta(days=7),
        shipping=(STANDARD, EXPRESS),
        currency="USD",
        card=True,
        stars=True,
        minor_units_per_star=2,
    )
    return replace(base, **changes)


@dataclass
class MoneyShop:
    """Every money service over the in-memory stores, wired as bot/wiring.py does."""

    stock: InMemoryStock
    carts: InMemoryCarts
    coupons: InMemoryCoupons
    orders: InMemoryOrders
    ledger: InMemoryLoyaltyRepository
    cart: CartService
    loyalty: LoyaltyService
    order_service: OrderService
    payments: PaymentService
    signer: InvoiceSigner
    config: CheckoutConfig
    paid_orders: list[int] = field(default_factory=list)  # seen by the paid listener

    async def buy(
        self, user_id: int, *items: tuple[int, int], variant_id: int | None = None
    ) -> None:
        """Put (product id, quantity) pairs into the user's cart."""
        for product_id, quantity in items:
            await self.cart.add(user_id, product_id, variant_id, quantity)

    async def place(
        self,
        user_id: int,
        method: PayMethod = PayMethod.CARD,
        option: str | None = "std",
        points: int = 0,
        now: datetime = NOW,
    ) -> Order:
        return await self.order_service.place(user_id, HOME, option, method, now, points)

    async def pay(
        self,
        order: Order,
        charge_id: str = "charge-1",
        now: datetime = NOW,
        amount: int | None = None,
        option: str | None = None,
    ) -> PaymentResult:
        """Telegram's successful_payment for this order's signed invoice."""
        payload = self.signer.sign(order.id, order.expires_at)
        paid = order.pay_amount if amount is None else amount
        return await self.payments.paid(
            order.user_id,
            1000 + order.user_id,
            payload,
            order.pay_currency,
            paid,
            charge_id,
            f"p-{charge_id}",
            now,
            shipping_option_id=option,
        )

    async def order(self, order_id: int) -> Order:
        found = await self.orders.get(order_id)
        assert found is not None
        return found

    def statuses(self, order: Order) -> tuple[OrderStatus, PaymentStatus, FulfilmentStatus]:
        now = self.orders.orders[order.id]
        return now.status, now.payment_status, now.fulfilment_status


def build_shop(
    config: CheckoutConfig | None = None,
    loyalty: LoyaltyConfig | None = None,
    *,
    with_loyalty: bool = True,
    secret: bytes = b"test-secret",
) -> MoneyShop:
    """The money services as bot/wiring.py builds them, over fresh in-memory stores."""
    config = config or checkout_config()
    stock, carts, coupons = InMemoryStock(), InMemoryCarts(), InMemoryCoupons()
    ledger = InMemoryLoyaltyRepository()
    orders = InMemoryOrders(
        stock,
        carts,
        coupons,
        place_hooks=[loyalty_redeem_hook(ledger)],
        also_rolled_back=[_RollbackLedger(ledger)],
    )
    cart = CartService(carts, stock, coupons)
    points = LoyaltyService(ledger, loyalty or LoyaltyConfig(min_charge=100))
    paid_orders: list[int] = []
    order_service = OrderService(
        orders,
        cart,
        config,
        benefits=points if with_loyalty else None,
        change_listeners=[points.order_changed] if with_loyalty else [],
        paid_listeners=[lambda order: paid_orders.append(order.id)],
    )
    signer = InvoiceSigner(secret)
    payments = PaymentService(order_service, signer, config)
    return MoneyShop(
        stock,
        carts,
        coupons,
        orders,
        ledger,
        cart,
        points,
        order_service,
        payments,
        signer,
        config,
        paid_orders,
    )
