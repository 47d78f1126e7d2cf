"""Checkout benchmark: 100 concurrent buyers end to end through the sandbox, per backend.

    .venv/bin/python bench/checkout.py                       # SQLite (+ PostgreSQL if set)
    KIOSK_BENCH_PG_URL=postgres://postgres@127.0.0.1:55432/postgres \
        .venv/bin/python bench/checkout.py --buyers 100 --stock 80

Each buyer: /start, add a mug from its card, /cart, Checkout, address, shipping, confirm (order
+ reservation + sendInvoice), then pays (shipping-less card invoice: pre_checkout_query ->
answerPreCheckoutQuery -> successful_payment). There is less stock than buyers, so some
are refused at confirm: the oversell count (units sold beyond stock, or a negative stock
column) must be 0. Pre-checkout latency is measured in the sandbox from sending the
pre_checkout_query to receiving answerPreCheckoutQuery. Baseline, same run and concurrency:
the round trip of a plain /start (registration + menu) through the same sandbox.
For PostgreSQL the bench (re)creates its own database `kiosk_bench_checkout` on that server.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sandbox.payments as sandbox_payments
from bench._pg import fresh_pg_database
from demo.harness import SANDBOX_TOKEN, run_sandboxed
from domain.catalog.service import CategoryDraft, Localized, ProductDraft
from domain.users.service import AddressDraft
from sandbox import Sandbox
from storage.catalog.models import ProductRow
from storage.orders.models import OrderRow

BENCH_DB = "kiosk_bench_checkout"
PAYMENTS = {"currency": "USD", "provider_token": "284685063:TEST:bench", "use_stars": False}
precheckout_ms: list[float] = []
payment_errors: list[str] = []
_original_ask = sandbox_payments._ask


async def _timed_ask(user: Any, kind: str, payload: dict[str, Any], wait_s: float) -> Any:
    """The sandbox's query round trip, timed for pre-checkout queries."""
    started = time.perf_counter()
    result = await _original_ask(user, kind, payload, wait_s)
    if kind == "precheckout":
        precheckout_ms.append((time.perf_counter() - started) * 1000)
    return result


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def buyer_checkout(sb: Sandbox, telegram_id: int, mug_id: int) -> tuple[bool, float]:
    user = sb.user(telegram_id, f"Buyer {telegram_id}")
    started = time.perf_counter()
    await user.press_data(f"cart:add:{mug_id}:0")
    await user.send("/cart")
    await user.press("✅ Checkout")
    await user.press("⭐ Buyer, 1 High St, Oxford")
    await user.press("Standard delivery — $5.00")
    replies = await user.press("💳 Confirm and pay by card")
    if not any(m.raw.get("invoice") for m in replies):
        # Under load the invoice can come after the sandbox's quiet period: look once more.
        await asyncio.sleep(2)
        if not any(m.raw.get("invoice") for m in user.bot_messages):
            return False, time.perf_counter() - started  # refused: out of stock
    result = await user.pay_invoice()
    if not result.ok:
        payment_errors.append(str(result.error))
    return result.ok, time.perf_counter() - started


async def run_backend(name: str, url: str, buyers: int, stock: int) -> None:
    precheckout_ms.clear()
    payment_errors.clear()
    sb = Sandbox(bot_token=SANDBOX_TOKEN, bot_username="kiosk_demo_bot", reply_timeout=60.0)
    await sb.start()
    try:
        async with run_sandboxed(
            url,
            "polling",
            sandbox=sb,
            payments=PAYMENTS,
            scheduler={"enabled": False},
            throttle={"rate": 100.0, "burst": 100},
        ) as running:
            services = running.app.services
            category = await services.catalog.create_category(CategoryDraft(Localized("Home")))
            mug = await services.catalog.create_product(
                ProductDraft(
                    sku="MUG",
                    category_id=category.id,
                    title=Localized("Mug"),
                    price=1200,
                    on_hand=stock,
                )
            )
            ids = [100_000 + n for n in range(buyers)]
            # Baseline: the same number of people sending /start at once (also registers them).
            base = await asyncio.gather(*(_timed_start(sb, t) for t in ids))
            for telegram_id in ids:
                user = await services.users.repo.get_by_telegram_id(telegram_id)
                assert user is not None
                draft = AddressDraft("Buyer", "+15551234567", "Oxford", "1 High St")
                await services.users.add_address(user.id, draft)
            started = time.perf_counter()
            results = await asyncio.gather(*(buyer_checkout(sb, t, mug.id) for t in ids))
            # Throughput counts until the last successful checkout (refused buyers don't pay).
            elapsed = max((d for ok, d in results if ok), default=time.perf_counter() - started)
            row = await ProductRow.get(id=mug.id)
            paid = await OrderRow.filter(status="paid").count()
            oversell = max(0, paid - stock) + (row.on_hand < 0) + (row.reserved < 0)
            ok = sum(1 for success, _ in results if success)
            durations = [d * 1000 for success, d in results if success]
            print(f"\n== {name} ({buyers} concurrent buyers, {stock} in stock) ==")
            print(f"completed checkouts      : {ok} in {elapsed:.2f}s = {ok / elapsed:.1f} /s")
            print(f"refused (out of stock)   : {buyers - ok}")
            print(
                f"stock after              : on_hand={row.on_hand} reserved={row.reserved}"
                f" sold={row.sales}"
            )
            print(f"oversell count           : {oversell}  (must be 0)")
            print(
                f"checkout wall time ms    : p50={pct(durations, 50):.0f} "
                f"p95={pct(durations, 95):.0f}"
            )
            print(
                f"pre_checkout answer ms   : p50={pct(precheckout_ms, 50):.1f} "
                f"p95={pct(precheckout_ms, 95):.1f} p99={pct(precheckout_ms, 99):.1f} "
                f"(n={len(precheckout_ms)}, target p99 < 1000)"
            )
            print(
                f"baseline /start ms       : p50={pct(base, 50):.1f} p95={pct(base, 95):.1f} "
                f"p99={pct(base, 99):.1f}"
            )
            print(f"refused bot calls        : {len(sb.errors)}")
            errors = sorted(set(payment_errors))
            print(f"failed payments          : {len(payment_errors)} {errors}")
    finally:
        await sb.stop()


async def _timed_start(sb: Sandbox, telegram_id: int) -> float:
    user = sb.user(telegram_id, f"Buyer {telegram_id}")
    started = time.perf_counter()
    await user.send("/start")
    # `send` waits for `settle` seconds of quiet after the reply; that is not bot time.
    return (time.perf_counter() - started - sb.settle) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=100)
    parser.add_argument("--stock", type=int, default=80)
    parser.add_argument(
        "--pg-pool", type=int, default=0, help="asyncpg pool size; 0 keeps storage.db.PG_POOL_SIZE"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sandbox_payments._ask = _timed_ask  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as tmp:
        await run_backend("SQLite", f"sqlite://{tmp}/bench.sqlite3", args.buyers, args.stock)
    pg = os.environ.get("KIOSK_BENCH_PG_URL")
    if pg:
        url = await fresh_pg_database(pg, BENCH_DB)
        if args.pg_pool:
            url += f"?minsize=1&maxsize={args.pg_pool}"
        await run_backend("PostgreSQL", url, args.buyers, args.stock)
    else:
        print("\n(KIOSK_BENCH_PG_URL not set: PostgreSQL skipped)")


if __name__ == "__main__":
    asyncio.run(main())
