"""Orders: placing one from the cart (stock reserved, all lines or none), following it through
the transition table in domain.orders.states, and the buyer's and merchant's actions on it.

Every change is a `Transition` applied by storage in one transaction with its stock movement,
conditional on the status it starts from; the resulting `OrderEvent`s are appended to the
order's log and returned, so the adapter tells the buyer in their language.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from domain.cart.service import (
    CartEmpty,
    CartLine,
    CartNeedsReview,
    CartService,
    CartView,
    category_scope,
)
from domain.catalog.types import Page, clamp_page
from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.i18n import N_
from domain.kernel.text import clean_line
from domain.orders.pricing import (
    STARS,
    CouponInvalid,
    PricedLine,
    ShippingOption,
    coupon_discount,
    keep_minimum_charge,
    plain_money,
    stars_amount,
    totals,
)
from domain.orders.rules import CartPart, PayRule, split_cart
from domain.orders.states import (
    BUYER_ACTIONS,
    Action,
    OrderStatus,
    TransitionRefused,
    transition_for,
)
from domain.orders.types import (
    Apply,
    Benefits,
    CheckoutConfig,
    CheckoutTotals,
    DuplicatePayment,
    Notice,
    Order,
    OrderChange,
    OrderDraft,
    OrderEvent,
    OrderLine,
    OrderNotFound,
    PaymentRecord,
    PaymentsUnavailable,
    PayMethod,
    RefundRecord,
)
from domain.users.service import Address

__all__ = [
    "Apply",
    "CheckoutConfig",
    "DuplicatePayment",
    "Order",
    "OrderChange",
    "OrderDraft",
    "OrderEvent",
    "OrderLine",
    "OrderNotFound",
    "OrderRepository",
    "OrderService",
    "PayMethod",
    "PaymentRecord",
    "PaymentsUnavailable",
    "RefundRecord",
]

log = logging.getLogger(__name__)
PAGE_SIZE = 5
BATCH = 200  # orders handled per job run


class OrderRepository(Protocol):
    async def place(self, draft: OrderDraft) -> Order:
        """Claim the coupon and reserve every line in one transaction, then store the order.

        Raises OutOfStock or CouponInvalid (used up) and leaves nothing behind."""
        ...

    async def placed_by_this_update(self, user_id: int, digital: bool = False) -> Order | None:
        """The order of `user_id` that the update being handled already placed
        (domain.kernel.idempotency), if any: handled again after a crash, it gets that one back.
        A checkout places at most one goods order and one `digital` order."""
        ...

    async def get(self, order_id: int) -> Order | None: ...

    async def list_for_user(self, user_id: int, offset: int, limit: int) -> list[Order]: ...

    async def count_for_user(self, user_id: int) -> int: ...

    async def events(self, order_id: int) -> list[OrderEvent]: ...

    async def apply(self, order_id: int, step: Apply) -> Order | None:
        """Apply a transition if the order is still in its source status (None otherwise).
        Raises DuplicatePayment when `step.payment` is already recorded. Paying also takes
        the bought units and the coupon out of the buyer's cart, in the same transaction."""
        ...

    async def record_extra_payment(self, payment: PaymentRecord) -> bool:
        """Store a payment flagged for refund; False if its charge id is already stored."""
        ...

    async def payment_for(self, order_id: int) -> PaymentRecord | None: ...

    async def refunded(self, order_id: int) -> int:
        """The sum of the refunds recorded for the order (in its pay currency)."""
        ...

    async def overdue(self, now: datetime, limit: int) -> list[int]: ...

    async def delivered_before(self, moment: datetime, limit: int) -> list[int]: ...

    async def has_received(self, user_id: int, product_id: int) -> bool: ...


class CheckoutBenefits(Protocol):
    """Discounts beyond coupons (domain.loyalty.service): a tier's and redeemed points'."""

    async def quote(
        self, user_id: int, goods: int, shipping: int, points: int, now: datetime
    ) -> Benefits: ...


# Told about every applied transition; returns notices for people (never raises: logged).
ChangeListener = Callable[[Order, datetime], Awaitable[list[Notice]]]


class OrderService:
    """Place, show and move orders along the transition table."""

    def __init__(
        self,
        repo: OrderRepository,
        carts: CartService,
        config: CheckoutConfig,
        *,
        benefits: CheckoutBenefits | None = None,
        change_listeners: Sequence[ChangeListener] = (),
        paid_listeners: Sequence[Callable[[Order], None]] = (),
    ) -> None:
        """`benefits` prices a tier's discount and redeemed points at checkout (loyalty);
        `change_listeners` hear of every applied transition (loyalty's ledger rules);
        `paid_listeners` of every order that became paid (the recommender's purchase events):
        they must return at once and never raise into the payment."""
        self.repo = repo
        self.carts = carts
        self.config = config
        self.benefits = benefits
        self.change_listeners: tuple[ChangeListener, ...] = tuple(change_listeners)
        self.paid_listeners: tuple[Callable[[Order], None], ...] = tuple(paid_listeners)

    # ---- placing ----

    async def place(
        self,
        user_id: int,
        address: Address | None,
        shipping_option_id: str | None,
        method: PayMethod | None,
        now: datetime,
        points: int = 0,
    ) -> Order:
        """Turn the cart into an order (the first of `place_parts`: a cart of one kind of
        goods makes exactly one)."""
        return (await self.place_parts(user_id, address, shipping_option_id, method, now, points))[
            0
        ]

    async def place_parts(
        self,
        user_id: int,
        address: Address | None,
        shipping_option_id: str | None,
        method: PayMethod | None,
        now: datetime,
        points: int = 0,
    ) -> list[Order]:
        """Turn the cart into one order per payment rule (domain.orders.rules.split_cart):
        physical goods paid by `method` and shipped to `address`, with the coupon and `points`;
        digital goods and services in Stars. Each reserves its stock for
        `config.reservation`; all of them are placed or none (a later part refused cancels the
        earlier one). Goods orders come first in the list."""
        placed: dict[PayRule, Order] = {}
        for rule in PayRule:  # before the checks: a replayed update gets its orders back
            earlier = await self._placed_by_this_update(user_id, rule)
            if earlier is not None:
                placed[rule] = earlier
        shipping = self.config.option(shipping_option_id)
        cart = await self.carts.view(user_id, now=now, shipping=shipping)
        if cart.empty:
            if placed:
                return _goods_first(list(placed.values()))
            raise CartEmpty()
        # Stock is decided by the reservation itself (the only check that can't race);
        # a vanished product or a changed price needs the shopper's eyes first.
        if any(line.problem in ("inactive", "price") for line in cart.lines):
            raise CartNeedsReview()
        parts = split_cart(cart.lines, self.config)
        goods = next((p for p in parts if p.rule is PayRule.GOODS), None)
        if goods is not None:
            self._check_goods(goods, cart, address, shipping, method)
        orders: list[Order] = []
        try:
            for part in sorted(parts, key=lambda p: p.rule is PayRule.GOODS):  # Stars first
                if part.rule in placed:
                    orders.append(placed[part.rule])
                elif part.rule is PayRule.STARS:
                    orders.append(await self.repo.place(self._stars_draft(user_id, part, now)))
                else:
                    assert method is not None and address is not None
                    view = await self.part_view(cart, part, now)
                    draft = await self._goods_draft(user_id, view, address, method, now, points)
                    orders.append(await self.repo.place(draft))
        except DomainError:
            for order in orders:  # all parts or none: release what this call reserved
                if order.id not in {o.id for o in placed.values()}:
                    await self._cancel_quietly(order.id, now)
            raise
        return _goods_first(orders)

    async def _placed_by_this_update(self, user_id: int, rule: PayRule) -> Order | None:
        if rule is PayRule.GOODS:
            return await self.repo.placed_by_this_update(user_id)
        return await self.repo.placed_by_this_update(user_id, digital=True)

    def _check_goods(
        self,
        part: CartPart,
        cart: CartView,
        address: Address | None,
        shipping: ShippingOption | None,
        method: PayMethod | None,
    ) -> None:
        if method is None or method not in part.methods:
            raise PaymentsUnavailable()
        if address is None:
            raise ValidationError(N_("Please add a delivery address first."))
        if shipping is None and not (self.config.flexible and method is PayMethod.CARD):
            raise ValidationError(N_("Please choose a shipping option."))
        if cart.coupon_error is not None:
            raise cart.coupon_error
        if method is PayMethod.CARD and cart.currency != self.config.currency:
            raise PaymentsUnavailable()

    async def _cancel_quietly(self, order_id: int, now: datetime) -> None:
        try:
            await self.cancel_unpaid(order_id, now, N_("the rest of the checkout failed"))
        except DomainError:
            log.warning("could not cancel order %s of a failed checkout", order_id)

    async def part_view(self, cart: CartView, part: CartPart, now: datetime) -> CartView:
        """The cart as if it held only `part`'s lines: its coupon priced on them alone (a
        coupon that doesn't apply to them is simply not used by this order)."""
        if len(part.lines) == len(cart.lines):
            return cart
        priced = [PricedLine(line.amount, line.category_id) for line in part.lines]
        coupon, discount = cart.coupon, 0
        if coupon is not None:
            scope = None
            if coupon.category_id is not None:
                categories = await self.carts.catalog.list_categories()
                scope = category_scope(categories, coupon.category_id)
            try:
                discount = coupon_discount(coupon, priced, cart.currency, now, scope)
            except CouponInvalid:
                coupon = None
        ship = cart.shipping.price if cart.shipping is not None else 0
        return CartView(
            part.lines,
            cart.currency,
            totals(cart.currency, priced, discount, ship),
            coupon,
            cart.coupon_code if coupon else None,
            None,
            cart.shipping,
        )

    def _stars_draft(self, user_id: int, part: CartPart, now: datetime) -> OrderDraft:
        """Digital goods and services: their Stars prices, no coupon, points or shipping."""
        currency = part.lines[0].currency
        return OrderDraft(
            user_id=user_id,
            lines=_order_lines(part.lines),
            currency=currency,
            subtotal=part.subtotal,
            discount=0,
            shipping=0,
            pay_method=PayMethod.STARS,
            pay_currency=STARS,
            pay_amount=part.stars,
            address="",
            shipping_option_id=None,
            shipping_title=None,
            coupon_id=None,
            coupon_code=None,
            once_per_customer=False,
            created_at=now,
            expires_at=now + self.config.reservation,
            digital=True,
        )

    async def _goods_draft(
        self,
        user_id: int,
        cart: CartView,
        address: Address,
        method: PayMethod,
        now: datetime,
        points: int,
    ) -> OrderDraft:
        shipping = cart.shipping
        t = await self.checkout_totals(user_id, cart, points, now)
        b = t.benefits
        # A coupon the minimum charge left nothing to take off isn't used up by this order.
        coupon = cart.coupon if t.coupon_discount else None
        pay_currency = STARS if method is PayMethod.STARS else cart.currency
        pay_amount = t.total
        if method is PayMethod.STARS:
            pay_amount = stars_amount(t.total, cart.currency, self.config.minor_units_per_star)
        return OrderDraft(
            user_id=user_id,
            lines=_order_lines(cart.lines),
            currency=cart.currency,
            subtotal=t.subtotal,
            discount=t.discount,
            shipping=t.shipping,
            pay_method=method,
            pay_currency=pay_currency,
            pay_amount=pay_amount,
            address=address.one_line(),
            shipping_option_id=shipping.id if shipping else None,
            shipping_title=shipping.title if shipping else None,
            coupon_id=coupon.id if coupon else None,
            coupon_code=coupon.code if coupon else None,
            once_per_customer=bool(coupon and coupon.once_per_customer),
            created_at=now,
            expires_at=now + self.config.reservation_for(method),
            points_redeemed=b.points,
            points_discount=b.points_discount,
            tier_name=b.tier_name,
            tier_discount=b.tier_discount,
            free_shipping=b.free_shipping,
        )

    async def checkout_totals(
        self, user_id: int, cart: CartView, points: int, now: datetime
    ) -> CheckoutTotals:
        """The cart's totals with the shopper's tier benefits and `points` applied (the same
        numbers at review and when placing). Discounts stop at `config.min_charge`
        (pricing.keep_minimum_charge), so every order can be paid."""
        t = cart.totals
        benefits = Benefits()
        if self.benefits is not None:
            benefits = await self._quote(user_id, cart, points, now)
        elif points:
            raise ValidationError(N_("Points can't be used in this shop."))
        shipping = 0 if benefits.free_shipping else t.shipping
        coupon, tier = keep_minimum_charge(
            t.subtotal, shipping, t.discount, benefits.tier_discount, self.config.min_charge
        )
        held = (coupon, tier) != (t.discount, benefits.tier_discount)
        if tier != benefits.tier_discount:
            benefits = replace(benefits, tier_discount=tier)
        return CheckoutTotals(cart.currency, t.subtotal, coupon, shipping, benefits, held)

    async def _quote(self, user_id: int, cart: CartView, points: int, now: datetime) -> Benefits:
        assert self.benefits is not None
        t = cart.totals
        goods = t.subtotal - t.discount
        if cart.shipping is None and self.config.flexible:
            # The option is chosen later in Telegram's payment form: ask whether the tier
            # ships this order free at any price (the order remembers it). Points stay checked
            # against the goods alone, as shipping can only add to the total.
            probe = max((option.price for option in self.config.shipping), default=0)
            if probe > 0:
                quoted = await self.benefits.quote(user_id, goods, probe, points, now)
                if quoted.free_shipping:
                    return quoted
        return await self.benefits.quote(user_id, goods, t.shipping, points, now)

    # ---- reading (expiry is also checked here, lazily) ----

    async def get(self, order_id: int, now: datetime) -> Order:
        order = await self.repo.get(order_id)
        if order is None:
            raise OrderNotFound()
        if order.is_overdue(now):
            change = await self.expire(order.id, now)
            if change is not None:
                return change.order
            order = await self.repo.get(order_id) or order
        return order

    async def order(self, user_id: int, order_id: int, now: datetime) -> Order:
        """One of the user's own orders; someone else's looks exactly like a missing one."""
        order = await self.get(order_id, now)
        if order.user_id != user_id:
            raise OrderNotFound()
        return order

    async def orders(
        self, user_id: int, page: int, now: datetime, page_size: int = PAGE_SIZE
    ) -> Page[Order]:
        total = await self.repo.count_for_user(user_id)
        page = clamp_page(page, page_size, total)
        found = await self.repo.list_for_user(user_id, (page - 1) * page_size, page_size)
        fresh = [await self.get(o.id, now) if o.is_overdue(now) else o for o in found]
        return Page(fresh, page, page_size, total)

    async def timeline(self, user_id: int, order_id: int, now: datetime) -> list[OrderEvent]:
        await self.order(user_id, order_id, now)
        return await self.repo.events(order_id)

    # ---- moving ----

    async def _move(
        self, order: Order, action: Action, actor: str, now: datetime, note: str = "", **kw: Any
    ) -> OrderChange:
        transition = transition_for(
            order.status, action, order.payment_status, order.fulfilment_status
        )
        step = Apply(transition, actor, now, note, **kw)
        updated = await self.repo.apply(order.id, step)
        if updated is None:  # someone else changed it first: show what is true now
            raise TransitionRefused()
        event = OrderEvent(order.id, action, order.status, transition.target, actor, note, now)
        return OrderChange(updated, (event,), notices=await self._tell_listeners(updated, now))

    async def _tell_listeners(self, order: Order, now: datetime) -> tuple[Notice, ...]:
        notices: list[Notice] = []
        for listener in self.change_listeners:
            try:
                notices += await listener(order, now)
            except Exception:  # the transition is recorded; a sweep job catches up later
                log.exception("change listener failed for order %s", order.id)
        return tuple(notices)

    async def pay(
        self,
        order: Order,
        payment: PaymentRecord,
        now: datetime,
        changes: dict[str, Any],
        actor: str = "telegram",
    ) -> OrderChange | None:
        """Pending -> paid with the payment recorded and the reserved stock sold, once.

        None when the order left pending_payment meanwhile; DuplicatePayment when this charge
        is already recorded. `actor` is "merchant:<id>" when staff mark an offline payment."""
        try:
            change = await self._move(
                order,
                Action.PAY,
                actor,
                now,
                changes={"paid_at": now, **changes},
                payment=payment,
            )
        except TransitionRefused:
            return None
        # The bought units and the coupon left the cart in the payment's own transaction
        # (OrderRepository.apply), so a crash right after it can't leave them behind.
        for listener in self.paid_listeners:
            try:
                listener(order)
            except Exception:  # a listener's bug must not turn a recorded payment into an error
                log.exception("paid listener failed for order %s", order.id)
        return change

    async def fulfil(self, order_id: int, now: datetime) -> OrderChange | None:
        """A paid digital order is delivered the moment its units are sent (None when it
        already moved on)."""
        order = await self.get(order_id, now)
        try:
            return await self._move(
                order, Action.FULFIL, "system", now, changes={"delivered_at": now}
            )
        except TransitionRefused:
            return None

    async def cancel_unfulfillable(self, order_id: int, now: datetime) -> OrderChange | None:
        """A paid order whose goods ran out at payment: cancelled, refund due (Stars go back
        at once through the adapter, like any Stars refund)."""
        order = await self.get(order_id, now)
        note = N_("sold out when it was paid")
        try:
            change = await self._move(
                order, Action.CANCEL, "system", now, note, changes={"refund_reason": note}
            )
        except TransitionRefused:
            return None
        return await self._refund_stars_if_any(change, now)

    async def pay_late(
        self, order: Order, payment: PaymentRecord, now: datetime
    ) -> OrderChange | None:
        """Money for an expired or cancelled order: keep it on record, refund is due."""
        try:
            change = await self._move(
                order,
                Action.PAY_LATE,
                "telegram",
                now,
                N_("paid after the order had closed"),
                payment=payment,
            )
        except TransitionRefused:
            return None
        return await self._refund_stars_if_any(change, now)

    async def cancel_unpaid(self, order_id: int, now: datetime, note: str) -> OrderChange:
        order = await self.get(order_id, now)
        return await self._move(order, Action.CANCEL, "system", now, note)

    async def current_prices(self, order: Order) -> dict[tuple[int, int | None], int]:
        """Today's catalogue price of each line's unit (absent when no longer sold)."""
        prices: dict[tuple[int, int | None], int] = {}
        catalog = self.carts.catalog
        for line in order.lines:
            product = await catalog.get_product(line.product_id)
            if product is None or not product.active:
                continue
            if line.variant_id is None:
                prices[(line.product_id, None)] = product.price
                continue
            for variant in await catalog.list_variants(line.product_id):
                if variant.id == line.variant_id and variant.active:
                    prices[(line.product_id, line.variant_id)] = variant.price
        return prices

    async def expire(self, order_id: int, now: datetime) -> OrderChange | None:
        """Expire an unpaid order whose reservation ran out (stock and coupon released)."""
        order = await self.repo.get(order_id)
        if order is None or not order.is_overdue(now):
            return None
        try:
            return await self._move(order, Action.EXPIRE, "system", now)
        except TransitionRefused:
            return None  # paid or cancelled meanwhile

    async def expire_overdue(self, now: datetime) -> list[OrderChange]:
        """The scheduled sweep behind lazy expiry."""
        changes = []
        for order_id in await self.repo.overdue(now, BATCH):
            change = await self.expire(order_id, now)
            if change is not None:
                changes.append(change)
        return changes

    async def complete_delivered(self, now: datetime) -> list[OrderChange]:
        """Orders delivered `auto_complete` ago and not disputed become completed."""
        changes = []
        for order_id in await self.repo.delivered_before(now - self.config.auto_complete, BATCH):
            order = await self.repo.get(order_id)
            if order is None:
                continue
            try:
                changes.append(await self._move(order, Action.COMPLETE, "system", now))
            except TransitionRefused:
                continue
        return changes

    async def buyer_action(
        self, user_id: int, order_id: int, action: Action, now: datetime, reason: str = ""
    ) -> OrderChange:
        """Cancel, confirm receipt or ask for a refund on one's own order."""
        if action not in BUYER_ACTIONS:
            raise TransitionRefused()
        order = await self.order(user_id, order_id, now)
        note = ""
        changes: dict[str, Any] = {}
        if action is Action.REQUEST_REFUND:
            note = clean_line(reason, field=N_("Reason"), max_len=300, min_len=3)
            changes["refund_reason"] = note
        change = await self._move(order, action, "buyer", now, note, changes=changes)
        if change.order.status is OrderStatus.REFUND_REQUESTED:
            return await self._refund_stars_if_any(change, now)
        return change

    async def _refund_stars_if_any(self, change: OrderChange, now: datetime) -> OrderChange:
        """Stars go back through Telegram at once; the adapter calls refundStarPayment and
        then `stars_refunded`. Card refunds wait for the merchant."""
        if change.order.pay_method is not PayMethod.STARS:
            return change
        payment = await self.repo.payment_for(change.order.id)
        if payment is None:
            return change
        return OrderChange(change.order, change.events, stars_refund=payment)

    async def stars_refunded(self, order_id: int, now: datetime) -> OrderChange:
        """Record a Stars refund Telegram has confirmed."""
        order = await self.get(order_id, now)
        payment = await self.repo.payment_for(order_id)
        amount = payment.amount if payment else order.pay_amount
        refund = RefundRecord(
            order_id,
            amount,
            order.pay_currency,
            PayMethod.STARS,
            "telegram",
            order.refund_reason or "",
            now,
        )
        return await self._move(order, Action.REFUND, "telegram", now, refund=refund)

    async def merchant_action(
        self,
        order_id: int,
        action: Action,
        merchant_id: int,
        now: datetime,
        tracking: str | None = None,
        amount: int | None = None,
        reason: str | None = None,
    ) -> OrderChange:
        """Process, ship (with a tracking number), deliver, cancel (with a reason, kept in the
        order's log), confirm a card refund, take back."""
        order = await self.get(order_id, now)
        actor = f"merchant:{merchant_id}"
        changes: dict[str, Any] = {}
        note, refund = "", None
        if action is Action.CANCEL and reason:
            note = clean_line(reason, field=N_("Reason"), max_len=300, min_len=3)
            changes["refund_reason"] = note
        if action is Action.SHIP:
            note = clean_line(tracking or "", field=N_("Tracking number"), max_len=64)
            changes["tracking_number"] = note
        if action is Action.DELIVER:
            changes["delivered_at"] = now
        if action in (Action.REFUND, Action.PARTIAL_REFUND):
            if order.pay_method is PayMethod.STARS:
                if amount not in (None, order.pay_amount):
                    # refundStarPayment gives back the whole payment, never a part of it.
                    raise ValidationError(
                        N_(
                            "Stars can only be refunded in full: refund the "
                            "order without an amount."
                        )
                    )
                # Check the table before Telegram moves any Stars, not after.
                transition_for(
                    order.status, Action.REFUND, order.payment_status, order.fulfilment_status
                )
                change = OrderChange(order, ())
                return await self._refund_stars_if_any(change, now)
            action, refund_amount = await self._refund_amount(order, amount)
            refund = RefundRecord(
                order.id,
                refund_amount,
                order.pay_currency,
                order.pay_method,
                actor,
                order.refund_reason or "",
                now,
            )
        return await self._move(order, action, actor, now, note, changes=changes, refund=refund)

    async def refundable(self, order: Order) -> int:
        """What a refund may still give back: what was paid less the refunds recorded."""
        return order.pay_amount - await self.repo.refunded(order.id)

    async def _refund_amount(self, order: Order, amount: int | None) -> tuple[Action, int]:
        """What a card refund gives back, and whether that is all of the rest: never more than
        was paid less what earlier (partial) refunds gave back. No amount means the rest."""
        # A refund of any size needs the order where the table allows one (else refused as
        # such, not blamed on the amount).
        transition_for(order.status, Action.REFUND, order.payment_status, order.fulfilment_status)
        left = await self.refundable(order)
        if left <= 0:
            raise ValidationError(N_("Everything paid for this order has been refunded already."))
        if amount is None or amount == left:
            return Action.REFUND, left
        if not 0 < amount < left:
            raise ValidationError(
                N_("The refund must be more than 0 and at most the {amount} not yet refunded."),
                amount=plain_money(left, order.pay_currency),
            )
        return Action.PARTIAL_REFUND, amount


def _goods_first(orders: list[Order]) -> list[Order]:
    return sorted(orders, key=lambda o: o.digital)


def _order_lines(lines: Sequence[CartLine]) -> tuple[OrderLine, ...]:
    return _merge_lines(
        OrderLine(
            line.item.product_id,
            line.item.variant_id,
            line.sku,
            line.title,
            line.variant_label,
            line.unit_price,
            line.quantity,
        )
        for line in lines
    )


def _merge_lines(lines: Sequence[OrderLine] | Any) -> tuple[OrderLine, ...]:
    """One line per sellable unit: the same SKU added twice is summed before reserving."""
    merged: dict[tuple[int, int | None], OrderLine] = {}
    for line in lines:
        key = (line.product_id, line.variant_id)
        if key in merged:
            first = merged[key]
            line = OrderLine(
                first.product_id,
                first.variant_id,
                first.sku,
                first.title,
                first.variant_label,
                first.unit_price,
                first.quantity + line.quantity,
            )
        merged[key] = line
    return tuple(merged.values())
