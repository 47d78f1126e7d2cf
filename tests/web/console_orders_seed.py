"""Orders for the console's order, review and loyalty tests: placed and paid through the order
service on the test database, and a Bot session that also answers what telling a buyer and
refunding Stars call (sendMessage, refundStarPayment), recording each call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.types import Chat, Message

from bot.wiring import Services
from domain.catalog.types import Localized
from domain.orders.service import Order, OrderDraft, OrderLine, PaymentRecord, PayMethod
from domain.users.service import TelegramIdentity, User
from tests.web.console import Console


async def buyer(
    services: Services, telegram_id: int, name: str, username: str | None = None
) -> User:
    user, _ = await services.users.seen(
        TelegramIdentity(telegram_id, name, username=username, language_code="en")
    )
    return user


async def paid_order(
    services: Services,
    who: User,
    product_id: int,
    *,
    qty: int = 2,
    method: PayMethod = PayMethod.CARD,
    placed: datetime | None = None,
    pay: bool = True,
) -> Order:
    """An order of `qty` mugs at 12.50, placed (stock reserved) and, if `pay`, paid."""
    now = datetime.now(UTC)
    placed = placed or now
    line = OrderLine(product_id, None, "MUG-1", Localized("Coffee mug", "咖啡杯"), "", 1250, qty)
    stars = method is PayMethod.STARS
    total = 1250 * qty
    draft = OrderDraft(
        user_id=who.id,
        lines=(line,),
        currency="USD",
        subtotal=total,
        discount=0,
        shipping=0,
        pay_method=method,
        pay_currency="XTR" if stars else "USD",
        pay_amount=total // 50 if stars else total,
        address=f"{who.first_name}, 1 High St, Oxford",
        shipping_option_id=None,
        shipping_title=None,
        coupon_id=None,
        coupon_code=None,
        once_per_customer=False,
        created_at=placed,
        expires_at=now + timedelta(days=365),
    )
    order = await services.orders.repo.place(draft)
    if not pay:
        return order
    payment = PaymentRecord(
        order.id,
        who.id,
        who.telegram_id,
        f"charge-{order.id}",
        "provider-charge",
        order.pay_currency,
        order.pay_amount,
        False,
        now,
    )
    change = await services.orders.pay(order, payment, now, {})
    assert change is not None
    return change.order


class ChatRecorder:
    """Answers sendMessage and refundStarPayment on the console's Bot session (other calls
    go to the storefront's recording session) and keeps what the bot said to whom."""

    def __init__(self, console: Console) -> None:
        self.session = console.session
        self.sent: list[tuple[int, str]] = []
        self.refunds: list[tuple[int, str]] = []
        self.refuse_refunds = False
        self.unreachable = False  # every call fails as when the network is down
        self._answer = self.session.make_request
        self.session.make_request = self.make_request  # type: ignore[method-assign]

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 (BaseSession's own signature)
    ) -> Any:
        name = method.__api_method__
        if self.unreachable:
            raise TelegramNetworkError(method, "connection refused")
        if name == "sendMessage":
            self.sent.append((int(method.chat_id), str(method.text)))
            chat = Chat(id=int(method.chat_id), type="private")
            return Message(message_id=len(self.sent), date=datetime.now(UTC), chat=chat)
        if name == "refundStarPayment":
            if self.refuse_refunds:
                raise TelegramBadRequest(method, "Bad Request: CHARGE_NOT_FOUND")
            self.refunds.append((int(method.user_id), str(method.telegram_payment_charge_id)))
            return True
        return await self._answer(bot, method, timeout)

    def told(self, telegram_id: int) -> list[str]:
        return [text for chat, text in self.sent if chat == telegram_id]
