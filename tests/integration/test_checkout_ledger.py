"""The inventory ledger covers checkout: every reservation, sale, release and return of an order
is a `stock_movements` row (ref = the order), so on_hand/reserved can be rebuilt from it."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.catalog.service import Localized, ProductDraft, VariantDraft
from domain.orders.service import PayMethod
from domain.orders.states import Action, OrderStatus
from storage.admin.models import StockMovementRow
from storage.catalog.models import ProductRow, VariantRow
from storage.inventory.ledger import ledger_balance
from tests.integration.orders_setup import address_of, build_shop, buyers
from tests.integration.test_orders_concurrency import pay
from tests.services import shop_services

OWNER = 1


async def level(product_id: int, variant_id: int | None) -> tuple[int, int]:
    row = await (VariantRow.get(id=variant_id) if variant_id else ProductRow.get(id=product_id))
    return row.on_hand, row.reserved


async def test_checkout_sequence_keeps_stock_equal_to_the_ledger(db: str) -> None:
    admin = shop_services()
    shop = build_shop()
    category = await admin.merchant.create_category(OWNER, "Home", "家", None)
    mug = (
        await admin.merchant.create_product(
            OWNER, ProductDraft("MUG", category.id, Localized("Mug"), 1000, on_hand=10)
        )
    ).id
    tee = (
        await admin.merchant.create_product(
            OWNER,
            ProductDraft(
                "TEE",
                category.id,
                Localized("Tee"),
                2000,
                variants=(VariantDraft("TEE-M", (("Size", "M"),), 2000, 6),),
            ),
        )
    ).id
    tee_m = (await shop.catalog.detail(tee)).variants[0].id
    units = [(mug, None), (tee, tee_m)]
    a, b, c = await buyers(3)
    now = datetime.now(UTC)

    async def order_of(user, mug_qty: int, tee_qty: int):  # type: ignore[no-untyped-def]
        await shop.carts.add(user.id, mug, None, mug_qty)
        await shop.carts.add(user.id, tee, tee_m, tee_qty)
        return await shop.orders.place(user.id, address_of(user), "std", PayMethod.CARD, now)

    paid_then_returned = await order_of(a, 2, 1)  # reserve
    cancelled_unpaid = await order_of(b, 3, 2)  # reserve
    cancelled_paid = await order_of(c, 1, 1)  # reserve
    assert await level(mug, None) == (10, 6)
    await pay(shop, paid_then_returned, "ch-a", now)  # sale
    await pay(shop, cancelled_paid, "ch-c", now)  # sale
    await shop.orders.buyer_action(b.id, cancelled_unpaid.id, Action.CANCEL, now)  # release
    await shop.orders.buyer_action(c.id, cancelled_paid.id, Action.CANCEL, now)  # return
    await shop.orders.merchant_action(paid_then_returned.id, Action.SHIP, OWNER, now, "TRK1")
    await shop.orders.buyer_action(
        a.id, paid_then_returned.id, Action.REQUEST_REFUND, now, "broken"
    )
    change = await shop.orders.merchant_action(paid_then_returned.id, Action.RETURN, OWNER, now)
    assert change.order.status is OrderStatus.RETURNED  # return

    assert await level(mug, None) == (10, 0)
    assert await level(tee, tee_m) == (6, 0)
    for product_id, variant_id in units:
        assert await ledger_balance(product_id, variant_id) == await level(product_id, variant_id)
    moves = await StockMovementRow.filter(ref=f"order:{paid_then_returned.id}").order_by("id")
    assert [(m.product_id, m.reason) for m in moves] == [
        (mug, "reserve"),
        (tee, "reserve"),
        (mug, "sale"),
        (tee, "sale"),
        (mug, "return"),
        (tee, "return"),
    ]
    released = await StockMovementRow.filter(ref=f"order:{cancelled_unpaid.id}", reason="release")
    assert sorted(m.delta_reserved for m in released) == [-3, -2]
    # The product is referenced by an order line now: deleting it only deactivates it.
    assert await admin.merchant.delete(OWNER, mug) == "deactivated"


async def test_a_refused_reservation_books_nothing(db: str) -> None:
    admin = shop_services()
    shop = build_shop()
    category = await admin.merchant.create_category(OWNER, "Home", "家", None)
    mug = (
        await admin.merchant.create_product(
            OWNER, ProductDraft("MUG", category.id, Localized("Mug"), 1000, on_hand=1)
        )
    ).id
    (buyer,) = await buyers(1)
    await shop.carts.add(buyer.id, mug, None, 1)
    await admin.merchant.set_active(OWNER, mug, False)
    assert await shop.repo.stock.reserve(mug, None, 1, "order:0") is False  # inactive
    assert await StockMovementRow.filter(reason="reserve").count() == 0
    assert await ledger_balance(mug, None) == await level(mug, None) == (1, 0)
