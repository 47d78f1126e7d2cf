"""Invoices, the pre-checkout deadline, at-least-once successful_payment and Stars refunds."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import LabeledPrice, Message, PreCheckoutQuery, ShippingOption, ShippingQuery

from sandbox import Sandbox

pytestmark = pytest.mark.asyncio
CHAT = 1001


async def stars_invoice(bot: Bot, amount: int = 50) -> Message:
    return await bot.send_invoice(
        CHAT,
        title="Gift card",
        description="A gift card",
        payload="order-1",
        currency="XTR",
        prices=[LabeledPrice(label="Card", amount=amount)],
    )


async def test_invoice_validation(sb: Sandbox, bot: Bot) -> None:
    sb.user(CHAT)
    msg = await stars_invoice(bot)
    assert msg.invoice and msg.invoice.total_amount == 50 and msg.invoice.currency == "XTR"
    two = [LabeledPrice(label="a", amount=1), LabeledPrice(label="b", amount=2)]
    with pytest.raises(TelegramBadRequest, match="CURRENCY_TOTAL_AMOUNT_INVALID"):
        await bot.send_invoice(CHAT, "t", "d", "p", currency="XTR", prices=two)
    with pytest.raises(TelegramBadRequest, match="PAYMENT_PROVIDER_INVALID"):
        await bot.send_invoice(
            CHAT, "t", "d", "p", currency="XTR", provider_token="tok", prices=two[:1]
        )
    with pytest.raises(TelegramBadRequest, match="PAYMENT_PROVIDER_INVALID"):
        await bot.send_invoice(CHAT, "t", "d", "p", currency="USD", prices=two)
    with pytest.raises(TelegramBadRequest, match="INVOICE_TITLE_INVALID"):
        await bot.send_invoice(CHAT, "t" * 33, "d", "p", currency="XTR", prices=two[:1])
    with pytest.raises(TelegramBadRequest, match="INVOICE_PAYLOAD_INVALID"):
        await bot.send_invoice(CHAT, "t", "d", "p" * 129, currency="XTR", prices=two[:1])
    with pytest.raises(TelegramBadRequest, match="CURRENCY_TOTAL_AMOUNT_INVALID"):
        await bot.send_invoice(
            CHAT, "t", "d", "p", currency="XTR", prices=[LabeledPrice(label="z", amount=0)]
        )
    link = await bot.create_invoice_link("t", "d", "p", currency="XTR", prices=two[:1])
    assert link.startswith("https://t.me/$")


def shop(answer_precheckout: bool) -> tuple[Dispatcher, list[str], list[object]]:
    dp = Dispatcher()
    charges: list[str] = []
    late: list[object] = []

    @dp.message(F.text == "/buy")
    async def buy(message: Message, bot: Bot) -> None:
        await stars_invoice(bot)

    @dp.pre_checkout_query()
    async def pre(query: PreCheckoutQuery) -> None:
        if answer_precheckout:
            await query.answer(ok=True)
            return
        await asyncio.sleep(0.7)  # longer than the sandbox's 0.5 s deadline
        try:
            await query.answer(ok=True)
        except TelegramBadRequest as e:
            late.append(e)

    @dp.message(F.successful_payment)
    async def paid(message: Message) -> None:
        assert message.successful_payment is not None
        charges.append(message.successful_payment.telegram_payment_charge_id)
        await message.answer(f"Thanks! paid {message.successful_payment.total_amount}")

    return dp, charges, late


async def test_unanswered_precheckout_fails_payment(sb: Sandbox, polling) -> None:
    dp, charges, late = shop(answer_precheckout=False)
    await polling(dp)
    user = sb.user(CHAT)
    await user.send("/buy")
    started = time.monotonic()
    result = await user.pay_invoice()
    assert time.monotonic() - started < 1.5  # failed at the 0.5 s deadline, not later
    assert not result.ok and "not answered" in (result.error or "")
    await asyncio.sleep(0.4)
    assert charges == [] and not any(m.successful_payment for m in user.messages)
    assert len(late) == 1 and "query is too old" in str(late[0])
    assert sb.charges == {}


async def test_paid_invoice_delivered_three_times_and_refunds(
    sb: Sandbox, bot: Bot, polling
) -> None:
    dp, charges, _ = shop(answer_precheckout=True)
    await polling(dp)
    user = sb.user(CHAT)
    await user.send("/buy")
    result = await user.pay_invoice(deliver_times=3)
    assert result.ok and result.currency == "XTR" and result.total_amount == 50
    charge = result.telegram_payment_charge_id
    assert charge and charge.startswith("stx")
    assert charges == [charge] * 3
    assert [m.text for m in result.messages] == ["Thanks! paid 50"] * 3
    with pytest.raises(TelegramBadRequest, match="USER_ID_INVALID"):
        await bot.refund_star_payment(CHAT + 1, charge)
    assert await bot.refund_star_payment(CHAT, charge)
    with pytest.raises(TelegramBadRequest, match="CHARGE_ALREADY_REFUNDED"):
        await bot.refund_star_payment(CHAT, charge)
    with pytest.raises(TelegramBadRequest, match="CHARGE_ID_INVALID"):
        await bot.refund_star_payment(CHAT, "stxforged")
    assert [r["telegram_payment_charge_id"] for r in sb.refunds] == [charge]


async def test_declined_precheckout_and_flexible_shipping(sb: Sandbox, polling) -> None:
    dp = Dispatcher()
    declined = {"flag": True}

    @dp.message(F.text == "/buy")
    async def buy(message: Message, bot: Bot) -> None:
        await bot.send_invoice(
            CHAT,
            "Mug",
            "A mug",
            "mug-1",
            currency="USD",
            provider_token="TEST:provider",
            is_flexible=True,
            prices=[LabeledPrice(label="Mug", amount=1250)],
        )

    @dp.shipping_query()
    async def ship(query: ShippingQuery) -> None:
        with pytest.raises(TelegramBadRequest, match="shipping_options are required"):
            await query.answer(ok=True)
        await query.answer(
            ok=True,
            shipping_options=[
                ShippingOption(
                    id="post", title="Post", prices=[LabeledPrice(label="P", amount=300)]
                ),
                ShippingOption(
                    id="dhl", title="DHL", prices=[LabeledPrice(label="D", amount=900)]
                ),
            ],
        )

    @dp.pre_checkout_query()
    async def pre(query: PreCheckoutQuery) -> None:
        assert query.shipping_option_id == "dhl" and query.total_amount == 2150
        if declined["flag"]:
            await query.answer(ok=False, error_message="Out of stock")
        else:
            await query.answer(ok=True)

    @dp.message(F.successful_payment)
    async def paid(message: Message) -> None:
        await message.answer("paid")

    await polling(dp)
    user = sb.user(CHAT)
    msgs = await user.send("/buy")
    assert "[invoice] Mug — 12.50 USD" in user.transcript() and msgs[0].invoice
    result = await user.pay_invoice(shipping_option_id="dhl")
    assert not result.ok and result.error == "Out of stock"
    declined["flag"] = False
    result = await user.pay_invoice(shipping_option_id="dhl")
    assert result.ok and result.total_amount == 2150
    assert (result.telegram_payment_charge_id or "").startswith("tg_charge_")
    assert [m.text for m in result.messages] == ["paid"]
    assert sb.errors[0].description is not None and "shipping_options" in sb.errors[0].description
    assert len(sb.errors) == 2  # one refused answerShippingQuery per payment attempt
