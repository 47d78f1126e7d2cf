"""CartService over in-memory stores: adding, changing and removing lines, and the re-check of
every line against the catalogue when the cart is read (domain/cart/service.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.cart.service import MAX_LINES, MAX_QUANTITY, OutOfStock, VariantRequired
from domain.catalog.types import ProductNotFound
from domain.kernel.errors import DomainError, LimitReached, NotFound, ValidationError
from tests.unit.money_fakes import MoneyShop, build_shop

USER = 1


@pytest.fixture
def shop() -> MoneyShop:
    return build_shop()


async def test_adding_the_same_product_twice_grows_one_line_at_the_price_seen(
    shop: MoneyShop,
) -> None:
    mug = shop.stock.add_product(1200, 10)
    await shop.cart.add(USER, mug.id, None, 2)
    line = await shop.cart.add(USER, mug.id, None, 3)
    cart = await shop.cart.view(USER)
    assert [(ln.id, ln.quantity, ln.item.price_seen) for ln in cart.lines] == [(line.id, 5, 1200)]
    assert (cart.totals.subtotal, cart.totals.total, cart.currency) == (6000, 6000, "USD")
    assert not cart.needs_review


async def test_quantity_is_capped_by_what_is_available_not_by_on_hand(shop: MoneyShop) -> None:
    mug = shop.stock.add_product(1200, 10)
    await shop.cart.add(USER, mug.id, None, 8)
    await shop.cart.add(USER, mug.id, None, 5)
    assert (await shop.cart.view(USER)).lines[0].quantity == 10
    await shop.stock.reserve(mug.id, None, 10, "order:x")  # someone else's order holds all
    with pytest.raises(OutOfStock):
        await shop.cart.add(2, mug.id, None, 1)
    assert await shop.carts.items(2) == []


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1])
async def test_a_quantity_out_of_range_is_refused(shop: MoneyShop, quantity: int) -> None:
    mug = shop.stock.add_product(1200, 500)
    with pytest.raises(ValidationError) as refused:
        await shop.cart.add(USER, mug.id, None, quantity)
    assert refused.value.params == {"max": MAX_QUANTITY}
    assert await shop.carts.items(USER) == []


async def test_only_sellable_units_can_be_added(shop: MoneyShop) -> None:
    hidden = shop.stock.add_product(1200, 5, active=False)
    tee = shop.stock.add_product(0, 0)
    small = shop.stock.add_variant(tee.id, 2000, 5, "S")
    gone = shop.stock.add_variant(tee.id, 2000, 5, "XL")
    shop.stock.set_active(tee.id, False, variant_id=gone.id)
    with pytest.raises(ProductNotFound):
        await shop.cart.add(USER, hidden.id, None)
    with pytest.raises(ProductNotFound):
        await shop.cart.add(USER, 999, None)
    with pytest.raises(VariantRequired):
        await shop.cart.add(USER, tee.id, None)
    with pytest.raises(ProductNotFound):
        await shop.cart.add(USER, tee.id, gone.id)
    line = await shop.cart.add(USER, tee.id, small.id, 2)
    assert (line.unit_price, line.sku, line.variant_label) == (2000, small.sku, "S")
    assert [i.variant_id for i in await shop.carts.items(USER)] == [small.id]


async def test_a_cart_holds_at_most_max_lines(shop: MoneyShop) -> None:
    products = [shop.stock.add_product(100, 5) for _ in range(MAX_LINES + 1)]
    for product in products[:MAX_LINES]:
        await shop.cart.add(USER, product.id, None)
    with pytest.raises(LimitReached):
        await shop.cart.add(USER, products[-1].id, None)
    await shop.cart.add(USER, products[0].id, None)  # more of a line it has is fine
    assert len(await shop.carts.items(USER)) == MAX_LINES


async def test_change_adds_and_takes_away_within_stock(shop: MoneyShop) -> None:
    mug = shop.stock.add_product(1200, 4)
    line = await shop.cart.add(USER, mug.id, None, 2)
    await shop.cart.change(USER, line.id, +2)
    assert (await shop.carts.items(USER))[0].quantity == 4
    with pytest.raises(OutOfStock) as refused:
        await shop.cart.change(USER, line.id, +1)
    assert refused.value.params == {"count": 4}
    await shop.cart.change(USER, line.id, -1)
    assert (await shop.carts.items(USER))[0].quantity == 3
    assert await shop.cart.change(USER, line.id, -3) is None  # down to 0: gone
    assert await shop.carts.items(USER) == []
    with pytest.raises(NotFound):
        await shop.cart.change(USER, line.id, +1)


async def test_remove_and_clear(shop: MoneyShop) -> None:
    mug, cup = shop.stock.add_product(1200, 4), shop.stock.add_product(800, 4)
    first = await shop.cart.add(USER, mug.id, None)
    await shop.cart.add(USER, cup.id, None)
    await shop.cart.remove(USER, first.id)
    assert [i.product_id for i in await shop.carts.items(USER)] == [cup.id]
    with pytest.raises(NotFound):
        await shop.cart.remove(USER, first.id)
    with pytest.raises(NotFound):  # another shopper's line is not mine to remove
        await shop.cart.remove(2, (await shop.carts.items(USER))[0].id)
    await shop.carts.set_coupon_code(USER, "SAVE10")
    await shop.cart.clear(USER)
    assert await shop.carts.items(USER) == []
    assert await shop.carts.coupon_code(USER) is None


async def test_a_new_price_is_shown_and_flagged_until_the_shopper_accepts_it(
    shop: MoneyShop,
) -> None:
    mug, cup = shop.stock.add_product(1200, 4), shop.stock.add_product(800, 4)
    await shop.cart.add(USER, mug.id, None, 2)
    await shop.cart.add(USER, cup.id, None, 1)
    shop.stock.set_price(mug.id, 1500)
    cart = await shop.cart.view(USER)
    changed = cart.lines[0]
    assert (changed.problem, changed.unit_price, changed.item.price_seen) == ("price", 1500, 1200)
    assert cart.lines[1].problem is None
    assert cart.needs_review
    assert cart.totals.subtotal == 2 * 1500 + 800  # priced now, never at the old price
    accepted = await shop.cart.accept_changes(USER)
    assert not accepted.needs_review
    assert [i.price_seen for i in await shop.carts.items(USER)] == [1500, 800]


async def test_dead_and_short_lines_are_flagged_then_dropped_or_capped(shop: MoneyShop) -> None:
    mug, cup, pen = (shop.stock.add_product(p, 5) for p in (1200, 800, 300))
    for product in (mug, cup, pen):
        await shop.cart.add(USER, product.id, None, 3)
    shop.stock.set_active(mug.id, False)
    await shop.stock.apply(cup.id, None, -4, 0, "damaged")  # 1 left of the 3 in the cart
    await shop.stock.reserve(pen.id, None, 5, "order:x")  # none left
    cart = await shop.cart.view(USER)
    assert [ln.problem for ln in cart.lines] == ["inactive", "stock", "stock"]
    assert cart.totals.subtotal == 3 * 800 + 3 * 300  # an inactive line is not priced
    accepted = await shop.cart.accept_changes(USER)
    assert [(ln.sku, ln.quantity) for ln in accepted.lines] == [(cup.sku, 1)]
    assert not accepted.needs_review


async def test_a_deleted_product_or_variant_leaves_an_inactive_line(shop: MoneyShop) -> None:
    tee = shop.stock.add_product(0, 0)
    small = shop.stock.add_variant(tee.id, 2000, 5, "S")
    mug = shop.stock.add_product(1200, 5)
    await shop.cart.add(USER, tee.id, small.id)
    await shop.cart.add(USER, mug.id, None)
    shop.stock.variants[tee.id] = []
    del shop.stock.products[mug.id]
    cart = await shop.cart.view(USER)
    assert [(ln.active, ln.problem) for ln in cart.lines] == [(False, "inactive")] * 2
    assert cart.totals.subtotal == 0
    assert (await shop.cart.accept_changes(USER)).empty


async def test_a_line_of_a_variant_product_without_its_variant_is_inactive(
    shop: MoneyShop,
) -> None:
    """A product that gained variants after it was put in a cart can't be bought as it was."""
    mug = shop.stock.add_product(1200, 5)
    await shop.cart.add(USER, mug.id, None)
    shop.stock.add_variant(mug.id, 1300, 5, "Big")
    assert (await shop.cart.view(USER)).lines[0].problem == "inactive"


async def test_more_than_the_quantity_cap_is_not_blamed_on_stock(shop: MoneyShop) -> None:
    mug = shop.stock.add_product(1200, 500)
    line = await shop.cart.add(USER, mug.id, None, MAX_QUANTITY)
    with pytest.raises(DomainError) as refused:
        await shop.cart.change(USER, line.id, +1)
    assert not isinstance(refused.value, OutOfStock)
    assert refused.value.message == "At most {max} of one item fit in an order."
    assert refused.value.params == {"max": MAX_QUANTITY}
    assert (await shop.cart.view(USER)).lines[0].quantity == MAX_QUANTITY
    shop.stock.products[mug.id] = replace(shop.stock.products[mug.id], on_hand=MAX_QUANTITY)
    with pytest.raises(OutOfStock) as short:  # now the stock is what stops it
        await shop.cart.change(USER, line.id, +1)
    assert short.value.params == {"count": MAX_QUANTITY}
