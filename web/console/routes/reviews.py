"""Console pages: review moderation. The newest reviews first (hidden ones too), hide or show
again (the product's rating follows at once), and the shop's public answer, shown under the
review on the product card in the chat and the Mini App. The same `ReviewModeration` calls as
the chat's /admin → Reviews, each audited (source "console").

Page: GET /reviews. API: GET /api/reviews, POST /api/reviews/{id}/visibility {hidden},
POST /api/reviews/{id}/reply {text} (empty or "-" removes the answer).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from domain.catalog.types import ProductNotFound
from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_
from domain.reviews.moderation import ReviewPage
from domain.reviews.service import Review, ReviewNotFound
from web.console.access import staff
from web.console.keys import SERVICES
from web.console.render import gettext, json_ok, locale_of, render
from web.console.routes.orders import (
    BAD_REQUEST,
    MAX_ID,
    View,
    json_body,
    page_number,
    text_field,
)

routes = web.RouteTableDef()

PAGE_SIZE = 10
DONE = {
    "hidden": N_("Hidden from the product card."),
    "shown": N_("Shown on the product card."),
    "reply": N_("✅ Reply saved."),
}


def review_id_of(request: web.Request) -> int:
    raw = request.match_info.get("id", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not 0 < int(raw) <= MAX_ID:
        raise ReviewNotFound()
    return int(raw)


def flag(body: dict[str, Any], name: str) -> bool:
    """A yes/no field: JSON true/false (or the strings a form sends)."""
    value = body.get(name)
    if isinstance(value, bool):
        return value
    if value in ("true", "1", "on"):
        return True
    if value in ("false", "0", "off", "", None):
        return False
    raise ValidationError(BAD_REQUEST)


async def _titles(request: web.Request, reviews: list[Review]) -> dict[int, str]:
    """Product titles for the reviews shown (inactive goods too; deleted ones by number)."""
    merchant = request.config_dict[SERVICES].merchant
    locale = locale_of(request)
    titles: dict[int, str] = {}
    for product_id in dict.fromkeys(r.product_id for r in reviews):
        try:
            titles[product_id] = (await merchant.find(str(product_id))).title.get(locale)
        except ProductNotFound:
            titles[product_id] = f"#{product_id}"
    return titles


def _review(view: View, review: Review, titles: dict[int, str]) -> dict[str, Any]:
    return {
        "id": review.id,
        "product_id": review.product_id,
        "product": titles.get(review.product_id, f"#{review.product_id}"),
        "author": review.author,
        "rating": review.rating,
        "text": review.text,
        "photo": bool(review.photo),
        "hidden": review.hidden,
        "reply": review.reply or "",
        "written": view.when(review.updated_at),
    }


async def _page(request: web.Request) -> tuple[ReviewPage, list[dict[str, Any]]]:
    moderation = request.config_dict[SERVICES].moderation
    found = await moderation.page(page_number(request), PAGE_SIZE)
    titles = await _titles(request, found.items)
    view = View(request)
    return found, [_review(view, r, titles) for r in found.items]


@routes.get("/reviews")
async def reviews_page(request: web.Request) -> web.Response:
    found, items = await _page(request)
    done = DONE.get(request.query.get("done", ""))
    return render(
        request,
        "console/reviews/list.html",
        reviews=items,
        page=found.page,
        pages=found.pages,
        total=found.total,
        flash=gettext(request, done) if done else "",
    )


@routes.get("/api/reviews")
async def reviews_api(request: web.Request) -> web.Response:
    found, items = await _page(request)
    return json_ok(reviews=items, page=found.page, pages=found.pages, total=found.total)


async def _answer(request: web.Request, review: Review) -> web.Response:
    titles = await _titles(request, [review])
    return json_ok(review=_review(View(request), review, titles))


@routes.post(r"/api/reviews/{id:\d+}/visibility")
async def set_visibility(request: web.Request) -> web.Response:
    body = await json_body(request)
    moderation = request.config_dict[SERVICES].moderation
    review = await moderation.set_hidden(
        staff(request).telegram_id, review_id_of(request), flag(body, "hidden")
    )
    return await _answer(request, review)


@routes.post(r"/api/reviews/{id:\d+}/reply")
async def reply(request: web.Request) -> web.Response:
    body = await json_body(request)
    moderation = request.config_dict[SERVICES].moderation
    review = await moderation.reply(
        staff(request).telegram_id, review_id_of(request), text_field(body, "text")
    )
    return await _answer(request, review)
