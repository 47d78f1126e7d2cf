"""Stars subscriptions end to end through the sandbox: a members' club is bought from the
shopper's subscriptions screen (an invoice link with the 30-day period), renewed, delivered
twice (counted once), cancelled (no renewal follows), a renewal racing the cancellation is
refunded, it lapses (the granted tier goes, the shopper is told); the merchant lists
subscribers and refunds a subscription payment, which ends the benefit."""

# ruff: noqa: F811  (pytest fixtures imported from shop_fixtures are named as arguments)

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.jobs.scheduler import JobContext
from bot.jobs.subscriptions import lapse_subscriptions
from demo.harness import Sandboxed
from domain.catalog.service import Localized, ProductDraft
from sandbox.models import SandboxMessage
from storage.subscriptions.models import ChargeRow, SubscriptionRow
from storage.users import TortoiseUserRepository
from tests.e2e.shop_fixtures import seed_goods, shop, shop_mode  # noqa: F401


def url_button(message: SandboxMessage, starts: str) -> str:
    for row in message.inline_buttons:
        for button in row:
            if str(button.get("text", "")).startswith(starts) and button.get("url"):
                return str(button["url"])
    raise AssertionError(f"no URL button {starts!r} in {message.button_texts()}")


async def tier_of(shop: Sandboxed, telegram_id: int) -> str | None:
    user = await TortoiseUserRepository().get_by_telegram_id(telegram_id)
    assert user is not None
    tier, _spend = await shop.app.services.loyalty.tier(user.id, datetime.now(UTC))
    return tier.name if tier else None


async def club_plan(shop: Sandboxed) -> int:
    goods = await seed_goods(shop.app.services.catalog)
    club = await shop.app.services.catalog.create_product(
        ProductDraft(
            sku="CLUB-GOLD",
            category_id=goods.category_id,
            title=Localized("Gold club", "金卡俱乐部"),
            price=900,
        )
    )
    owner = shop.sandbox.user(9000, "Merchant")
    await owner.send("/start")
    replies = await owner.send(f"/subplan {club.id} 300 tier gold")
    assert "Subscription plan" in replies[-1].content, owner.transcript()
    return club.id


async def subscribe(  # type: ignore[no-untyped-def]
    shop: Sandboxed, telegram_id: int, name: str, card: int | None = None
):
    """Subscribe from the product's card (`card`: its id) or from /profile → Subscriptions."""
    user = shop.sandbox.user(telegram_id, name)
    await user.send("/start")
    if card is not None:
        await user.send(f"/start p_{card}")
        replies = await user.press("⭐ Subscribe: 300 ⭐ a month")
    else:
        await user.send("/profile")
        replies = await user.press("🎫 Subscriptions")
        assert "Gold club: 300 ⭐ a month" in replies[-1].content, user.transcript()
        replies = await user.press("⭐ Subscribe: Gold club")
    link = url_button(replies[-1], "⭐ Subscribe for 300")
    paid = await user.pay_invoice_link(link)
    assert paid.ok, paid.error
    assert any("You're subscribed to Gold club" in m.content for m in paid.messages)
    return user, paid


async def test_subscription_bought_renewed_cancelled_and_lapsed(shop: Sandboxed) -> None:
    club = await club_plan(shop)
    alice, first = await subscribe(shop, 2001, "Alice", card=club)
    assert await tier_of(shop, 2001) == "Gold"
    # A renewal, delivered twice: one renewal recorded, one message.
    renewal = await alice.advance_subscription(deliver_times=2)
    assert renewal is not None and renewal.ok
    assert [m for m in renewal.messages if "renewed until" in m.content].__len__() == 1
    row = await SubscriptionRow.get(user__telegram_id=2001)
    assert row.last_charge_id == renewal.telegram_payment_charge_id
    assert await ChargeRow.filter(subscription_id=row.id).count() == 2
    # The merchant sees the subscriber.
    owner = shop.sandbox.user(9000, "Merchant")
    replies = await owner.send("/subscribers")
    assert "Alice" in replies[-1].content and "renews" in replies[-1].content
    assert "Last 30 days: 2 payments, 600 ⭐" in replies[-1].content, owner.transcript()
    # Cancel from the profile's subscriptions screen: Telegram is told; no renewal follows.
    await alice.send("/subscriptions")
    replies = await alice.press("✖️ Cancel Gold club")
    assert "cancelled, active until" in alice.last_bot_message.content, alice.transcript()
    assert shop.sandbox.subscriptions[first.telegram_payment_charge_id]["canceled"]
    # Re-enable, then cancel again.
    await alice.press("🔁 Re-enable Gold club")
    assert "active, renews on" in alice.last_bot_message.content
    await alice.press("✖️ Cancel Gold club")
    # A renewal Telegram charged just before the cancellation reached it: refunded.
    raced = await alice.advance_subscription(force=True)
    assert raced is not None
    assert any("has been refunded" in m.content for m in raced.messages), alice.transcript()
    assert raced.telegram_payment_charge_id in [
        r["telegram_payment_charge_id"] for r in shop.sandbox.refunds
    ]
    assert await alice.advance_subscription() is None  # cancelled: it just ends
    assert await tier_of(shop, 2001) == "Gold"  # paid up until the period ends
    # The period ends: the job lapses it, the tier goes, Alice is told.
    ctx = JobContext(bot=shop.app.bot, services=shop.app.services, settings=shop.settings)
    later = datetime.now(UTC) + timedelta(days=61)
    assert await lapse_subscriptions(ctx, later) == 1
    assert await lapse_subscriptions(ctx, later) == 0
    assert "has ended" in alice.bot_messages[-1].content
    user = await TortoiseUserRepository().get_by_telegram_id(2001)
    assert user is not None
    tier, _ = await shop.app.services.loyalty.tier(user.id, later)
    assert tier is not None and tier.name == "Member"


async def test_refund_of_a_subscription_payment_ends_it(shop: Sandboxed) -> None:
    await club_plan(shop)
    bob, first = await subscribe(shop, 2002, "Bob")
    row = await SubscriptionRow.get(user__telegram_id=2002)
    owner = shop.sandbox.user(9000, "Merchant")
    replies = await owner.send(f"/subrefund {row.id}")
    assert "refunded (300 ⭐) and ended" in replies[-1].content, owner.transcript()
    assert [r["telegram_payment_charge_id"] for r in shop.sandbox.refunds] == [
        first.telegram_payment_charge_id
    ]
    assert shop.sandbox.subscriptions[first.telegram_payment_charge_id]["canceled"]
    assert any("was refunded" in m.content for m in bob.bot_messages)
    assert await tier_of(shop, 2002) == "Member"
    await bob.send("/subscriptions")
    assert "Gold club: ended" in bob.last_bot_message.content
    # A shopper can't refund or cancel: /subrefund is staff only, someone else's id refused.
    replies = await bob.send(f"/subrefund {row.id}")
    assert "refunded" not in replies[-1].content


async def test_members_link_shown_while_active_and_gone_when_it_lapses(shop: Sandboxed) -> None:
    """A plan granting an invite link: the link comes with the first payment and stays on
    /subscriptions while live; once the period ends unrenewed it is no longer shown, and a
    renewal Telegram delivers late (after the lapse) starts the subscription again."""
    goods = await seed_goods(shop.app.services.catalog)
    channel = await shop.app.services.catalog.create_product(
        ProductDraft(
            sku="CLUB-CHAN",
            category_id=goods.category_id,
            title=Localized("Insiders", "内部频道"),
            price=500,
        )
    )
    owner = shop.sandbox.user(9000, "Merchant")
    await owner.send("/start")
    replies = await owner.send(f"/subplan {channel.id} 150 link https://t.me/+InsidersOnly")
    assert "access to the members' channel" in replies[-1].content, owner.transcript()
    carol = shop.sandbox.user(2003, "Carol")
    await carol.send("/start")
    await carol.send("/subscriptions")
    replies = await carol.press("⭐ Subscribe: Insiders")
    paid = await carol.pay_invoice_link(url_button(replies[-1], "⭐ Subscribe for 150"))
    assert paid.ok, paid.error
    welcome = [m.content for m in paid.messages if "You're subscribed to Insiders" in m.content]
    assert welcome and "https://t.me/+InsidersOnly" in welcome[0], carol.transcript()
    assert await tier_of(shop, 2003) == "Member"  # a link plan grants no tier
    replies = await carol.send("/subscriptions")
    assert "Members' link: https://t.me/+InsidersOnly" in replies[-1].content
    # No renewal arrives: past the period the job lapses it and the link is gone.
    ctx = JobContext(bot=shop.app.bot, services=shop.app.services, settings=shop.settings)
    assert await lapse_subscriptions(ctx, datetime.now(UTC) + timedelta(days=31)) == 1
    assert "has ended" in carol.bot_messages[-1].content
    replies = await carol.send("/subscriptions")
    assert "Insiders: ended" in replies[-1].content, carol.transcript()
    assert "InsidersOnly" not in replies[-1].content
    assert "⭐ Subscribe: Insiders" in replies[-1].button_texts()
    # Telegram's renewal reaches the bot only now: it paid for a new period, so it restarts.
    late = await carol.advance_subscription()
    assert late is not None
    assert any("You're subscribed to Insiders" in m.content for m in late.messages)
    row = await SubscriptionRow.get(user__telegram_id=2003)
    assert (row.status, row.last_charge_id) == ("active", late.telegram_payment_charge_id)
    assert shop.sandbox.refunds == []
