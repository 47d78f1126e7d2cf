"""Mini App storefront bench: the storefront's API at 100,000 goods on SQLite, with the chat's
equivalent service calls as the baseline in the same run, and the first view's weight.

    .venv/bin/python bench/miniapp.py                 # 100k goods
    .venv/bin/python bench/miniapp.py --goods 5000    # a quick run

Each storefront call goes over loopback HTTP through the whole web stack (initData HMAC check,
shopper upsert, rate limit, the domain services, Jinja rendering, gzip); the baseline times
the same domain calls a chat handler makes for the same screen, without HTTP or rendering.
The page weight is what a first visit transfers from Kiosk (entry page, CSS, JS, `api/me`,
the home view), compressed as served; Telegram's own script and product photos (served by the
merchant's image host, lazy-loaded) are counted apart.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiohttp import web

from bot.i18n import build_i18n
from bot.settings import load_settings
from bot.wiring import Services, build_services
from demo.catalog_gen import generate_catalogue
from demo.seed import bulk_load, rebuild_search_index
from domain.catalog.search import SearchQuery, warm_up
from domain.users.service import AddressDraft, TelegramIdentity
from storage.catalog.models import CategoryRow, ProductRow
from storage.db import apply_migrations, close_db, init_db
from web import StorefrontConfig, build_storefront, mount_storefront

TOKEN = "123456789:BENCH-storefront-token_abcdefghij"
TARGET_P95_MS = 30.0
TARGET_FIRST_VIEW_KB = 150.0
WORDS = [
    "shirt",
    "phone",
    "lamp",
    "mug",
    "jacket",
    "cable",
    "tea",
    "book",
    "watch",
    "bag",
    "耳机",
    "手机",
    "茶",
]


class InvoiceLinks(BaseSession):
    """The Bot API as far as the storefront needs it: createInvoiceLink."""

    async def close(self) -> None:
        return None

    # BaseSession's own signature, timeout included
    async def make_request(
        self,
        bot: Bot,
        method: Any,
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> Any:
        return "https://t.me/$bench"

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


def init_data(telegram_id: int) -> str:
    user = json.dumps(
        {"id": telegram_id, "first_name": f"Shopper {telegram_id}", "language_code": "en"},
        separators=(",", ":"),
    )
    fields = {"auth_date": str(int(time.time())), "query_id": "bench", "user": user}
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return {
        "p50": pct(0.5),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "mean": statistics.fmean(ordered) * 1000,
    }


async def timed(call: Callable[[], Awaitable[object]], samples: list[float]) -> None:
    started = time.perf_counter()
    await call()
    samples.append(time.perf_counter() - started)


class Run:
    def __init__(self, services: Services, http: aiohttp.ClientSession, base: str) -> None:
        self.s = services
        self.http = http
        self.base = base
        self.web: dict[str, list[float]] = {}
        self.chat: dict[str, list[float]] = {}

    async def get(self, path: str, telegram_id: int) -> None:
        headers = {"Authorization": "tma " + init_data(telegram_id), "Accept-Encoding": "gzip"}
        async with self.http.get(f"{self.base}/app/api/{path}", headers=headers) as r:
            await r.read()
            assert r.status == 200, (path, r.status, await r.text())

    async def post(self, path: str, telegram_id: int, body: object) -> None:
        headers = {"Authorization": "tma " + init_data(telegram_id)}
        async with self.http.post(f"{self.base}/app/api/{path}", json=body, headers=headers) as r:
            await r.read()
            assert r.status == 200, (path, r.status, await r.text())

    async def both(
        self,
        name: str,
        web_call: Callable[[], Awaitable[object]],
        chat_call: Callable[[], Awaitable[object]],
    ) -> None:
        await timed(web_call, self.web.setdefault(name, []))
        await timed(chat_call, self.chat.setdefault(name, []))


async def shopper(s: Services, telegram_id: int) -> int:
    user, _ = await s.users.seen(
        TelegramIdentity(telegram_id, f"Shopper {telegram_id}", language_code="en")
    )
    return user.id


async def one_round(
    run: Run, rng: random.Random, tg: int, uid: int, ids: list[int], categories: list[int]
) -> None:
    s, now = run.s, datetime.now(UTC)
    category = rng.choice(categories)
    page = rng.randint(1, 5)
    word = rng.choice(WORDS)
    product = rng.choice(ids)
    await run.both("home", lambda: run.get("view/home", tg), lambda: _home(s, uid))
    await run.both(
        "category",
        lambda: run.get(f"view/category/{category}?page={page}", tg),
        lambda: s.catalog.listing(category, page),
    )
    await run.both(
        "search",
        lambda: run.get(f"view/search?q={word}", tg),
        lambda: s.search.search(SearchQuery.page_of(word, 1, 12)),
    )
    await run.both(
        "suggest",
        lambda: run.get(f"suggest?q={word[:3]}", tg),
        lambda: s.search.search(SearchQuery(word[:3], limit=6)),
    )
    await run.both(
        "product", lambda: run.get(f"view/product/{product}", tg), lambda: _card(s, uid, product)
    )
    await run.both(
        "similar",
        lambda: run.get(f"view/product/{product}/shelves", tg),
        lambda: _shelves(s, uid, product),
    )
    await run.both("cart", lambda: run.get("view/cart", tg), lambda: s.carts.view(uid, now=now))
    await run.both("checkout", lambda: run.get("view/checkout", tg), lambda: _review(s, uid))


async def _home(s: Services, uid: int) -> None:
    await s.catalog.children(None)
    await s.shelves.for_you(uid)
    arrivals = await s.shelves.new_arrivals(uid)
    if not arrivals.products:
        await s.catalog.popular(8)


async def _card(s: Services, uid: int, product_id: int) -> None:
    await s.catalog.detail(product_id, viewer_id=uid)
    await s.reviews.reviews(product_id, 1)
    await s.catalog.is_favourite(uid, product_id)


async def _shelves(s: Services, uid: int, product_id: int) -> None:
    """The chat's "Similar" button (bought-together is empty until the model has orders)."""
    await s.shelves.similar(product_id, uid)
    await s.shelves.bought_together(product_id, uid)


async def _review(s: Services, uid: int) -> None:
    now = datetime.now(UTC)
    await s.users.addresses(uid)
    option = s.orders.config.shipping[0]
    cart = await s.carts.view(uid, now=now, shipping=option)
    await s.orders.checkout_totals(uid, cart, 0, now)


async def first_view(http: aiohttp.ClientSession, base: str) -> dict[str, int]:
    """Bytes on the wire (compressed bodies) of a first visit, as a browser would fetch."""
    sizes: dict[str, int] = {}
    headers = {"Accept-Encoding": "gzip, deflate, br"}

    async def fetch(name: str, url: str, extra: dict[str, str] | None = None) -> bytes:
        async with http.get(url, headers={**headers, **(extra or {})}, auto_decompress=False) as r:
            body = await r.read()
            sizes[name] = len(body) + sum(len(k) + len(v) + 4 for k, v in r.headers.items())
            return body

    html = (await fetch("entry page", f"{base}/app/")).decode(errors="replace")
    if "gzip" in html[:2]:
        html = ""
    auth = {"Authorization": "tma " + init_data(99)}
    for asset in ("app.css", "app.js"):
        async with http.get(f"{base}/app/", headers=headers) as r:
            page = await r.text()
        path = re.search(rf'"(static/[0-9a-f]+/{re.escape(asset)})"', page)
        assert path is not None
        await fetch(asset, f"{base}/app/{path.group(1)}")
    await fetch("api/me", f"{base}/app/api/me", auth)
    home = await fetch("home view", f"{base}/app/api/view/home", auth)
    async with http.get(f"{base}/app/api/view/home", headers=auth) as r:
        sizes["(photos on the home view)"] = len(re.findall(r"<img ", await r.text()))
    del home
    return sizes


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--goods", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", type=Path, help="SQLite file to keep (reused when it exists)")
    args = parser.parse_args()
    warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.sqlite3"
        url = f"sqlite://{path}"
        reuse = path.exists()
        await apply_migrations(url)
        await close_db()
        await init_db(url, run_migrations=False)
        try:
            if reuse:
                goods = await ProductRow.all().count()
                category_ids = list(await CategoryRow.all().values_list("id", flat=True))
                print(f"storefront bench: {goods} goods on SQLite (reusing {path})")
            else:
                report = await bulk_load(generate_catalogue(args.goods, args.seed))
                await rebuild_search_index()
                goods, category_ids = report.products, report.category_ids
                print(
                    f"storefront bench: {goods} goods, {report.variants} variants on SQLite "
                    f"(loaded in {report.seconds:.1f} s)"
                )
            return await bench(args, random.Random(args.seed), goods, category_ids)
        finally:
            await close_db()


async def bench(
    args: argparse.Namespace, rng: random.Random, goods: int, category_ids: list[int]
) -> int:
    settings = load_settings(
        bot_token=TOKEN, payments={"invoice_secret": "bench", "provider_token": "1:TEST:x"}
    )
    services = build_services(settings)
    bot = Bot(TOKEN, session=InvoiceLinks())
    config = StorefrontConfig(TOKEN, "https://shop.example", "bench_bot", rate=1e6, burst=10**6)
    root = web.Application()
    mount_storefront(root, build_storefront(services, bot, config, build_i18n("en")))
    runner = web.AppRunner(root, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    ids = [p.id for p in await services.catalog.popular(50)]
    ids += [rng.randint(1, goods) for _ in range(200)]
    ids = [i for i in ids if await _active(services, i)]
    categories = category_ids
    try:
        async with aiohttp.ClientSession() as http:
            run = Run(services, http, base)
            shoppers = []
            for n in range(20):  # shoppers with a cart of three and an address
                tg = 10_000 + n
                uid = await shopper(services, tg)
                for product in rng.sample(ids[:50], 3):
                    await _add(services, uid, product)
                await services.users.add_address(
                    uid,
                    AddressDraft("Bench Shopper", "+15551234567", "Springfield", "12 Elm Street"),
                )
                shoppers.append((tg, uid))
            for tg, uid in shoppers[:5]:  # warm-up: caches, prepared statements, templates
                await one_round(run, rng, tg, uid, ids, categories)
            run.web.clear()
            run.chat.clear()
            for i in range(args.rounds):
                tg, uid = shoppers[i % len(shoppers)]
                await one_round(run, rng, tg, uid, ids, categories)
            weight = await first_view(http, base)
    finally:
        await runner.cleanup()
        await services.recs_runtime.close()
    return print_report(run, weight)


async def _active(s: Services, product_id: int) -> bool:
    try:
        await s.catalog.product(product_id)
    except Exception:
        return False
    return True


async def _add(s: Services, uid: int, product_id: int) -> None:
    detail = await s.catalog.detail(product_id)
    variant = next((v.id for v in detail.variants if v.available > 0), None)
    if (detail.product.has_variants and variant is None) or detail.available <= 0:
        return
    await s.carts.add(uid, product_id, variant if detail.product.has_variants else None)


def print_report(run: Run, weight: dict[str, int]) -> int:
    print(
        f"API over loopback HTTP, {len(next(iter(run.web.values())))} calls each "
        "(storefront  |  chat's service calls for the same screen)"
    )
    worst = 0.0
    all_web: list[float] = []
    for name, samples in run.web.items():
        w, c = stats(samples), stats(run.chat[name])
        all_web += samples
        worst = max(worst, w["p95"])
        print(
            f"  {name:<9} p50 {w['p50']:6.2f}  p95 {w['p95']:6.2f}  p99 {w['p99']:6.2f} ms"
            f"   |  p50 {c['p50']:6.2f}  p95 {c['p95']:6.2f}  p99 {c['p99']:6.2f} ms"
        )
    a = stats(all_web)
    print(f"  {'all':<9} p50 {a['p50']:6.2f}  p95 {a['p95']:6.2f}  p99 {a['p99']:6.2f} ms")
    photos = weight.pop("(photos on the home view)")
    total = sum(weight.values())
    print("first view, bytes transferred (compressed, with headers):")
    for name, size in weight.items():
        print(f"  {name:<11} {size / 1024:7.1f} KB")
    print(
        f"  {'total':<11} {total / 1024:7.1f} KB   (+ telegram-web-app.js from Telegram, "
        f"+ {photos} product photos from the image host, lazy-loaded)"
    )
    ok_api = worst <= TARGET_P95_MS
    ok_weight = total / 1024 <= TARGET_FIRST_VIEW_KB
    print(
        f"targets: every call p95 <= {TARGET_P95_MS:.0f} ms: "
        f"{'met' if ok_api else 'NOT met'} (worst {worst:.1f} ms); first view <= "
        f"{TARGET_FIRST_VIEW_KB:.0f} KB: {'met' if ok_weight else 'NOT met'}"
    )
    return 0 if ok_api and ok_weight else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
