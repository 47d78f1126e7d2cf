"""The console's goods table at 100,000 goods on SQLite: p50/p95/p99 per page request.

    .venv/bin/python bench/console_goods.py                 # 100k goods (about a minute to load)
    .venv/bin/python bench/console_goods.py --goods 5000    # a quick run

Each request is what the goods page asks for (`ConsoleGoods.page`: the count, one page of
rows, the options' stock of the page): a fixed mix of no filter, a category, hidden goods,
stock states, words, a SKU prefix, every sort, pages 1-5 mostly and some deep pages (up to the
last). The baseline in the same run is the obvious ORM query (filter, order_by, offset,
limit, count, whole rows) over the same mix.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.catalog_gen import generate_catalogue
from demo.seed import bulk_load, rebuild_search_index
from domain.catalog.console import ConsoleGoods, GoodsFilter, GoodsSort, StockState
from domain.catalog.merchant import MerchantService
from domain.staff.audit import AuditService
from storage.catalog.console import TortoiseGoodsTable
from storage.catalog.merchant import TortoiseMerchantCatalog
from storage.catalog.models import ProductRow
from storage.db import apply_migrations, close_db, init_db
from storage.orders.references import OrderLineReferences
from storage.staff.repository import TortoiseAuditRepository

TARGET_P95_MS = 100.0
PAGE = 25
_ORM_ORDER = {
    GoodsSort.NEWEST: ["-id"],
    GoodsSort.OLDEST: ["id"],
    GoodsSort.TITLE: ["title_en", "id"],
    GoodsSort.PRICE_ASC: ["price", "id"],
    GoodsSort.PRICE_DESC: ["-price", "-id"],
    GoodsSort.SALES: ["-sales", "-views", "-id"],
}


def request_mix(
    count: int, goods: int, categories: list[int], skus: list[str], seed: int = 11
) -> list[tuple[GoodsFilter, GoodsSort, int]]:
    rng = random.Random(seed)
    words = ["tea", "phone", "shirt", "wireless", "laptop", "cotton", "红茶", "smart"]
    mix: list[tuple[GoodsFilter, GoodsSort, int]] = []
    for i in range(count):
        kind = i % 8
        wanted = GoodsFilter()
        if kind == 1:
            wanted = GoodsFilter(category_id=rng.choice(categories))
        elif kind == 2:
            wanted = GoodsFilter(active=rng.choice([True, False]))
        elif kind == 3:
            wanted = GoodsFilter(stock=rng.choice(list(StockState)))
        elif kind == 4:
            wanted = GoodsFilter(text=rng.choice(words))
        elif kind == 5:
            wanted = GoodsFilter(text=rng.choice(skus)[:6])
        elif kind == 6:
            state = rng.choice(list(StockState))
            wanted = GoodsFilter(category_id=rng.choice(categories), stock=state)
        sort = rng.choice(list(GoodsSort))
        deep = rng.random() < 0.1
        page = rng.randint(1, goods // PAGE) if deep else rng.randint(1, 5)
        mix.append((wanted, sort, page))
    return mix


async def orm_page(wanted: GoodsFilter, sort: GoodsSort, page: int) -> int:
    """The baseline: what an admin generator would run (no index-minded SQL)."""
    query = ProductRow.all()
    if wanted.category_id is not None:
        query = query.filter(category_id=wanted.category_id)
    if wanted.active is not None:
        query = query.filter(active=wanted.active)
    if wanted.text:
        query = query.filter(title_en__icontains=wanted.text)
    total = await query.count()
    rows = await query.order_by(*_ORM_ORDER[sort]).offset((page - 1) * PAGE).limit(PAGE)
    return total + len(rows)


def _stats(samples: list[float]) -> str:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return (
        f"p50 {statistics.median(ordered):6.1f} ms  p95 {pct(0.95):6.1f} ms  "
        f"p99 {pct(0.99):6.1f} ms  max {ordered[-1]:6.1f} ms"
    )


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--goods", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    catalogue = generate_catalogue(args.goods)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{tmp}/bench.sqlite3"
        await apply_migrations(url)
        await close_db()
        await init_db(url, run_migrations=False)
        try:
            started = time.perf_counter()
            report = await bulk_load(catalogue)
            await rebuild_search_index()
            print(f"SQLite, {args.goods:,} goods: loaded in {time.perf_counter() - started:.1f} s")
            merchant = MerchantService(
                TortoiseMerchantCatalog(),
                OrderLineReferences(),
                AuditService(TortoiseAuditRepository()),
                "USD",
            )
            console = ConsoleGoods(TortoiseGoodsTable(), merchant)
            skus = [p.sku for p in catalogue.products[:: max(1, args.goods // 200)]]
            mix = request_mix(args.requests, args.goods, report.category_ids, skus)
            for wanted, sort, page in mix[:20]:  # warm the page cache for both
                await console.page(wanted, sort, page, PAGE)
                await orm_page(wanted, sort, page)
            ours: list[float] = []
            baseline: list[float] = []
            slowest: list[tuple[float, str]] = []
            for wanted, sort, page in mix:
                t0 = time.perf_counter()
                await console.page(wanted, sort, page, PAGE)
                elapsed = (time.perf_counter() - t0) * 1000
                ours.append(elapsed)
                slowest.append((elapsed, f"{wanted} {sort.value} page {page}"))
                t0 = time.perf_counter()
                await orm_page(wanted, sort, page)
                baseline.append((time.perf_counter() - t0) * 1000)
            print(f"  console goods page  {_stats(ours)}   ({len(mix)} requests)")
            print(f"  baseline ORM page   {_stats(baseline)}")
            for elapsed, what in sorted(slowest, reverse=True)[:3]:
                print(f"    slowest: {elapsed:6.1f} ms  {what}")
            p95 = sorted(ours)[int(0.95 * len(ours))]
            verdict = "meets" if p95 <= TARGET_P95_MS else "MISSES"
            print(f"  p95 {p95:.1f} ms {verdict} the {TARGET_P95_MS:.0f} ms target")
        finally:
            await close_db()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
