"""OrderRepository on Tortoise: placing orders and applying transitions atomically.

Each write is one transaction. Stock rows are always touched in the same order (products
before variants, by id) and before the coupon row, so two transactions on PostgreSQL never
wait for each other in a circle. On SQLite Tortoise serialises transactions on its connection.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from domain.cart.service import OutOfStock
from domain.catalog.types import Localized, ProductKind
from domain.kernel.i18n import N_
from domain.kernel.idempotency import effect_key
from domain.orders.pricing import CouponInvalid
from domain.orders.service import (
    Apply,
    DuplicatePayment,
    Order,
    OrderDraft,
    OrderEvent,
    OrderLine,
    PaymentRecord,
    PayMethod,
)
from domain.orders.states import (
    RECEIVED_STATUSES,
    Action,
    FulfilmentStatus,
    OrderStatus,
    PaymentStatus,
    StockMove,
)
from storage.catalog.repository import TortoiseCatalogRepository
from storage.columns import int_column
from storage.compiled import CompiledGet, CompiledRows
from storage.digital.repository import product_kinds, revoke_units, take_units
from storage.orders.carts import clear_cart_coupon, remove_cart_units
from storage.orders.effects import (
    EffectApplied,
    applied_result,
    claim_effect,
    set_effect_result,
)
from storage.orders.models import (
    CouponRow,
    CouponUseRow,
    OrderEventRow,
    OrderLineRow,
    OrderRow,
    PaymentRow,
    RefundRow,
)

log = logging.getLogger(__name__)
_ORDER = CompiledGet(OrderRow, "id")  # every order screen, payment and status change
_ORDER_LINES = CompiledRows(
    OrderLineRow, lambda rows, order_id: rows.filter(order_id=order_id), int
)

Unit = tuple[int, int | None]
# Columns a transition may set besides the three statuses.
_CHANGEABLE = {
    "paid_at",
    "delivered_at",
    "tracking_number",
    "refund_reason",
    "shipping_option_id",
    "shipping_title_en",
    "shipping_title_zh",
    "shipping",
    "address",
    "pay_amount",
}


# A refund is due or done: a digital order's units are revoked (never back to the pool).
_REFUNDING = {
    PaymentStatus.REFUND_PENDING,
    PaymentStatus.REFUNDED,
    PaymentStatus.PARTIALLY_REFUNDED,
}


def _place_effect(digital: bool) -> str:
    return "order_place_digital" if digital else "order_place"


async def _stocked(units: list[tuple[Unit, int]], restock: bool = False) -> list[tuple[Unit, int]]:
    """The units whose stock moves: a service has none; a sold digital unit never goes back
    on the shelf (it is revoked), so a digital good's on_hand stays its count of available
    units."""
    kinds = await product_kinds(product_id for (product_id, _), _ in units)
    skip = {ProductKind.SERVICE} | ({ProductKind.DIGITAL} if restock else set())
    return [u for u in units if kinds.get(u[0][0], ProductKind.PHYSICAL) not in skip]


async def _take_units(order_id: int, lines: list[OrderLineRow]) -> None:
    kinds = await product_kinds(ln.product_id for ln in lines)
    wanted = [
        (ln.id, ln.product_id, ln.quantity)
        for ln in sorted(lines, key=lambda ln: ln.id)
        if kinds.get(ln.product_id) is ProductKind.DIGITAL
    ]
    await take_units(order_id, wanted)


class _NotInSourceStatus(Exception):
    """Rolls the transaction back: the order had already moved on."""


def _unit_order(unit: Unit) -> tuple[int, int, int]:
    product_id, variant_id = unit
    return (0 if variant_id is None else 1, variant_id or product_id, product_id)


def summed_units(lines: list[tuple[int, int | None, int]]) -> list[tuple[Unit, int]]:
    """Quantities of one sellable unit added up, in the fixed locking order."""
    totals: Counter[Unit] = Counter()
    for product_id, variant_id, quantity in lines:
        totals[(product_id, variant_id)] += quantity
    return sorted(totals.items(), key=lambda item: _unit_order(item[0]))


def _line(row: OrderLineRow) -> OrderLine:
    return OrderLine(
        product_id=row.product_id,
        variant_id=row.variant_id,
        sku=row.sku,
        title=Localized(row.title_en, row.title_zh),
        variant_label=row.variant_label,
        unit_price=row.unit_price,
        quantity=row.quantity,
    )


def _order(row: OrderRow, lines: list[OrderLineRow]) -> Order:
    shipping_title = None
    if row.shipping_option_id:
        shipping_title = Localized(row.shipping_title_en, row.shipping_title_zh)
    return Order(
        id=row.id,
        user_id=row.user_id,
        status=OrderStatus(row.status),
        payment_status=PaymentStatus(row.payment_status),
        fulfilment_status=FulfilmentStatus(row.fulfilment_status),
        lines=tuple(_line(r) for r in sorted(lines, key=lambda r: r.id or 0)),
        currency=row.currency,
        subtotal=row.subtotal,
        discount=row.discount,
        shipping=row.shipping,
        pay_method=PayMethod(row.pay_method),
        pay_currency=row.pay_currency,
        pay_amount=row.pay_amount,
        address=row.address,
        shipping_option_id=row.shipping_option_id,
        shipping_title=shipping_title,
        coupon_id=row.coupon_id,
        coupon_code=row.coupon_code,
        tracking_number=row.tracking_number,
        refund_reason=row.refund_reason,
        created_at=row.created_at,
        expires_at=row.expires_at,
        paid_at=row.paid_at,
        delivered_at=row.delivered_at,
        free_shipping=row.free_shipping,
        digital=row.digital,
    )


def _payment(row: PaymentRow) -> PaymentRecord:
    return PaymentRecord(
        order_id=row.order_id,
        user_id=row.user_id,
        telegram_user_id=row.telegram_user_id,
        charge_id=row.charge_id,
        provider_charge_id=row.provider_charge_id,
        currency=row.currency,
        amount=row.amount,
        needs_refund=row.needs_refund,
        created_at=row.created_at,
    )


class TortoiseOrderRepository:
    def __init__(
        self,
        stock: TortoiseCatalogRepository | None = None,
        place_hooks: Sequence[Callable[[OrderDraft, int], Awaitable[None]]] = (),
    ) -> None:
        """`place_hooks` run inside the placing transaction after stock and coupon (e.g. the
        loyalty redeem in storage/loyalty); raising rolls the whole order back."""
        self.stock = stock or TortoiseCatalogRepository()
        self.place_hooks = tuple(place_hooks)

    # ---- placing ----

    async def place(self, draft: OrderDraft) -> Order:
        """Within an update, at most once (domain.kernel.idempotency): the marker commits with the
        order, its reservations, coupon use and hooks' rows (loyalty redeem), so the update
        handled again after a crash gets the first order back and changes nothing. A checkout's
        digital order has a marker of its own (one update may place both)."""
        effect = effect_key(_place_effect(draft.digital))
        if effect is None:
            return await self._place(draft, None)
        try:
            return await self._place(draft, effect)
        except EffectApplied:  # delivered twice at once: the other delivery placed it
            order = await self.placed_by_this_update(draft.user_id, draft.digital)
            if order is None:
                raise RuntimeError(f"effect {effect}: no order of user {draft.user_id}") from None
            return order

    async def placed_by_this_update(self, user_id: int, digital: bool = False) -> Order | None:
        effect = effect_key(_place_effect(digital))
        order_id = await applied_result(effect) if effect is not None else None
        order = await self.get(order_id) if order_id is not None else None
        return order if order is not None and order.user_id == user_id else None

    async def _place(self, draft: OrderDraft, effect: str | None) -> Order:
        async with in_transaction():
            if effect is not None:
                await claim_effect(effect)  # first: a replay stops here, before any change
            row = await OrderRow.create(
                user_id=draft.user_id,
                status=OrderStatus.PENDING_PAYMENT,
                payment_status=PaymentStatus.UNPAID,
                fulfilment_status=FulfilmentStatus.UNFULFILLED,
                currency=draft.currency,
                subtotal=draft.subtotal,
                discount=draft.discount,
                shipping=draft.shipping,
                pay_method=draft.pay_method,
                pay_currency=draft.pay_currency,
                pay_amount=draft.pay_amount,
                address=draft.address[:300],
                shipping_option_id=draft.shipping_option_id,
                shipping_title_en=draft.shipping_title.en if draft.shipping_title else "",
                shipping_title_zh=draft.shipping_title.zh if draft.shipping_title else "",
                coupon_id=draft.coupon_id,
                coupon_code=draft.coupon_code,
                created_at=draft.created_at,
                expires_at=draft.expires_at,
                updated_at=draft.created_at,
                free_shipping=draft.free_shipping,
                digital=draft.digital,
            )
            units = await _stocked(
                summed_units([(x.product_id, x.variant_id, x.quantity) for x in draft.lines])
            )
            for (product_id, variant_id), quantity in units:
                if not await self.stock.reserve(
                    product_id, variant_id, quantity, ref=f"order:{row.id}"
                ):
                    title = next(
                        ln.title.en
                        for ln in draft.lines
                        if (ln.product_id, ln.variant_id) == (product_id, variant_id)
                    )
                    raise OutOfStock(title=title)  # rolls back every reservation made so far
            if draft.coupon_id is not None:
                await self._claim_coupon(draft, row.id)
            for hook in self.place_hooks:
                await hook(draft, row.id)
            lines = [
                OrderLineRow(
                    order_id=row.id,
                    product_id=ln.product_id,
                    variant_id=ln.variant_id,
                    sku=ln.sku[:64],
                    title_en=ln.title.en[:200],
                    title_zh=ln.title.zh[:200],
                    variant_label=ln.variant_label[:128],
                    unit_price=ln.unit_price,
                    quantity=ln.quantity,
                )
                for ln in draft.lines
            ]
            await OrderLineRow.bulk_create(lines)
            await OrderEventRow.create(
                order_id=row.id,
                action=Action.PLACE,
                source=row.status,
                target=row.status,
                actor="buyer",
                at=draft.created_at,
            )
            if effect is not None:
                await set_effect_result(effect, row.id)
        return _order(row, lines)

    async def _claim_coupon(self, draft: OrderDraft, order_id: int) -> None:
        claimed = await (
            CouponRow.filter(id=draft.coupon_id, active=True)
            .filter(Q(usage_limit__isnull=True) | Q(used__lt=F("usage_limit")))
            .update(used=F("used") + 1)
        )
        if claimed != 1:
            raise CouponInvalid(N_("This coupon has been used up."))
        once_key = f"{draft.coupon_id}:{draft.user_id}" if draft.once_per_customer else None
        try:
            await CouponUseRow.create(
                coupon_id=draft.coupon_id,
                user_id=draft.user_id,
                order_id=order_id,
                once_key=once_key,
            )
        except IntegrityError:
            raise CouponInvalid(N_("You have already used this coupon.")) from None

    # ---- reading ----

    async def get(self, order_id: int) -> Order | None:
        row = await _ORDER.get(order_id)
        if row is None:
            return None
        return _order(row, await _ORDER_LINES.models(order_id))

    async def _with_lines(self, rows: list[OrderRow]) -> list[Order]:
        lines: dict[int, list[OrderLineRow]] = {r.id: [] for r in rows}
        for line in await OrderLineRow.filter(order_id__in=list(lines)):
            lines[line.order_id].append(line)
        return [_order(r, lines[r.id]) for r in rows]

    async def list_for_user(self, user_id: int, offset: int, limit: int) -> list[Order]:
        rows = await OrderRow.filter(user_id=user_id).order_by("-id").offset(offset).limit(limit)
        return await self._with_lines(list(rows))

    async def count_for_user(self, user_id: int) -> int:
        return await OrderRow.filter(user_id=user_id).count()

    async def events(self, order_id: int) -> list[OrderEvent]:
        rows = await OrderEventRow.filter(order_id=order_id).order_by("id")
        return [
            OrderEvent(
                order_id=order_id,
                action=Action(r.action),
                source=OrderStatus(r.source),
                target=OrderStatus(r.target),
                actor=r.actor,
                note=r.note,
                at=r.at,
            )
            for r in rows
        ]

    async def placed_at(self, order_id: int) -> datetime | None:
        row = await OrderRow.get_or_none(id=order_id).only("id", "created_at")
        return row.created_at if row else None

    async def payment_for(self, order_id: int) -> PaymentRecord | None:
        row = await PaymentRow.filter(order_id=order_id).order_by("id").first()
        return _payment(row) if row else None

    async def refunded(self, order_id: int) -> int:
        return sum(await int_column(RefundRow.filter(order_id=order_id), "amount"))

    async def payments(self, order_id: int) -> list[PaymentRecord]:
        return [_payment(r) for r in await PaymentRow.filter(order_id=order_id).order_by("id")]

    async def overdue(self, now: datetime, limit: int) -> list[int]:
        rows = await int_column(
            OrderRow.filter(status=OrderStatus.PENDING_PAYMENT, expires_at__lte=now)
            .order_by("expires_at")
            .limit(limit),
            "id",
        )
        return [int(r) for r in rows]

    async def delivered_before(self, moment: datetime, limit: int) -> list[int]:
        rows = await int_column(
            OrderRow.filter(status=OrderStatus.DELIVERED, delivered_at__lte=moment)
            .order_by("delivered_at")
            .limit(limit),
            "id",
        )
        return [int(r) for r in rows]

    async def has_received(self, user_id: int, product_id: int) -> bool:
        """PurchaseVerifier for reviews: a delivered or completed order holds the product."""
        return await OrderLineRow.filter(
            product_id=product_id,
            order__user_id=user_id,
            order__status__in=[s.value for s in RECEIVED_STATUSES],
        ).exists()

    # ---- changing ----

    async def record_extra_payment(self, payment: PaymentRecord) -> bool:
        try:
            async with in_transaction():
                await self._insert_payment(payment)
                row = await OrderRow.get(id=payment.order_id).only("id", "status")
                await OrderEventRow.create(
                    order_id=payment.order_id,
                    action=Action.EXTRA_PAYMENT,
                    source=row.status,
                    target=row.status,
                    actor="telegram",
                    note="paid twice; refund due",
                    at=payment.created_at,
                )
        except DuplicatePayment:
            return False
        return True

    async def _insert_payment(self, payment: PaymentRecord) -> None:
        try:
            await PaymentRow.create(
                order_id=payment.order_id,
                user_id=payment.user_id,
                telegram_user_id=payment.telegram_user_id,
                charge_id=payment.charge_id,
                provider_charge_id=payment.provider_charge_id,
                currency=payment.currency,
                amount=payment.amount,
                needs_refund=payment.needs_refund,
                created_at=payment.created_at,
            )
        except IntegrityError:
            raise DuplicatePayment(payment.charge_id) from None

    async def apply(self, order_id: int, step: Apply) -> Order | None:
        t = step.transition
        values: dict[str, object] = {"status": t.target, "updated_at": step.at}
        if t.payment is not None:
            values["payment_status"] = t.payment
        if t.fulfilment is not None:
            values["fulfilment_status"] = t.fulfilment
        values.update({k: v for k, v in step.changes.items() if k in _CHANGEABLE})
        try:
            async with in_transaction():
                if step.payment is not None:
                    await self._insert_payment(step.payment)  # first: duplicates stop here
                query = OrderRow.filter(id=order_id, status=t.source)
                if t.needs_payment is not None:  # e.g. a returned order is refunded once
                    query = query.filter(payment_status__in=sorted(t.needs_payment))
                moved = await query.update(**values)
                if moved != 1:
                    raise _NotInSourceStatus()
                row = await _ORDER.get(order_id)
                assert row is not None  # moved a moment ago in this transaction
                lines = await _ORDER_LINES.models(order_id)
                await self._move_stock(t.stock, lines, f"order:{order_id}")
                if t.action is Action.PAY and row.digital:
                    await _take_units(order_id, lines)
                if row.digital and t.payment in _REFUNDING:
                    await revoke_units(order_id)
                if t.action is Action.PAY:
                    # The bought units and the coupon leave the cart in the payment's own
                    # transaction: a crash right after it must not leave them behind.
                    buyer: int = row.user_id
                    units = [(ln.product_id, ln.variant_id) for ln in lines]
                    await remove_cart_units(buyer, units)
                    await clear_cart_coupon(buyer)
                if t.release_coupon and row.coupon_id is not None:
                    await self._release_coupon(row.coupon_id, order_id)
                if step.refund is not None:
                    r = step.refund
                    await RefundRow.create(
                        order_id=order_id,
                        amount=r.amount,
                        currency=r.currency,
                        method=r.method,
                        confirmed_by=r.confirmed_by,
                        reason=r.reason[:300],
                        created_at=r.created_at,
                    )
                await OrderEventRow.create(
                    order_id=order_id,
                    action=t.action,
                    source=t.source,
                    target=t.target,
                    actor=step.actor[:40],
                    note=step.note[:300],
                    at=step.at,
                )
        except _NotInSourceStatus:
            return None
        return _order(row, lines)

    async def _move_stock(self, move: StockMove, lines: list[OrderLineRow], ref: str) -> None:
        if move is StockMove.NONE:
            return
        operation = {
            StockMove.RELEASE: self.stock.release,
            StockMove.SELL: self.stock.sell,
            StockMove.RESTOCK: self.stock.restock,
        }[move]
        units = await _stocked(
            summed_units([(ln.product_id, ln.variant_id, ln.quantity) for ln in lines]),
            restock=move is StockMove.RESTOCK,
        )
        for (product_id, variant_id), quantity in units:
            if not await operation(product_id, variant_id, quantity, ref):
                # Only a product deleted under a live order gets here. The order's change (a
                # payment above all) must still be recorded, so log for the merchant instead.
                log.error("stock %s of %s/%s x%s failed", move, product_id, variant_id, quantity)

    async def _release_coupon(self, coupon_id: int, order_id: int) -> None:
        await CouponRow.filter(id=coupon_id, used__gt=0).update(used=F("used") - 1)
        await CouponUseRow.filter(coupon_id=coupon_id, order_id=order_id).delete()
