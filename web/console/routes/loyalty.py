"""Console pages: loyalty, for owners (as /admin → Loyalty in the chat). The referral report,
a shopper found by Telegram id or @username with their balance, tier and ledger, and manual
adjustments with a reason: `LoyaltyService.adjust_points`, one ledger row naming the owner
and a line in the audit log (source "console"). Taking more than the balance is refused.

Page: GET /loyalty?who=<telegram id or @username>. API: GET /api/loyalty/shoppers/{telegram_id},
POST /api/loyalty/adjust {telegram_id, points, reason}.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from domain.kernel.errors import NotFound, ValidationError
from domain.kernel.i18n import N_
from domain.loyalty.service import EntryKind, LedgerEntry
from domain.staff.service import StaffTarget
from web.console.access import requires, staff
from web.console.keys import I18N, SERVICES
from web.console.render import gettext, json_ok, locale_of, render
from web.console.routes.orders import View, json_body, page_number, text_field
from web.render import error_text

routes = web.RouteTableDef()

_POINTS_RE = re.compile(r"^[+-]?\d{1,9}$")
_USERNAME_RE = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{3,31})$")
NO_SHOPPER = N_("No shopper with that Telegram id has used the shop.")
# The same words the shopper's own /points history uses.
KIND_NAMES = {
    EntryKind.EARN: N_("earned"),
    EntryKind.REDEEM: N_("used at checkout"),
    EntryKind.EXPIRE: N_("expired"),
    EntryKind.REVERSAL: N_("order cancelled or refunded"),
    EntryKind.ADJUST: N_("adjusted by the shop"),
    EntryKind.REFERRAL: N_("referral reward"),
}


def telegram_id(raw: str) -> int:
    """A Telegram id as typed or in a path; anything else names nobody."""
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 15 or int(raw) == 0:
        raise NotFound(NO_SHOPPER)
    return int(raw)


async def find_shopper(request: web.Request, who: str) -> int:
    """A shopper's Telegram id from what the owner typed: a Telegram id or a @username."""
    who = who.strip()
    if who.isascii() and who.isdigit():
        return telegram_id(who)
    match = _USERNAME_RE.fullmatch(who)
    if match is None:
        raise ValidationError(N_("Type the shopper's Telegram id or @username."))
    person = await request.config_dict[SERVICES].staff.resolve(StaffTarget(username=match[1]))
    return person.telegram_id


def points_of(body: dict[str, Any]) -> int:
    raw = text_field(body, "points").strip()
    if not _POINTS_RE.fullmatch(raw):
        raise ValidationError(N_("Points are a whole number, like +200 or -50."))
    return int(raw)


def _entry(view: View, entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind.value,
        "label": view._(KIND_NAMES[entry.kind]),
        "points": entry.points,
        "at": view.when(entry.at),
        "order_id": entry.order_id,
        "reason": entry.reason,
        "actor": entry.actor,
        "expires": view.when(entry.expires_at),
    }


async def shopper_view(request: web.Request, tg_id: int) -> dict[str, Any]:
    """One shopper's account: who, balance, tier, next expiry and a page of the ledger."""
    services = request.config_dict[SERVICES]
    user_id = await services.loyalty.shopper_id(tg_id)
    user = await services.users.get(user_id)
    now = datetime.now(UTC)
    status = await services.loyalty.status(user_id, now)
    history = await services.loyalty.history(user_id, page_number(request))
    view = View(request)
    currency = services.shop.currency
    expiry = status.next_expiry
    return {
        "telegram_id": user.telegram_id,
        "name": user.name,
        "username": user.username,
        "balance": status.balance,
        "tier": status.tier.name if status.tier else "",
        "spend": view.money(status.spend, currency),
        "next_tier": status.next_tier.name if status.next_tier else "",
        "next_threshold": view.money(status.next_tier.threshold, currency)
        if status.next_tier
        else "",
        "next_expiry": {"points": expiry[0], "at": view.when(expiry[1])} if expiry else None,
        "ledger": [_entry(view, e) for e in history.items],
        "page": history.page,
        "pages": history.pages,
    }


@routes.get("/loyalty")
@requires("owner")
async def loyalty_page(request: web.Request) -> web.Response:
    services = request.config_dict[SERVICES]
    who = request.query.get("who", "").strip()[:64]
    shopper, problem = None, ""
    if who:
        try:
            shopper = await shopper_view(request, await find_shopper(request, who))
        except (NotFound, ValidationError) as exc:  # shown beside the search box
            problem = error_text(request.config_dict[I18N], locale_of(request), exc)
    flash = ""
    if request.query.get("done") == "adjusted" and shopper is not None:
        flash = gettext(
            request, N_("Done. Their balance is now {balance}."), balance=shopper["balance"]
        )
    return render(
        request,
        "console/loyalty/page.html",
        report=await services.loyalty.referral_report(),
        who=who,
        shopper=shopper,
        problem=problem,
        flash=flash,
    )


@routes.get(r"/api/loyalty/shoppers/{telegram_id:\d+}")
@requires("owner")
async def shopper_api(request: web.Request) -> web.Response:
    return json_ok(await shopper_view(request, telegram_id(request.match_info["telegram_id"])))


@routes.post("/api/loyalty/adjust")
@requires("owner")
async def adjust(request: web.Request) -> web.Response:
    body = await json_body(request)
    services = request.config_dict[SERVICES]
    user_id = await services.loyalty.shopper_id(telegram_id(text_field(body, "telegram_id")))
    entry = await services.loyalty.adjust_points(
        user_id,
        points_of(body),
        text_field(body, "reason"),
        staff(request).telegram_id,
        datetime.now(UTC),
    )
    balance = await services.loyalty.balance(user_id)
    return json_ok(entry=_entry(View(request), entry), balance=balance, status=201)
