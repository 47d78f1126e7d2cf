"""Loyalty end to end: a referred shopper earns points, moves up a tier, gets its discount
and free shipping and spends points at the next checkout (Stars); the referral is rewarded
once; /points; forged point amounts; the owner's report and a manual adjustment."""

# ruff: noqa: F811  (pytest fixtures imported from shop_fixtures are named as arguments)

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from demo.harness import Sandboxed
from storage.loyalty.models import LoyaltyAccountRow, LoyaltyEntryRow
from storage.models import AddressRow, UserRow
from storage.orders.models import OrderRow
from tests.e2e.conftest import running_kiosk
from tests.e2e.shop_fixtures import PAYMENTS, seed_goods, shop_mode  # noqa: F401
from tests.e2e.test_checkout import add_address

LOYALTY = {
    "tiers": [
        {"name": "Member", "threshold": 0},
        {
            "name": "Silver",
            "threshold": 1000,
            "percent_off": 10,
            "free_shipping_over": 0,
            "extra_points_rate": 100,
        },
    ],
    "referrer_reward": 300,
    "referred_reward": 100,
}


@pytest_asyncio.fixture
async def shop(
    shop_mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Sandboxed]:
    async with running_kiosk(
        shop_mode,
        request,
        tmp_path,
        payments=PAYMENTS,
        scheduler={"enabled": False},
        loyalty=LOYALTY,
    ) as running:
        yield running


async def balance(telegram_id: int) -> int:
    user = await UserRow.get(telegram_id=telegram_id)
    account = await LoyaltyAccountRow.get_or_none(user_id=user.id)
    entries = await LoyaltyEntryRow.filter(user_id=user.id).values_list("points", flat=True)
    assert (account.balance if account else 0) == sum(entries)
    return sum(entries)


async def complete(shop: Sandboxed, buyer, admin, order_id: int) -> None:  # type: ignore[no-untyped-def]
    await admin.send(f"/ship {order_id} TRK-{order_id}")
    await admin.send(f"/deliver {order_id}")
    await buyer.press("🧾 View order")
    await buyer.press("📦 I received it")


async def test_points_tiers_and_referral(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    admin = shop.sandbox.user(9000, "Merchant")
    alice = shop.sandbox.user(1001, "Alice")
    bob = shop.sandbox.user(1002, "Bob")
    await admin.send("/start")
    await alice.send("/start")
    code = (await UserRow.get(telegram_id=1001)).referral_code
    replies = await bob.send(f"/start ref_{code}")
    assert "invitation from a friend" in replies[0].content
    # Self, circular and forged (or another shop's) referrals are refused.
    bob_code = (await UserRow.get(telegram_id=1002)).referral_code
    replies = await bob.send(f"/start ref_{bob_code}")
    assert "your own invitation link" in replies[0].content
    await alice.send(f"/start ref_{bob_code}")
    assert (await UserRow.get(telegram_id=1001)).referrer_id is None  # type: ignore[attr-defined]
    carol = shop.sandbox.user(1003, "Carol")
    replies = await carol.send("/start ref_zzzzzzzz")
    assert "invitation link isn't valid" in replies[0].content
    assert (await UserRow.get(telegram_id=1003)).referrer_id is None  # type: ignore[attr-defined]

    # First order: no points yet, no tier benefit, paid by card.
    await bob.press_data(f"cart:add:{goods.mug_id}:0")
    await bob.send("/cart")
    await bob.press("✅ Checkout")
    await add_address(bob)
    await bob.send("/cart")
    await bob.press("✅ Checkout")
    await bob.press("⭐ Alice Liddell, Christ Church, St Aldates, Oxford")
    await bob.press("Standard delivery — $5.00")
    review = bob.last_bot_message
    assert "Use" not in " ".join(review.button_texts()) and "Member discount" not in review.content
    await bob.press("💳 Confirm and pay by card")
    assert (await bob.pay_invoice()).ok
    first = await OrderRow.get(user__telegram_id=1002)
    await complete(shop, bob, admin, first.id)
    screen = bob.last_bot_message.content
    assert "Completed" in screen and "You earned 12 points" in screen, bob.transcript()
    assert "You moved up to Silver" in screen
    assert "Thanks for joining through a friend: +100 points" in screen
    assert any("+300 points" in m.content for m in alice.bot_messages), alice.transcript()
    assert (await balance(1002), await balance(1001)) == (112, 300)

    # Profile shows the tier and balance; /points the history.
    profile = (await bob.send("/profile"))[-1].content
    assert "Membership tier: Silver" in profile and "Points: 112" in profile
    await bob.press("⭐ Points")
    overview = bob.last_bot_message.content
    assert "Points: 112" in overview and f"start=ref_{bob_code}" in overview
    assert "10% off every order" in overview and "expire on" in overview
    await bob.press("📜 History")
    history = bob.last_bot_message.content
    assert "+12 — earned" in history and "+100 — referral reward" in history

    # Second order: Silver's 10% off and free shipping, then all 112 points, in Stars.
    await bob.press_data(f"cart:add:{goods.mug_id}:0")
    await bob.send("/cart")
    await bob.press("✅ Checkout")
    await bob.press("⭐ Alice Liddell, Christ Church, St Aldates, Oxford")
    await bob.press("Standard delivery — $5.00")
    review = bob.last_bot_message.content
    assert "Member discount (Silver): −$1.20" in review and "Free shipping (Silver)" in review
    assert "Total: $10.80" in review
    # Forged point amounts are refused with the reason, nothing is placed.
    address = await AddressRow.get(user__telegram_id=1002)
    await bob.press_data(f"co:r:{address.id}:standard::9999")
    assert "don't have enough points" in bob.last_callback_answer["text"]
    await bob.press_data(f"co:p:{address.id}:standard:stars:9999")
    assert "don't have enough points" in bob.last_callback_answer["text"]
    await bob.press("🎁 Use 112 points")
    review = bob.last_bot_message.content
    assert "Points used (112): −$1.12" in review and "Total: $9.68" in review
    replies = await bob.press("⭐ Confirm and pay 484 Stars")
    invoice = [m for m in replies if m.raw.get("invoice")]
    assert invoice and invoice[0].raw["invoice"]["total_amount"] == 484, bob.transcript()
    assert await balance(1002) == 0
    assert (await bob.pay_invoice()).ok
    second = await OrderRow.filter(user__telegram_id=1002).order_by("-id").first()
    assert second is not None and (second.discount, second.shipping) == (232, 0)
    await complete(shop, bob, admin, second.id)
    # 9.68 paid for goods at Silver's double rate; the referral is not rewarded again.
    assert (await balance(1002), await balance(1001)) == (18, 300)
    assert await OrderRow.filter(user__telegram_id=1002).count() == 2

    # The owner: referral report and a manual adjustment with a reason.
    await admin.send("/admin")
    await admin.press("⭐ Loyalty")
    report = admin.last_bot_message.content
    assert "Joined through an invitation: 1" in report and "Alice: 1 invited, 1 rewarded" in report
    await admin.press("✏️ Adjust points")
    await admin.send("1002 -100 too much")
    assert "don't have enough points" in admin.last_bot_message.content, admin.transcript()
    replies = await admin.send("1002 +50 sorry for the delay")
    assert "Their balance is now 68" in replies[-1].content, admin.transcript()
    assert await balance(1002) == 68
