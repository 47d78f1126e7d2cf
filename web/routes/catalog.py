"""Browsing: home, categories, search (the chat's filters and sorts), product pages,
favourites, and product photos kept as Telegram file ids."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from aiohttp import web

from domain.catalog.search import MAX_QUERY_CHARS, SearchFilters, SearchQuery, SearchSort
from domain.catalog.types import PAGE_SIZE
from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_
from domain.orders.pricing import exponent
from web.keys import BOT, CONFIG
from web.routes.common import (
    fragment,
    ok,
    path_id,
    query_int,
    query_str,
    services_of,
    user_of,
)

routes = web.RouteTableDef()
SEARCH_PARAMS = ("q", "sort", "category", "min", "max", "stock", "brand")
GRID = 12  # goods per search page
MAX_PAGE = 500
SORT_LABELS = {
    SearchSort.RELEVANCE: N_("Best match"),
    SearchSort.PRICE_ASC: N_("Price: low to high"),
    SearchSort.PRICE_DESC: N_("Price: high to low"),
    SearchSort.NEWEST: N_("Newest"),
    SearchSort.RATING: N_("Top rated"),
    SearchSort.POPULARITY: N_("Most popular"),
}


@routes.get("/api/view/home")
async def home(request: web.Request) -> web.Response:
    s, user = services_of(request), user_of(request)
    categories = await s.catalog.children(None)
    for_you = await s.shelves.for_you(user.id)
    arrivals = await s.shelves.new_arrivals(user.id)
    popular = [] if arrivals.products else await s.catalog.popular(PAGE_SIZE)
    return fragment(
        request,
        "home.html",
        categories=categories,
        for_you=for_you.products,
        arrivals=arrivals.products,
        popular=popular,
    )


@routes.get("/api/view/category/{id}")
async def category(request: web.Request) -> web.Response:
    s = services_of(request)
    page = query_int(request, "page", 1, 1, MAX_PAGE)
    listing = await s.catalog.listing(path_id(request), page)
    return fragment(request, "category.html", listing=listing, goods=listing.goods)


def _price(raw: str, currency: str) -> int | None:
    """A price typed in whole units ("12.5") to minor units of the shop's currency."""
    raw = raw.strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(N_("A price is a number, e.g. 12.50.")) from None
    if not value.is_finite() or value < 0 or value > 10**9:
        raise ValidationError(N_("A price is a number, e.g. 12.50."))
    return int(value.scaleb(exponent(currency)))


def search_query(request: web.Request, currency: str) -> SearchQuery:
    text = query_str(request, "q", MAX_QUERY_CHARS)
    sort_raw = query_str(request, "sort", 16) or SearchSort.RELEVANCE
    if sort_raw not in SearchSort._value2member_map_:
        raise ValidationError(N_("That request isn't valid."))
    category_id = query_int(request, "category", 0, 0, 2**53) or None
    brand = query_str(request, "brand", 64).strip() or None
    filters = SearchFilters(
        category_id=category_id,
        price_min=_price(query_str(request, "min", 16), currency),
        price_max=_price(query_str(request, "max", 16), currency),
        in_stock=request.query.get("stock") == "1",
        brand=brand,
    )
    page = query_int(request, "page", 1, 1, MAX_PAGE)
    return SearchQuery.page_of(text, page, GRID, filters, SearchSort(sort_raw))


@routes.get("/api/view/search")
async def search(request: web.Request) -> web.Response:
    s = services_of(request)
    query = search_query(request, s.shop.currency)
    result = await s.search.search(query)
    categories = await s.catalog.children(None)
    params = {k: v for k, v in request.query.items() if k in SEARCH_PARAMS}
    more = None
    if result.next_offset is not None:
        more = "search?" + urlencode({**params, "page": str(result.page + 1)})
    return fragment(
        request,
        "search.html",
        result=result,
        query=query,
        categories=categories,
        sorts=SORT_LABELS,
        params=params,
        more=more,
    )


@routes.get("/api/suggest")
async def suggest(request: web.Request) -> web.Response:
    """Titles as the shopper types (the same engine as the search page)."""
    s, user = services_of(request), user_of(request)
    text = query_str(request, "q", MAX_QUERY_CHARS).strip()
    if len(text) < 2:
        return ok(items=[])
    found = await s.search.search(SearchQuery(text, limit=6))
    items = (
        []
        if found.fallback
        else [{"id": p.id, "title": p.title.get(user.locale)} for p in found.products]
    )
    return ok(items=items, corrected=found.corrected or found.suggestion)


@routes.get("/api/view/product/{id}")
async def product(request: web.Request) -> web.Response:
    s, user = services_of(request), user_of(request)
    product_id = path_id(request)
    detail = await s.catalog.detail(product_id, viewer_id=user.id)
    s.recs_events.viewed(user.id, product_id)
    reviews = await s.reviews.reviews(product_id, 1)
    return fragment(
        request,
        "product.html",
        detail=detail,
        p=detail.product,
        favourite=await s.catalog.is_favourite(user.id, product_id),
        reviews=reviews,
        share=request.config_dict[CONFIG].share_link(product_id),
    )


@routes.get("/api/view/product/{id}/shelves")
async def product_shelves(request: web.Request) -> web.Response:
    """Similar and bought-together goods, fetched by the page once the product shows (the
    chat shows them behind a button): the product itself appears without waiting for them."""
    s, user = services_of(request), user_of(request)
    product_id = path_id(request)
    similar = await s.shelves.similar(product_id, user.id)
    together = await s.shelves.bought_together(product_id, user.id)
    return fragment(
        request, "product_shelves.html", similar=similar.products, together=together.products
    )


@routes.get("/api/view/favourites")
async def favourites(request: web.Request) -> web.Response:
    s, user = services_of(request), user_of(request)
    page = await s.catalog.favourites(user.id, query_int(request, "page", 1, 1, MAX_PAGE))
    return fragment(request, "favourites.html", goods=page)


@routes.put("/api/favourites/{id}")
async def add_favourite(request: web.Request) -> web.Response:
    s, user = services_of(request), user_of(request)
    product_id = path_id(request)
    await s.catalog.add_favourite(user.id, product_id)
    s.recs_events.favourited(user.id, product_id)
    return ok(favourite=True)


@routes.delete("/api/favourites/{id}")
async def remove_favourite(request: web.Request) -> web.Response:
    s, user = services_of(request), user_of(request)
    await s.catalog.remove_favourite(user.id, path_id(request))
    return ok(favourite=False)


@routes.get("/photo/{id}/{n}")
async def photo(request: web.Request) -> web.StreamResponse:
    """A product photo stored as a Telegram file id, fetched through the Bot API once per
    browser (public goods only: the same photo the chat shows to anyone)."""
    s = services_of(request)
    product = await s.catalog.product(path_id(request))
    index = query_int_path(request, "n", len(product.photos))
    file_id = product.photos[index]
    if file_id.startswith("https://"):
        raise web.HTTPFound(file_id)
    bot = request.config_dict[BOT]
    file = await bot.get_file(file_id)
    if file.file_path is None:
        raise web.HTTPNotFound()
    data = await bot.download_file(file.file_path)
    body = data.read() if data is not None else b""
    return web.Response(
        body=body,
        content_type="image/jpeg",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def query_int_path(request: web.Request, name: str, count: int) -> int:
    raw = request.match_info.get(name, "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 3 or int(raw) >= count:
        raise web.HTTPNotFound()
    return int(raw)
