"""Stars subscriptions in the emulator: Telegram's checks on subscription invoice links, the
first payment, renewals (a test advances a period), editUserStarSubscription and refunds."""

from __future__ import annotations

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import LabeledPrice, Message, PreCheckoutQuery

from sandbox import Sandbox
from sandbox.payments import SUBSCRIPTION_PERIOD

pytestmark = pytest.mark.asyncio
CHAT = 1001


async def club_link(bot: Bot, stars: int = 300, **kw: object) -> str:
    fields: dict[str, object] = {"currency": "XTR", "subscription_period": SUBSCRIPTION_PERIOD}
    fields.update(kw)
    return await bot.create_invoice_link(
        "Club",
        "Members' club",
        "sub-1",
        prices=[LabeledPrice(label="Club", amount=stars)],
        **fields,  # type: ignore[arg-type]
    )


async def test_subscription_links_follow_telegrams_rules(sb: Sandbox, bot: Bot) -> None:
    assert (await club_link(bot)).startswith("https://t.me/$")
    with pytest.raises(TelegramBadRequest, match="SUBSCRIPTION_PERIOD_INVALID"):
        await club_link(bot, subscription_period=86400)
    with pytest.raises(TelegramBadRequest, match="SUBSCRIPTION_CURRENCY_INVALID"):
        await club_link(bot, currency="USD", provider_token="284685063:TEST:x")
    with pytest.raises(TelegramBadRequest, match="PAYMENT_PROVIDER_INVALID"):
        await club_link(bot, provider_token="284685063:TEST:x")
    with pytest.raises(TelegramBadRequest, match="SUBSCRIPTION_PRICE_INVALID"):
        await club_link(bot, stars=10001)


def club() -> tuple[Dispatcher, list[tuple[str, bool, bool, int | None]]]:
    dp = Dispatcher()
    seen: list[tuple[str, bool, bool, int | None]] = []

    @dp.pre_checkout_query()
    async def pre(query: PreCheckoutQuery) -> None:
        await query.answer(ok=True)

    @dp.message(F.successful_payment)
    async def paid(message: Message) -> None:
        p = message.successful_payment
        assert p is not None
        seen.append(
            (
                p.telegram_payment_charge_id,
                bool(p.is_recurring),
                bool(p.is_first_recurring),
                p.subscription_expiration_date,
            )
        )
        await message.answer("thanks")

    return dp, seen


async def test_renewals_cancel_reenable_and_refund(sb: Sandbox, bot: Bot, polling) -> None:
    dp, seen = club()
    await polling(dp)
    user = sb.user(CHAT)
    first = await user.pay_invoice_link(await club_link(bot))
    assert first.ok and first.telegram_payment_charge_id
    charge = first.telegram_payment_charge_id
    (_, recurring, is_first, expires) = seen[0]
    assert recurring and is_first and expires is not None
    renewal = await user.advance_subscription()
    assert renewal is not None and renewal.ok
    assert seen[1][1:3] == (True, False)  # recurring, not the first
    assert seen[1][3] == expires + SUBSCRIPTION_PERIOD
    # Refunds of subscription charges work like any Stars refund.
    assert await bot.refund_star_payment(CHAT, renewal.telegram_payment_charge_id or "")
    # Only the subscriber, only subscription charges.
    with pytest.raises(TelegramBadRequest, match="USER_ID_INVALID"):
        await bot.edit_user_star_subscription(CHAT + 1, charge, True)
    with pytest.raises(TelegramBadRequest, match="CHARGE_ID_INVALID"):
        await bot.edit_user_star_subscription(CHAT, "stxforged", True)
    assert await bot.edit_user_star_subscription(CHAT, charge, True)
    assert await bot.edit_user_star_subscription(CHAT, charge, False)  # re-enabled
    assert (await user.advance_subscription()) is not None
    assert await bot.edit_user_star_subscription(CHAT, charge, True)
    assert await user.advance_subscription() is None  # cancelled: it ends, no payment
    assert len(seen) == 3
    with pytest.raises(TelegramBadRequest, match="SUBSCRIPTION_EXPIRED"):
        await bot.edit_user_star_subscription(CHAT, charge, False)


async def test_forced_renewal_and_plain_charges(sb: Sandbox, bot: Bot, polling) -> None:
    dp, seen = club()
    await polling(dp)
    user = sb.user(CHAT)
    first = await user.pay_invoice_link(await club_link(bot))
    charge = first.telegram_payment_charge_id or ""
    assert await bot.edit_user_star_subscription(CHAT, charge, True)
    forced = await user.advance_subscription(force=True, deliver_times=2)
    assert forced is not None and len(seen) == 3  # delivered twice, one charge
    assert seen[1][0] == seen[2][0] == forced.telegram_payment_charge_id
    plain = await user.pay_invoice_link(
        await bot.create_invoice_link(
            "Tea", "A tea", "t-1", currency="XTR", prices=[LabeledPrice(label="Tea", amount=5)]
        )
    )
    with pytest.raises(TelegramBadRequest, match="SUBSCRIPTION_ID_INVALID"):
        await bot.edit_user_star_subscription(CHAT, plain.telegram_payment_charge_id or "", True)
