"""Back-in-stock and price-drop alerts: "Notify me" on a sold-out card, /alerts (the shopper's
list with unsubscribe and the price-drop switch), and the texts the alert sweeps send."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.alerts.back_in_stock import BackInStockAlerts, BackInStockNotice, StockSubscription
from domain.alerts.price_drops import FavouritePrice, PriceDropAlerts
from domain.kernel.money import money
from domain.users.service import User
from handlers.catalog.callbacks import CardCb
from handlers.common import DbId, MenuCb, esc, fit, show
from handlers.keyboard import InlineKeyboard

router = Router(name=__name__)

TITLE_CHARS = 40  # a list button: title, option and the ✖ must stay readable


class AlertCb(CallbackData, prefix="al"):
    """n = notify me about product p / variant v, x = stop waiting for subscription s,
    l = the list, d = price-drop alerts on (s=1) or off (s=0), q = off from under an alert."""

    a: str
    p: DbId = 0
    v: DbId = 0
    s: DbId = 0


def notify_button(product_id: int, variant_id: int) -> InlineKeyboardButton:
    """The "Notify me" button of a sold-out product card (handlers/catalog/keyboards.py)."""
    return InlineKeyboardButton(
        text=_("🔔 Notify me when it's back"),
        callback_data=AlertCb(a="n", p=product_id, v=variant_id).pack(),
    )


def alerts_button() -> InlineKeyboardButton:
    """Entry to the shopper's alerts from the profile and /settings."""
    return InlineKeyboardButton(text=_("🔔 My alerts"), callback_data=AlertCb(a="l").pack())


def _title(title: str, label: str, limit: int) -> str:
    text = fit(title, limit)
    return f"{text} ({label})" if label else text


# ---- the shopper's list -------------------------------------------------------------------


def alerts_text(subscriptions: list[StockSubscription], price_drop: bool, locale: str) -> str:
    lines = [_("🔔 <b>Your alerts</b>"), ""]
    if subscriptions:
        lines.append(_("Waiting for these to come back in stock:"))
        for sub in subscriptions:
            lines.append("• " + esc(_title(sub.title.get(locale), sub.variant_label, 80)))
        lines.append(_("Tap ✖ to stop waiting for one."))
    else:
        lines.append(
            _("You're not waiting for anything. Tap “🔔 Notify me” on a sold-out product.")
        )
    lines.append("")
    state = _("on") if price_drop else _("off")
    lines.append(_("Price-drop alerts for your favourites: {state}").format(state=state))
    return "\n".join(lines)


def alerts_keyboard(
    subscriptions: list[StockSubscription], price_drop: bool, locale: str
) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    for sub in subscriptions:
        name = _title(sub.title.get(locale), sub.variant_label, TITLE_CHARS)
        kb.row(
            InlineKeyboardButton(
                text=name, callback_data=CardCb(a="o", p=sub.product_id, v=sub.variant_id).pack()
            ),
            InlineKeyboardButton(text="✖", callback_data=AlertCb(a="x", s=sub.id).pack()),
        )
    toggle = _("📉 Stop price-drop alerts") if price_drop else _("📉 Get price-drop alerts")
    kb.row(
        InlineKeyboardButton(
            text=toggle, callback_data=AlertCb(a="d", s=0 if price_drop else 1).pack()
        )
    )
    kb.row(InlineKeyboardButton(text=_("👤 Profile"), callback_data=MenuCb(to="profile").pack()))
    return kb.as_markup()


async def render_alerts(
    target: Message | CallbackQuery,
    user: User,
    locale: str,
    stock_alerts: BackInStockAlerts,
    price_alerts: PriceDropAlerts,
    notice: str | None = None,
) -> None:
    subscriptions = await stock_alerts.mine(user.id)
    price_drop = await price_alerts.enabled(user.id)
    await show(
        target,
        alerts_text(subscriptions, price_drop, locale),
        alerts_keyboard(subscriptions, price_drop, locale),
        notice,
    )


@router.message(Command("alerts"))
@router.callback_query(AlertCb.filter(F.a == "l"))
async def alerts_screen(
    event: Message | CallbackQuery,
    user: User,
    locale: str,
    stock_alerts: BackInStockAlerts,
    price_alerts: PriceDropAlerts,
) -> None:
    await render_alerts(event, user, locale, stock_alerts, price_alerts)


@router.callback_query(AlertCb.filter(F.a == "n"))
async def notify_me(
    query: CallbackQuery, callback_data: AlertCb, user: User, stock_alerts: BackInStockAlerts
) -> None:
    """Subscribe from a card; the card stays as it is, a toast confirms (errors: an alert)."""
    await stock_alerts.subscribe(user.id, callback_data.p, callback_data.v)
    await query.answer(
        _("Done! We'll message you once it's back in stock. See /alerts."), show_alert=True
    )


@router.callback_query(AlertCb.filter(F.a == "x"))
async def stop_waiting(
    query: CallbackQuery,
    callback_data: AlertCb,
    user: User,
    locale: str,
    stock_alerts: BackInStockAlerts,
    price_alerts: PriceDropAlerts,
) -> None:
    await stock_alerts.unsubscribe(user.id, callback_data.s)
    notice = _("You won't be notified about it.")
    await render_alerts(query, user, locale, stock_alerts, price_alerts, notice)


@router.callback_query(AlertCb.filter(F.a == "d"))
async def toggle_price_drop(
    query: CallbackQuery,
    callback_data: AlertCb,
    user: User,
    locale: str,
    stock_alerts: BackInStockAlerts,
    price_alerts: PriceDropAlerts,
) -> None:
    on = await price_alerts.set_enabled(user.id, callback_data.s == 1)
    notice = _("Price-drop alerts on.") if on else _("Price-drop alerts off.")
    await render_alerts(query, user, locale, stock_alerts, price_alerts, notice)


@router.callback_query(AlertCb.filter(F.a == "q"))
async def stop_price_drops_from_alert(
    query: CallbackQuery, user: User, price_alerts: PriceDropAlerts
) -> None:
    """The one-tap opt-out under a price-drop alert; the alert itself stays as it was."""
    await price_alerts.set_enabled(user.id, False)
    await query.answer(
        _("Price-drop alerts off. You can turn them back on in /alerts."), show_alert=True
    )


# ---- what the sweeps send (bot/alerts_jobs.py renders these in the shopper's locale) --------


def _open_product(product_id: int, variant_id: int = 0) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(
        text=_("🛍 Open the product"), callback_data=CardCb(a="o", p=product_id, v=variant_id)
    )
    return kb.as_markup()


def back_in_stock_text(notice: BackInStockNotice) -> str:
    title = esc(_title(notice.title.get(notice.locale), notice.variant_label, 200))
    return _("🔔 <b>{title}</b> is back in stock! Order it before it sells out again.").format(
        title=title
    )


def back_in_stock_keyboard(notice: BackInStockNotice) -> InlineKeyboardMarkup:
    return _open_product(notice.product_id, notice.variant_id)


def price_drop_text(row: FavouritePrice) -> str:
    assert row.reference is not None  # only drops are announced
    old = money(row.reference.price, row.currency, row.locale)
    new = money(row.price, row.currency, row.locale)
    if row.has_variants:
        new = _("from {price}").format(price=new)
    text = _("📉 Your favourite <b>{title}</b> is cheaper now: <s>{old}</s> → <b>{new}</b>")
    return text.format(title=esc(fit(row.title.get(row.locale), 200)), old=esc(old), new=esc(new))


def price_drop_keyboard(row: FavouritePrice) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("🛍 Open the product"), callback_data=CardCb(a="o", p=row.product_id))
    kb.button(text=_("📉 Stop price-drop alerts"), callback_data=AlertCb(a="q"))
    kb.adjust(1)
    return kb.as_markup()
