"""Console pages: the orders board (counts per status, filters, search, paging) and one order
(lines, money, buyer, shipping, payment, timeline, staff notes) with the moves its state
allows. Every move is `OrderBoard.act`, the same call the chat's board makes: the one
transition table, the order's event log, the audit log (source "console", set by the
console's middleware). An offline order (cash on delivery, bank transfer) waiting for its
money is marked paid with `mark_paid`, as the chat's /paid. The buyer is told in the chat by
the chat's own notifier (`services.order_notifier`), and Stars go back through
`refundStarPayment` exactly as after `/refunded`.

Pages: GET /orders, GET /orders/{id}. API: GET /api/orders, GET /api/orders/{id},
POST /api/orders/{id}/actions/{action}, POST /api/orders/{id}/paid,
POST /api/orders/{id}/notes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import orjson
from aiogram.exceptions import TelegramAPIError
from aiohttp import web

from domain.catalog.merchant_input import parse_price
from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_
from domain.kernel.money import money
from domain.orders.board import (
    BoardEntry,
    BoardQuery,
    OrderDetails,
    OrderNote,
    day_range,
    search_text,
    shipment,
)
from domain.orders.labels import FULFILMENT_NAMES, PAYMENT_NAMES, STATUS_NAMES
from domain.orders.offline import can_mark_paid, mark_paid
from domain.orders.service import Order, OrderChange, OrderEvent, OrderNotFound
from domain.orders.states import Action, OrderStatus
from domain.orders.types import PayMethod
from web.console.access import staff
from web.console.keys import BOT, I18N, SERVICES
from web.console.render import gettext, json_ok, locale_of, render

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

MAX_JSON = 16 * 1024
MAX_ID = 2**31 - 1
BAD_REQUEST = N_("That request isn't valid.")
STARS_KEPT = N_("Telegram did not refund the Stars of order #{id}; try again in a moment.")


@dataclass(frozen=True, slots=True)
class ActionForm:
    """How the order page offers one move: its button, what it asks for, what it says after.
    Another way to move an order (e.g. offline payments' "mark paid") adds its entry here and
    a route of its own; the page draws every entry its order allows."""

    label: str  # msgid of the button
    done: str  # msgid shown after it worked ({id} is the order)
    fields: tuple[str, ...] = ()  # "carrier", "tracking", "reason", "amount"
    danger: bool = False
    path: str = ""  # its own route under /api/orders/{id}/ ("" = actions/<name>)


MARK_PAID = "mark_paid"  # cash on delivery, bank transfer: domain/orders/offline.py
ACTION_FORMS: dict[str, ActionForm] = {
    MARK_PAID: ActionForm(
        N_("💵 Mark paid"),
        N_("Order #{id} is marked paid; the buyer has been sent the receipt."),
        path="paid",
    ),
    Action.PROCESS.value: ActionForm(
        N_("🛠 Start preparing"), N_("Order #{id} is being prepared; the buyer has been told.")
    ),
    Action.SHIP.value: ActionForm(
        N_("🚚 Ship"),
        N_("🚚 Order #{id} shipped; the buyer has been told."),
        ("carrier", "tracking"),
    ),
    Action.DELIVER.value: ActionForm(
        N_("📬 Mark delivered"), N_("Order #{id} is delivered; the buyer has been told.")
    ),
    Action.CANCEL.value: ActionForm(
        N_("✖️ Cancel order"),
        N_("Order #{id} is cancelled; the buyer has been told."),
        ("reason",),
        danger=True,
    ),
    Action.REFUND.value: ActionForm(
        N_("💸 Confirm refund"),
        N_("The refund of order #{id} is recorded; the buyer has been told."),
        ("amount",),
        danger=True,
    ),
    Action.RETURN.value: ActionForm(
        N_("📦 Goods are back"),
        N_("The goods of order #{id} are back in stock; the buyer has been told."),
    ),
}

ACTOR_NAMES = {
    "buyer": N_("buyer"),
    "system": N_("system"),
    "telegram": N_("Telegram"),
}
METHOD_NAMES = {
    PayMethod.CARD.value: N_("Card"),
    PayMethod.STARS.value: N_("Telegram Stars"),
    PayMethod.COD.value: N_("Cash on delivery"),
    PayMethod.BANK.value: N_("Bank transfer"),
}


# ---- reading the request ----


def order_id_of(request: web.Request) -> int:
    """The order number in the path; a forged one is a missing order."""
    raw = request.match_info.get("id", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not 0 < int(raw) <= MAX_ID:
        raise OrderNotFound()
    return int(raw)


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object (at most MAX_JSON bytes); anything else is refused."""
    if request.content_length is not None and request.content_length > MAX_JSON:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_JSON, actual_size=request.content_length)
    raw = await request.content.read(MAX_JSON + 1)
    if len(raw) > MAX_JSON:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_JSON, actual_size=len(raw))
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise ValidationError(BAD_REQUEST) from None
    if not isinstance(body, dict):
        raise ValidationError(BAD_REQUEST)
    return body


def text_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ValidationError(BAD_REQUEST)
    return value


def page_number(request: web.Request) -> int:
    raw = request.query.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 1


def _day(raw: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(N_("Dates look like 2025-06-30.")) from None


def board_query(request: web.Request) -> BoardQuery:
    """The board's filters from the query string: status, from, to, method, q."""
    q = request.query
    status = None
    if q.get("status"):
        try:
            status = OrderStatus(q["status"])
        except ValueError:
            raise ValidationError(BAD_REQUEST) from None
    method = q.get("method") or None
    if method is not None and method not in {m.value for m in PayMethod}:
        raise ValidationError(BAD_REQUEST)
    zone = ZoneInfo(request.config_dict[SERVICES].shop.timezone)
    since, until = day_range(_day(q.get("from", "")), _day(q.get("to", "")), zone)
    return BoardQuery(status, since, until, method, search_text(q.get("q", "")))


# ---- views (the same dicts feed the JSON API and the templates) ----


class View:
    """Formats for one request: its language and the shop's time zone."""

    def __init__(self, request: web.Request) -> None:
        self.request = request
        self.locale = locale_of(request)
        self.zone = ZoneInfo(request.config_dict[SERVICES].shop.timezone)
        self.staff_names: dict[int, str] = {}  # see `with_staff_names`

    async def with_staff_names(self) -> View:
        """Name staff in timelines ("Olga" rather than "staff 7001") where the bot knows them."""
        members = await self.request.config_dict[SERVICES].staff.staff()
        self.staff_names = {m.telegram_id: m.name for m in members if m.name}
        return self

    def _(self, message: str, **params: Any) -> str:
        return gettext(self.request, message, **params)

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def money(self, amount: int, currency: str) -> str:
        return money(amount, currency, self.locale)

    def status(self, status: OrderStatus) -> str:
        return self._(STATUS_NAMES[status])

    def method(self, method: str) -> str:
        name = METHOD_NAMES.get(method)
        return self._(name) if name else method

    def row(self, entry: BoardEntry) -> dict[str, Any]:
        order = entry.order
        return {
            "id": order.id,
            "status": order.status.value,
            "status_label": self.status(order.status),
            "placed": self.when(order.created_at),
            "buyer": entry.buyer_name,
            "username": entry.buyer_username,
            "telegram_id": entry.buyer_telegram_id,
            "total": self.money(order.pay_amount, order.pay_currency),
            "amount": order.pay_amount,
            "currency": order.pay_currency,
            "method": order.pay_method.value,
            "method_label": self.method(order.pay_method.value),
            "tracking": order.tracking_number,
            "items": sum(line.quantity for line in order.lines),
        }

    def event(self, event: OrderEvent) -> dict[str, Any]:
        if event.action is Action.PLACE:
            label = self._(N_("🧾 Order placed"))
        elif event.action is Action.EXTRA_PAYMENT:
            label = self._(N_("💳 Paid twice: refund due"))
        else:
            label = self.status(event.target)
        actor = event.actor
        if actor.startswith("merchant:"):
            staff_id = actor.removeprefix("merchant:")
            name = self.staff_names.get(int(staff_id)) if staff_id.isdigit() else None
            who = name or self._(N_("staff {id}"), id=staff_id)
        else:
            who = self._(ACTOR_NAMES[actor]) if actor in ACTOR_NAMES else actor
        note = event.note
        if note and event.action not in (Action.SHIP, Action.CANCEL, Action.REQUEST_REFUND):
            note = self._(note)  # the system's own notes are msgids
        return {
            "action": event.action.value,
            "label": label,
            "at": self.when(event.at),
            "actor": who,
            "note": note,
        }

    def note(self, note: OrderNote) -> dict[str, Any]:
        return {
            "id": note.id,
            "author": note.author_name or str(note.author),
            "author_id": note.author,
            "at": self.when(note.created_at),
            "text": note.text,
        }

    def lines(self, order: Order) -> list[dict[str, Any]]:
        return [
            {
                "title": line.title.get(self.locale),
                "variant": line.variant_label,
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": self.money(line.unit_price, order.currency),
                "amount": self.money(line.amount, order.currency),
            }
            for line in order.lines
        ]

    def details(self, d: OrderDetails) -> dict[str, Any]:
        order, buyer = d.order, d.buyer
        stars = order.pay_method is PayMethod.STARS
        return {
            "id": order.id,
            "status": order.status.value,
            "status_label": self.status(order.status),
            "payment_status": order.payment_status.value,
            "payment_label": self._(PAYMENT_NAMES[order.payment_status.value]),
            "fulfilment_status": order.fulfilment_status.value,
            "fulfilment_label": self._(FULFILMENT_NAMES[order.fulfilment_status.value]),
            "placed": self.when(order.created_at),
            "paid": self.when(order.paid_at),
            "delivered": self.when(order.delivered_at),
            "reserved_until": self.when(order.expires_at)
            if order.status is OrderStatus.PENDING_PAYMENT
            else "",
            "lines": self.lines(order),
            "subtotal": self.money(order.subtotal, order.currency),
            "discount": self.money(order.discount, order.currency) if order.discount else "",
            "coupon": order.coupon_code,
            "shipping": self.money(order.shipping, order.currency),
            "shipping_option": order.shipping_title.get(self.locale)
            if order.shipping_title
            else "",
            "goods_total": self.money(order.total, order.currency),
            "total": self.money(order.pay_amount, order.pay_currency),
            "amount": order.pay_amount,
            "currency": order.pay_currency,
            "method": order.pay_method.value,
            "method_label": self.method(order.pay_method.value),
            "charge": d.payment.charge_id if d.payment else "",
            "refundable": self.money(d.refundable, order.pay_currency),
            "refundable_amount": d.refundable,
            "stars": stars,
            "address": order.address,
            "tracking": order.tracking_number or "",
            "refund_reason": order.refund_reason or "",
            "buyer": {
                "name": buyer.name,
                "username": buyer.username,
                "telegram_id": buyer.telegram_id,
                "phone": buyer.phone or "",
                "language": buyer.locale,
            },
            "actions": ([MARK_PAID] if can_mark_paid(order) else [])
            + [a.value for a in d.actions if a.value in ACTION_FORMS],
            "timeline": [self.event(e) for e in d.events],
            "notes": [self.note(n) for n in d.notes],
        }


def _counts(view: View, counts: list[tuple[OrderStatus, int]]) -> list[dict[str, Any]]:
    return [{"status": s.value, "label": view.status(s), "count": n} for s, n in counts]


async def _board(request: web.Request) -> dict[str, Any]:
    board = request.config_dict[SERVICES].board
    query = board_query(request)
    view = View(request)
    found = await board.search(query, page_number(request))
    return {
        "counts": _counts(view, await board.search_counts(query)),
        "orders": [view.row(e) for e in found.items],
        "page": found.page,
        "pages": found.pages,
        "total": found.total,
        "query": query,
    }


async def _details(request: web.Request, order_id: int) -> OrderDetails:
    return await request.config_dict[SERVICES].board.details(order_id, datetime.now(UTC))


# ---- pages ----


@routes.get("/orders")
async def board_page(request: web.Request) -> web.Response:
    data = await _board(request)
    q = request.query
    filters = {k: q.get(k, "") for k in ("status", "from", "to", "method", "q")}
    return render(
        request,
        "console/orders/board.html",
        **data,
        filters=filters,
        statuses=[(s.value, STATUS_NAMES[s]) for s in OrderStatus],
        methods=list(METHOD_NAMES.items()),
        link=lambda **changes: _link(filters, changes),
        clear_link=_link({"status": filters["status"]}, {}),
    )


def _link(filters: dict[str, str], changes: dict[str, Any]) -> str:
    """The board's URL with `changes` applied to the current filters."""
    merged = {**filters, **{k: str(v) for k, v in changes.items()}}
    query = urlencode({k: v for k, v in merged.items() if v and not (k == "page" and v == "1")})
    return "/console/orders" + (f"?{query}" if query else "")


@routes.get(r"/orders/{id:\d+}")
async def order_page(request: web.Request) -> web.Response:
    order_id = order_id_of(request)
    view = await View(request).with_staff_names()
    order = view.details(await _details(request, order_id))
    done = ACTION_FORMS.get(request.query.get("done", ""))
    flash = ""
    if done is not None:
        flash = view._(done.done, id=order_id)
    elif request.query.get("done") == "note":
        flash = view._(N_("Note saved."))
    return render(
        request,
        "console/orders/order.html",
        order=order,
        forms=[(a, ACTION_FORMS[a]) for a in order["actions"]],
        flash=flash,
    )


# ---- API ----


@routes.get("/api/orders")
async def board_api(request: web.Request) -> web.Response:
    data = await _board(request)
    del data["query"]
    return json_ok(data)


@routes.get(r"/api/orders/{id:\d+}")
async def order_api(request: web.Request) -> web.Response:
    view = await View(request).with_staff_names()
    return json_ok(view.details(await _details(request, order_id_of(request))))


@routes.post(r"/api/orders/{id:\d+}/actions/{action}")
async def order_action(request: web.Request) -> web.Response:
    """One move from ACTION_FORMS, with what it asks for: ship {carrier, tracking}, cancel
    {reason}, refund {amount?} (the rest when left out; Stars always in full)."""
    order_id = order_id_of(request)
    name = request.match_info["action"]
    if name not in ACTION_FORMS or ACTION_FORMS[name].path:  # those have routes of their own
        raise ValidationError(BAD_REQUEST)
    action = Action(name)
    body = await json_body(request)
    services = request.config_dict[SERVICES]
    board, now = services.board, datetime.now(UTC)
    details = await board.details(order_id, now)  # OrderNotFound for a forged number
    tracking = reason = None
    amount: int | None = None
    if action is Action.SHIP:
        tracking = shipment(text_field(body, "carrier"), text_field(body, "tracking"))
    elif action is Action.CANCEL:
        reason = text_field(body, "reason")
    elif action is Action.REFUND and text_field(body, "amount").strip():
        amount = parse_price(text_field(body, "amount"), details.order.pay_currency)
    change = await board.act(
        staff(request).telegram_id,
        details.order.id,
        action,
        now,
        tracking=tracking,
        reason=reason,
        amount=amount,
    )
    return await answer_change(request, name, change, now)


@routes.post(r"/api/orders/{id:\d+}/paid")
async def mark_order_paid(request: web.Request) -> web.Response:
    """An offline order's money arrived (cash on delivery, bank transfer): `mark_paid`, the
    same call as the chat's /paid, so the same `pay` transition, audit line and receipt to
    the buyer. Refused for an order paid through Telegram, and once it is no longer waiting
    (a second press changes nothing)."""
    order_id = order_id_of(request)
    services, now = request.config_dict[SERVICES], datetime.now(UTC)
    change = await mark_paid(
        services.orders, services.audit, staff(request).telegram_id, order_id, now
    )
    return await answer_change(request, MARK_PAID, change, now)


async def answer_change(
    request: web.Request, name: str, change: OrderChange, now: datetime
) -> web.Response:
    """The buyer told, then the order as it is now and what happened, in the staff member's
    language."""
    order_id = change.order.id
    change, told = await tell_buyer(request, change, now)
    view = View(request)
    message = view._(ACTION_FORMS[name].done, id=order_id)
    if not told:
        message = view._(
            N_("Order #{id} is now: {status}. Telegram could not be reached to tell the buyer."),
            id=order_id,
            status=view.status(change.order.status),
        )
    if change.stars_refund is not None and change.order.status is OrderStatus.REFUND_REQUESTED:
        message = view._(STARS_KEPT, id=order_id)
    await view.with_staff_names()
    order = view.details(await _details(request, order_id))
    return json_ok(order=order, message=message)


async def tell_buyer(
    request: web.Request, change: OrderChange, now: datetime
) -> tuple[OrderChange, bool]:
    """Stars back through Telegram when the change asks for it, then the buyer told in the
    chat, in their language: the chat's own notifier (`services.order_notifier`), so both
    doors say the same. The change is recorded already, so Telegram being out of reach is
    reported, not raised; the change returned still carries `stars_refund` when Telegram did
    not give the Stars back."""
    app = request.config_dict
    try:
        settled = await app[SERVICES].order_notifier.settle_and_tell(
            app[BOT], app[I18N], change, now
        )
    except TelegramAPIError:
        log.exception("could not reach Telegram about order %s", change.order.id)
        return change, False
    return settled, True


@routes.post(r"/api/orders/{id:\d+}/notes")
async def add_note(request: web.Request) -> web.Response:
    body = await json_body(request)
    board = request.config_dict[SERVICES].board
    note = await board.add_note(
        staff(request).telegram_id,
        order_id_of(request),
        text_field(body, "text"),
        datetime.now(UTC),
    )
    return json_ok(note=View(request).note(note), status=201)
