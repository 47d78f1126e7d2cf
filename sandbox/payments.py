"""Invoices, shipping/pre-checkout queries, successful payments and Stars refunds.

The user-side flow (``pay_invoice``) lives here too so the whole payment protocol — including
the 10-second pre-checkout deadline and at-least-once delivery of successful_payment — is in
one place.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import TYPE_CHECKING, Any

from .messages import add_message, bot_says, open_chat, reply_target
from .models import PaymentResult, SandboxError, SandboxMessage, bad
from .state import BotState, new_id
from .validation import Params, check_invoice, check_reply_markup

if TYPE_CHECKING:
    from .core import Sandbox
    from .users import SandboxUser

SUBSCRIPTION_PERIOD = 2592000  # 30 days, the only period createInvoiceLink accepts
SUBSCRIPTION_MAX_STARS = 10000  # the most a subscription may cost a period
DEFAULT_ADDRESS = {
    "country_code": "US",
    "state": "CA",
    "city": "San Francisco",
    "street_line1": "1 Market St",
    "street_line2": "",
    "post_code": "94105",
}


async def send_invoice(sb: Sandbox, bot: BotState, p: Params) -> Any:
    chat = open_chat(sb, bot, p.chat_id())
    inv = check_invoice(p)
    markup = check_reply_markup(p)
    invoice = {
        "title": inv["title"],
        "description": inv["description"],
        "start_parameter": inv["start_parameter"],
        "currency": inv["currency"],
        "total_amount": inv["total_amount"],
    }
    reply = reply_target(chat, p)
    return bot_says(
        sb,
        bot,
        chat,
        invoice=invoice,
        reply_markup=markup,
        invoice_params=inv,
        reply_to_message_id=reply,
    ).raw


async def create_invoice_link(sb: Sandbox, bot: BotState, p: Params) -> Any:
    """Same checks as sendInvoice; the link opens with ``Telegram.WebApp.openInvoice``
    (sandbox/miniapp.py) or ``SandboxUser.pay_invoice_link``."""
    inv = check_invoice(p)
    period = p.integer("subscription_period")
    if period is not None:
        if period != SUBSCRIPTION_PERIOD:
            raise bad("SUBSCRIPTION_PERIOD_INVALID")
        if inv["currency"] != "XTR":
            raise bad("SUBSCRIPTION_CURRENCY_INVALID: subscriptions are paid in Telegram Stars")
        if inv["total_amount"] > SUBSCRIPTION_MAX_STARS:
            raise bad("SUBSCRIPTION_PRICE_INVALID: at most 10000 Stars a period")
        inv["subscription_period"] = period
    slug = new_id("", 12)
    bot.invoice_links[slug] = inv
    return f"https://t.me/${slug}"


async def answer_shipping_query(sb: Sandbox, bot: BotState, p: Params) -> Any:
    q = bot.take_query(p.string("shipping_query_id") or "", "shipping", sb.reply_timeout * 2)
    ok = p.flag("ok")
    if not ok:
        error = p.string("error_message")
        if not error:
            raise bad("ERROR_MESSAGE_EMPTY: error_message is required when ok is false")
        q.answer.set_result({"ok": False, "error_message": error})
        return True
    options = p.json("shipping_options")
    if not isinstance(options, list) or not options:
        raise bad("SHIPPING_OPTIONS_EMPTY: shipping_options are required when ok is true")
    for opt in options:
        if not (
            isinstance(opt, dict)
            and opt.get("id")
            and opt.get("title")
            and isinstance(opt.get("prices"), list)
        ):
            raise bad("can't parse shipping option JSON object")
    q.answer.set_result({"ok": True, "shipping_options": options})
    return True


async def answer_pre_checkout_query(sb: Sandbox, bot: BotState, p: Params) -> Any:
    q = bot.take_query(
        p.string("pre_checkout_query_id") or "", "precheckout", sb.precheckout_timeout
    )
    ok = p.flag("ok")
    error = p.string("error_message")
    if not ok and not error:
        raise bad("ERROR_MESSAGE_EMPTY: error_message is required when ok is false")
    q.answer.set_result({"ok": ok, "error_message": error})
    return True


async def refund_star_payment(sb: Sandbox, bot: BotState, p: Params) -> Any:
    user_id = p.integer("user_id", required=True)
    charge_id = p.string("telegram_payment_charge_id") or ""
    charge = sb.charges.get(charge_id)
    if charge is None or charge["bot_token"] != bot.token:
        raise bad("CHARGE_ID_INVALID")
    if charge["currency"] != "XTR":
        raise bad("CHARGE_ID_INVALID: only Telegram Stars payments can be refunded")
    if charge["user_id"] != user_id:
        raise bad("USER_ID_INVALID")
    if charge["refunded"]:
        raise bad("CHARGE_ALREADY_REFUNDED")
    charge["refunded"] = True
    sb.refunds.append(
        {
            "user_id": user_id,
            "telegram_payment_charge_id": charge_id,
            "total_amount": charge["total_amount"],
            "currency": "XTR",
            "time": time.time(),
        }
    )
    return True


def _order_info(
    user: SandboxUser,
    inv: dict[str, Any],
    given: dict[str, Any] | None,
    address: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """What the payment form collected: the user's data for each need_* flag, then ``given``."""
    info: dict[str, Any] = {}
    if inv.get("need_name"):
        info["name"] = " ".join(filter(None, (user.first_name, user.last_name)))
    if inv.get("need_phone_number"):
        info["phone_number"] = "15551234567"
    if inv.get("need_email"):
        info["email"] = f"user{user.user_id}@example.com"
    if inv.get("need_shipping_address") or inv.get("is_flexible"):
        info["shipping_address"] = dict(address or DEFAULT_ADDRESS)
    info.update(given or {})
    return info or None


def _find_invoice(user: SandboxUser, message_id: int | None) -> SandboxMessage:
    chat = user.chat
    if message_id is not None:
        msg = chat.messages.get(message_id)
        if msg is None or msg.invoice_params is None or msg.deleted:
            raise SandboxError(f"message {message_id} is not an invoice")
        return msg
    for msg in reversed(list(chat.messages.values())):
        if msg.from_bot and not msg.deleted and msg.invoice_params is not None:
            return msg
    raise SandboxError("no invoice in the chat\n" + user.transcript())


async def _ask(
    user: SandboxUser, kind: str, payload: dict[str, Any], wait_s: float
) -> tuple[Any, dict[str, Any] | None]:
    """Send a query update and wait for its answer (None when the deadline passes)."""
    q = user.bot.query(kind, user.user_id)
    payload = {"id": q.query_id, "from": user.user_dict, **payload}
    user.bot.enqueue(
        f"{kind}_query" if kind == "shipping" else "pre_checkout_query", payload, user.user_id
    )
    try:
        return q, await asyncio.wait_for(asyncio.shield(q.answer), wait_s)
    except TimeoutError:
        q.expired = True
        return q, None


async def pay_invoice(
    user: SandboxUser,
    message_id: int | None = None,
    shipping_option_id: str | None = None,
    shipping_address: dict[str, Any] | None = None,
    order_info: dict[str, Any] | None = None,
    deliver_times: int = 1,
) -> PaymentResult:
    """Walk Telegram's payment protocol as the user paying the newest (or given) invoice.
    Like a person, wait (up to the reply timeout) for an invoice the bot is still sending
    after its "order placed" message."""
    deadline = time.monotonic() + user.sb.reply_timeout
    while True:
        try:
            inv = _find_invoice(user, message_id).invoice_params
            break
        except SandboxError:
            if message_id is not None or time.monotonic() >= deadline:
                raise
            await asyncio.sleep(0.02)
    assert inv is not None
    return await run_payment(
        user, inv, shipping_option_id, shipping_address, order_info, deliver_times
    )


async def run_payment(
    user: SandboxUser,
    inv: dict[str, Any],
    shipping_option_id: str | None = None,
    shipping_address: dict[str, Any] | None = None,
    order_info: dict[str, Any] | None = None,
    deliver_times: int = 1,
) -> PaymentResult:
    """The payment form for invoice ``inv`` (a chat invoice's or an invoice link's): shipping
    query when flexible, pre-checkout query within the deadline, then successful_payment."""
    sb, bot = user.sb, user.bot
    seq0 = sb._seq
    total = int(inv["total_amount"])
    currency = str(inv["currency"])
    extra: dict[str, Any] = {}
    if inv["is_flexible"]:
        _, ans = await _ask(
            user,
            "shipping",
            {
                "invoice_payload": inv["payload"],
                "shipping_address": shipping_address or DEFAULT_ADDRESS,
            },
            sb.reply_timeout,
        )
        if ans is None:
            return PaymentResult(
                ok=False,
                error="shipping query was not answered",
                messages=user.changed_since(seq0),
            )
        if not ans["ok"]:
            return PaymentResult(
                ok=False, error=ans["error_message"], messages=user.changed_since(seq0)
            )
        options = ans["shipping_options"]
        chosen = next((o for o in options if o["id"] == shipping_option_id), None)
        if chosen is None and shipping_option_id is not None:
            raise SandboxError(f"bot offered no shipping option {shipping_option_id!r}")
        chosen = chosen or options[0]
        total += sum(int(x["amount"]) for x in chosen["prices"])
        extra["shipping_option_id"] = chosen["id"]
    order_info = _order_info(user, inv, order_info, shipping_address)
    if order_info:
        extra["order_info"] = order_info
    _, ans = await _ask(
        user,
        "precheckout",
        {"currency": currency, "total_amount": total, "invoice_payload": inv["payload"], **extra},
        sb.precheckout_timeout,
    )
    if ans is None or not ans["ok"]:
        error = (
            "pre-checkout query was not answered in time"
            if ans is None
            else (ans["error_message"])
        )
        return PaymentResult(ok=False, error=error, messages=user.changed_since(seq0))
    charge_id = new_id("stx", 30) if currency == "XTR" else f"tg_charge_{secrets.token_hex(12)}"
    sb.charges[charge_id] = {
        "user_id": user.user_id,
        "currency": currency,
        "total_amount": total,
        "refunded": False,
        "bot_token": bot.token,
        "invoice_payload": inv["payload"],
    }
    payment = {
        "currency": currency,
        "total_amount": total,
        "invoice_payload": inv["payload"],
        "telegram_payment_charge_id": charge_id,
        "provider_payment_charge_id": "" if currency == "XTR" else f"prov_{secrets.token_hex(8)}",
        **extra,
    }
    if inv.get("subscription_period"):
        payment["is_recurring"] = payment["is_first_recurring"] = True
        payment["subscription_expiration_date"] = int(time.time()) + inv["subscription_period"]
        _start_subscription(user, inv, charge_id, payment["subscription_expiration_date"])
    msg = add_message(sb, bot, user.chat, False, user.user_dict, successful_payment=payment)
    replies0 = user.replies
    recs = [bot.enqueue("message", msg.raw, user.user_id) for _ in range(max(1, deliver_times))]
    try:
        await user.wait_reaction(recs, replies0, expect_reply=True)
    except SandboxError:
        pass  # a silent bot after payment is the test's business: messages will be empty
    return PaymentResult(
        ok=True,
        telegram_payment_charge_id=charge_id,
        total_amount=total,
        currency=currency,
        messages=user.changed_since(seq0),
    )


# ---------------------------------------------------------------- Stars subscriptions
# A subscription lives under the charge id of its first payment; every charge of it (first
# and renewals) points back to it in ``sb.charges[...]["subscription"]``.


def _start_subscription(
    user: SandboxUser, inv: dict[str, Any], charge_id: str, expires: int
) -> None:
    user.sb.subscriptions[charge_id] = {
        "user_id": user.user_id,
        "bot_token": user.bot.token,
        "invoice": inv,
        "period": int(inv["subscription_period"]),
        "total_amount": int(inv["total_amount"]),
        "expires": expires,
        "canceled": False,
        "ended": False,
        "charges": [charge_id],
    }
    user.sb.charges[charge_id]["subscription"] = charge_id


def _subscription_of(sb: Sandbox, bot: BotState, charge_id: str) -> dict[str, Any]:
    charge = sb.charges.get(charge_id)
    if charge is None or charge["bot_token"] != bot.token:
        raise bad("CHARGE_ID_INVALID")
    sub_id = charge.get("subscription")
    if sub_id is None:
        raise bad("SUBSCRIPTION_ID_INVALID: the payment is not a subscription payment")
    sub: dict[str, Any] = sb.subscriptions[sub_id]
    return sub


async def edit_user_star_subscription(sb: Sandbox, bot: BotState, p: Params) -> Any:
    """editUserStarSubscription: cancel (or re-enable) the renewals of a subscription."""
    user_id = p.integer("user_id", required=True)
    charge_id = p.string("telegram_payment_charge_id") or ""
    if p.raw("is_canceled") is None:
        raise bad("is_canceled is required")
    sub = _subscription_of(sb, bot, charge_id)
    if sub["user_id"] != user_id:
        raise bad("USER_ID_INVALID")
    if sub["ended"]:
        raise bad("SUBSCRIPTION_EXPIRED")
    sub["canceled"] = p.flag("is_canceled")
    return True


async def advance_subscription(
    user: SandboxUser, charge_id: str | None = None, force: bool = False, deliver_times: int = 1
) -> PaymentResult | None:
    """Test hook: one period passes for the user's newest (or the named) subscription.

    Telegram charges the next period and sends a recurring successful_payment, unless the
    subscription was cancelled: then it simply ends (None). ``force`` charges even so, as
    when the renewal was taken just before the cancellation reached Telegram."""
    sb, bot = user.sb, user.bot
    mine = [
        (sid, s)
        for sid, s in sb.subscriptions.items()
        if s["user_id"] == user.user_id and s["bot_token"] == bot.token and not s["ended"]
    ]
    if charge_id is not None:
        mine = [(sid, s) for sid, s in mine if charge_id in s["charges"]]
    if not mine:
        raise SandboxError(f"user {user.user_id} has no running subscription")
    sub_id, sub = mine[-1]
    if sub["canceled"] and not force:
        sub["ended"] = True
        user.story.append(f"{user.first_name} ▸ subscription ends (cancelled)\n")
        return None
    sub["expires"] += sub["period"]
    seq0 = sb._seq
    new_charge = new_id("stx", 30)
    inv = sub["invoice"]
    sb.charges[new_charge] = {
        "user_id": user.user_id,
        "currency": "XTR",
        "total_amount": sub["total_amount"],
        "refunded": False,
        "bot_token": bot.token,
        "invoice_payload": inv["payload"],
        "subscription": sub_id,
    }
    sub["charges"].append(new_charge)
    payment = {
        "currency": "XTR",
        "total_amount": sub["total_amount"],
        "invoice_payload": inv["payload"],
        "telegram_payment_charge_id": new_charge,
        "provider_payment_charge_id": "",
        "is_recurring": True,
        "subscription_expiration_date": sub["expires"],
    }
    msg = add_message(sb, bot, user.chat, False, user.user_dict, successful_payment=payment)
    replies0 = user.replies
    recs = [bot.enqueue("message", msg.raw, user.user_id) for _ in range(max(1, deliver_times))]
    try:
        await user.wait_reaction(recs, replies0, expect_reply=True)
    except SandboxError:
        pass  # a silent bot is the test's business
    user.story.append(f"{user.first_name} ▸ subscription renewed ({new_charge})\n")
    return PaymentResult(
        ok=True,
        telegram_payment_charge_id=new_charge,
        total_amount=sub["total_amount"],
        currency="XTR",
        messages=user.changed_since(seq0),
    )
