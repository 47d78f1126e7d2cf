"""Inline mode: `@bot words` in any chat lists products with a deep link to their card.

Answers are cached for a short while, keyed by locale, query and offset: in Redis when the bot
has one (shared by every replica), else in this process. Telegram caches them too
(`cache_time`), per user because titles depend on the reader's language.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from aiogram import Bot, Router
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InlineQueryResultPhoto,
    InlineQueryResultUnion,
    InputTextMessageContent,
)
from aiogram.utils.i18n import gettext as _
from redis.asyncio import Redis
from redis.exceptions import RedisError

from domain.catalog.search import MAX_OFFSET, SearchQuery, SearchService
from domain.catalog.service import Product
from domain.kernel.money import money
from domain.kernel.text import whole_number
from handlers.catalog.card import bot_username
from handlers.catalog.keyboards import deep_link
from handlers.catalog.render import rating_line
from handlers.common import esc, fit

router = Router(name=__name__)
INLINE_PAGE = 20
CACHE_SECONDS = 30
InlineResult = InlineQueryResultArticle | InlineQueryResultPhoto | InlineQueryResultCachedPhoto
_RESULT_TYPES: dict[str, Any] = {
    t.__name__: t
    for t in (InlineQueryResultArticle, InlineQueryResultPhoto, InlineQueryResultCachedPhoto)
}


class InlineAnswerCache:
    """A short-lived cache of rendered inline answers (JSON text)."""

    def __init__(
        self, redis: Redis | None = None, ttl: float = CACHE_SECONDS, capacity: int = 2048
    ) -> None:
        self.redis = redis
        self.ttl = ttl
        self.capacity = capacity
        self._local: OrderedDict[str, tuple[float, str]] = OrderedDict()

    @staticmethod
    def key(locale: str, query: str, offset: int) -> str:
        digest = hashlib.sha1(query.encode(), usedforsecurity=False).hexdigest()[:20]
        return f"kiosk:inline:{locale}:{offset}:{digest}"

    async def get(self, key: str) -> str | None:
        if self.redis is not None:
            try:
                raw = await self.redis.get(key)
                return raw.decode() if isinstance(raw, bytes) else raw
            except RedisError:
                return None  # a cache outage only costs a search
        hit = self._local.get(key)
        if hit is None or hit[0] < time.monotonic():
            self._local.pop(key, None)
            return None
        return hit[1]

    async def put(self, key: str, value: str) -> None:
        if self.redis is not None:
            try:
                await self.redis.set(key, value, ex=max(1, int(self.ttl)))
            except RedisError:
                pass
            return
        self._local[key] = (time.monotonic() + self.ttl, value)
        self._local.move_to_end(key)
        while len(self._local) > self.capacity:
            self._local.popitem(last=False)


def _result(product: Product, username: str, locale: str, webapp: bool) -> InlineResult:
    title = fit(product.title.get(locale), 100)
    price = money(product.price, product.currency, locale)
    if product.has_variants:
        price = _("from {price}").format(price=price)
    link = deep_link(username, product.id)
    rows = [[InlineKeyboardButton(text=_("🛍 Open in the shop"), url=link)]]
    if webapp:  # the Mini App on this product (startapp link to the bot's main Mini App)
        app_link = f"https://t.me/{username}?startapp=p_{product.id}"
        rows.append([InlineKeyboardButton(text=_("🛍 Open in the Mini App"), url=app_link)])
    markup = InlineKeyboardMarkup(inline_keyboard=rows)
    text = f"<b>{esc(title)}</b>\n{esc(price)} · {esc(rating_line(product))}"
    description = f"{price} · {rating_line(product)}"
    photo = product.photos[0] if product.photos else None
    if photo and photo.startswith("https://"):
        return InlineQueryResultPhoto(
            id=f"p{product.id}",
            photo_url=photo,
            thumbnail_url=photo,
            title=title,
            description=description,
            caption=text,
            reply_markup=markup,
        )
    if photo:
        return InlineQueryResultCachedPhoto(
            id=f"p{product.id}",
            photo_file_id=photo,
            title=title,
            description=description,
            caption=text,
            reply_markup=markup,
        )
    return InlineQueryResultArticle(
        id=f"p{product.id}",
        title=title,
        description=description,
        reply_markup=markup,
        input_message_content=InputTextMessageContent(message_text=text),
    )


def _offset(raw: str) -> int:
    """Telegram echoes our own next_offset back, but anything may arrive: be forgiving."""
    number = whole_number(raw)
    return number if number is not None and number < 10**6 else 0


def _encode(results: Sequence[InlineQueryResultUnion], next_offset: str) -> str:
    # Defaults (the type tag, parse mode placeholders) are left out and restored on decode.
    dumped = [
        [type(r).__name__, r.model_dump(mode="json", exclude_none=True, exclude_defaults=True)]
        for r in results
    ]
    return json.dumps({"r": dumped, "n": next_offset}, ensure_ascii=False)


def _decode(raw: str) -> tuple[list[InlineQueryResultUnion], str]:
    data = json.loads(raw)
    return [_RESULT_TYPES[kind].model_validate(item) for kind, item in data["r"]], data["n"]


@router.inline_query()
async def inline_search(
    inline_query: InlineQuery,
    search: SearchService,
    inline_cache: InlineAnswerCache,
    bot: Bot,
    locale: str,
    webapp_url: str,
) -> None:
    text = inline_query.query.strip()
    offset = min(_offset(inline_query.offset), MAX_OFFSET)
    key = InlineAnswerCache.key(locale, text, offset)
    cached = await inline_cache.get(key)
    results: list[InlineQueryResultUnion]
    if cached is not None:
        results, next_offset = _decode(cached)
    else:
        found = await search.search(SearchQuery(text, offset=offset, limit=INLINE_PAGE))
        username = await bot_username(bot)
        results = [_result(p, username, locale, bool(webapp_url)) for p in found.products]
        next_offset = "" if found.next_offset is None else str(found.next_offset)
        await inline_cache.put(key, _encode(results, next_offset))
    await inline_query.answer(
        results,
        cache_time=CACHE_SECONDS,
        is_personal=True,
        next_offset=next_offset,
    )
