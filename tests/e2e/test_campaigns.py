"""Campaigns end to end: an owner composes, previews and sends; shoppers receive, click, opt out.

Runs on both shapes (polling+SQLite, webhook+PostgreSQL+Redis) against the sandbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from demo.harness import Sandboxed, run_sandboxed
from domain.users.service import TelegramIdentity
from sandbox import RateLimits
from tests.conftest import PG_URL, REDIS_URL, fresh_database, need

ADMIN = 9000
UNKNOWN = "I don't know that command. /help lists what I can do."

KioskFactory = Callable[..., Any]


@pytest.fixture(params=["polling-sqlite", "webhook-postgres-redis"])
def kiosk_factory(request: pytest.FixtureRequest, tmp_path: Path) -> KioskFactory:
    """Like the `kiosk` fixture, but settings can be overridden per test."""
    mode: str = request.param
    if mode.startswith("webhook"):
        need(PG_URL, "PostgreSQL")
        need(REDIS_URL, "Redis")

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Sandboxed]:
        backend = "sqlite" if mode.endswith("sqlite") else "postgres"
        url = await fresh_database(backend, request, tmp_path)
        redis_url = REDIS_URL if "redis" in mode else None
        if redis_url:
            client = Redis.from_url(redis_url)
            await client.flushdb()
            await client.aclose()
        run_mode = "webhook" if mode.startswith("webhook") else "polling"
        async with run_sandboxed(url, run_mode, redis_url, admin_ids=[ADMIN], **overrides) as k:
            yield k

    return start


async def seed_shoppers(k: Sandboxed, ids: list[int], opted_in: bool = True) -> None:
    """Shoppers known to the bot (as after /start) with a chat in the sandbox."""
    for uid in ids:
        k.sandbox.user(uid, f"Shopper{uid}")
        user, _ = await k.app.services.users.seen(TelegramIdentity(uid, f"Shopper{uid}"))
        await k.app.services.users.set_marketing(user.id, opted_in)


def promos(k: Sandboxed, chat_id: int, marker: str) -> list[Any]:
    return [m for m in k.sandbox.chat(chat_id) if m.from_bot and marker in m.content]


async def wait_for(predicate: Callable[[], Any], timeout: float = 20.0) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not await _call(predicate):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.05)


async def _call(predicate: Callable[[], Any]) -> bool:
    value = predicate()
    if asyncio.iscoroutine(value):
        value = await value
    return bool(value)


async def compose(k: Sandboxed, text: str, coupon: str | None = None) -> int:
    """Drive the composer as the owner; returns the new campaign's id."""
    admin = k.sandbox.user(ADMIN, "Owner")
    await admin.send("/campaign")
    await admin.press("➕ New campaign")
    await admin.send(text)
    await admin.press("⏭ No photo")
    if coupon:
        await admin.press("🎁 Button with a coupon")
        await admin.send(coupon)
    else:
        await admin.press("⏭ No button")
    await admin.press("Everyone who opted in")
    card = admin.last_bot_message
    assert card is not None and "Campaign #" in card.content
    return int(card.content.split("#", 1)[1].split()[0])


async def test_compose_preview_send_click_and_opt_out(kiosk_factory: KioskFactory) -> None:
    async with kiosk_factory() as k:
        await seed_shoppers(k, [101, 102, 103, 104])
        await seed_shoppers(k, [105], opted_in=False)
        k.sandbox.block(104)
        admin = k.sandbox.user(ADMIN, "Owner")

        cid = await compose(k, "<b>Spring sale</b> — 20% off", coupon="spring10")
        card = admin.last_bot_message
        assert card is not None
        assert "Would reach now: 4 people" in card.content  # 105 never opted in
        preview = promos(k, ADMIN, "Spring sale")
        assert preview and preview[0].entities and preview[0].entities[0]["type"] == "bold"

        await admin.press("👁 Preview")
        assert len(promos(k, ADMIN, "Spring sale")) == 2
        await admin.press("🚀 Send now")
        await admin.press("✅ Yes, send now")
        await wait_for(lambda: all(promos(k, u, "Spring sale") for u in (101, 102, 103)))
        await wait_for(lambda: _done(k, cid))
        report = await k.app.services.campaigns.report(cid)
        assert (report.counts.sent, report.counts.blocked) == (3, 1)
        assert promos(k, 105, "Spring sale") == []
        blocked = await k.app.services.users.repo.get_by_telegram_id(104)
        assert blocked is not None and blocked.is_blocked

        shopper = k.sandbox.user(101)
        promo = promos(k, 101, "Spring sale")[0]
        assert promo.button_texts() == ["🎁 Get the coupon", "🔕 No more promotions"]
        await shopper.press("🎁 Get the coupon")
        assert "SPRING10" in shopper.last_bot_message.content  # type: ignore[union-attr]
        await shopper.press("🎁 Get the coupon", message_id=promo.message_id)
        assert (await k.app.services.campaigns.report(cid)).counts.clicks == 1  # once per user

        await shopper.press("🔕 No more promotions")
        user = await k.app.services.users.repo.get_by_telegram_id(101)
        assert user is not None and not user.marketing_opt_in
        await shopper.send("/settings")
        assert "Promotions: off" in shopper.last_bot_message.content  # type: ignore[union-attr]
        await shopper.press("🔔 Get promotions")
        assert "Promotions: on" in shopper.last_bot_message.content  # type: ignore[union-attr]

        # The progress message ends as the final report.
        await wait_for(lambda: "finished" in (_progress(k) or ""))
        assert "✅ Sent: 3" in (_progress(k) or "")
        assert len(_progress_messages(k)) == 1


async def test_one_progress_message_when_the_engine_finishes_first(
    kiosk_factory: KioskFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The delivery engine (maybe on another replica) may draw, send everything and finish
    before the "Yes, send now" handler is done: the owner still gets one progress message, and
    it ends as the final report."""
    async with kiosk_factory() as k:
        await seed_shoppers(k, [111, 112])
        cid = await compose(k, "Quick deal")
        service = k.app.services.campaigns
        start = service.send_now

        async def start_and_let_the_engine_finish(*args: Any, **kwargs: Any) -> Any:
            campaign = await start(*args, **kwargs)
            await wait_for(lambda: _done(k, campaign.id))
            return campaign

        monkeypatch.setattr(service, "send_now", start_and_let_the_engine_finish)
        admin = k.sandbox.user(ADMIN, "Owner")
        await admin.press("🚀 Send now")
        await admin.press("✅ Yes, send now")
        await wait_for(lambda: "finished" in (_progress(k) or ""))
        assert len(_progress_messages(k)) == 1
        assert f"Campaign #{cid}" in (_progress(k) or "")
        assert "✅ Sent: 2" in (_progress(k) or "")


async def test_send_now_beaten_by_another_start_shows_the_report(
    kiosk_factory: KioskFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the button's check and the start, something else started the campaign (a
    concurrent press, the scheduler): the "Starting…" message becomes its report, not a
    dead end."""
    async with kiosk_factory() as k:
        await seed_shoppers(k, [121])
        cid = await compose(k, "Race deal")
        service = k.app.services.campaigns
        start = service.send_now

        async def started_meanwhile(campaign_id: int, progress: Any = None) -> Any:
            await start(campaign_id)
            return await start(campaign_id, progress)

        monkeypatch.setattr(service, "send_now", started_meanwhile)
        admin = k.sandbox.user(ADMIN, "Owner")
        await admin.press("🚀 Send now")
        await admin.press("✅ Yes, send now")
        await wait_for(lambda: _done(k, cid))
        texts = [m.content for m in k.sandbox.chat(ADMIN) if m.from_bot]
        assert not any("Starting campaign" in t for t in texts)
        assert any(f"Campaign #{cid}" in t and "Recipients: 1" in t for t in texts)
        assert admin.last_callback_answer is not None
        assert not admin.last_callback_answer.get("text")  # not an error


def _progress_messages(k: Sandboxed) -> list[str]:
    return [m.content for m in k.sandbox.chat(ADMIN) if m.from_bot and "Recipients:" in m.content]


def _progress(k: Sandboxed) -> str | None:
    texts = _progress_messages(k)
    return texts[-1] if texts else None


async def _done(k: Sandboxed, cid: int) -> bool:
    campaign = await k.app.services.campaigns.get(cid)
    return campaign.state == "done"


async def test_non_admins_get_the_unknown_command_answer(kiosk_factory: KioskFactory) -> None:
    async with kiosk_factory() as k:
        shopper = k.sandbox.user(201, "Eve")
        await shopper.send("/campaign")
        assert shopper.last_bot_message is not None
        assert shopper.last_bot_message.content == UNKNOWN
        await shopper.press_data("cp:send:1")
        assert shopper.last_callback_answer is not None
        assert shopper.last_callback_answer["text"] == "This button is no longer active."


async def test_formatting_telegram_refuses_is_reported(kiosk_factory: KioskFactory) -> None:
    async with kiosk_factory() as k:
        admin = k.sandbox.user(ADMIN, "Owner")
        await admin.send("/campaign")
        await admin.press("➕ New campaign")
        await admin.send("<b>unclosed")
        assert "Telegram can't show that" in admin.last_bot_message.content  # type: ignore[union-attr]
        k.sandbox.calls = [c for c in k.sandbox.calls if c.ok]  # the refused preview was the test
        await admin.send("<b>closed</b>")
        assert "Add a photo?" in admin.last_bot_message.content  # type: ignore[union-attr]


async def test_429_is_honoured_and_nothing_is_sent_twice(kiosk_factory: KioskFactory) -> None:
    async with kiosk_factory(campaigns={"rate_per_sec": 40, "progress_interval": 30}) as k:
        ids = list(range(300, 330))
        await seed_shoppers(k, ids)
        cid = await compose(k, "Flash sale")
        k.sandbox.rate_limits = RateLimits(enabled=True, global_per_sec=8, per_chat_per_sec=1)
        await k.app.services.campaigns.send_now(cid)
        await wait_for(lambda: _done(k, cid), timeout=40)
        assert k.sandbox.stats["429"] > 0  # the engine ran into the limit...
        assert [len(promos(k, u, "Flash sale")) for u in ids] == [1] * len(ids)  # ...and recovered
        report = await k.app.services.campaigns.report(cid)
        assert report.counts.sent == len(ids)
        k.sandbox.calls = [c for c in k.sandbox.calls if c.error_code != 429]


async def test_cancel_stops_sending(kiosk_factory: KioskFactory) -> None:
    async with kiosk_factory(campaigns={"rate_per_sec": 10}) as k:
        ids = list(range(400, 460))
        await seed_shoppers(k, ids)
        cid = await compose(k, "Weekend deal")
        await k.app.services.campaigns.send_now(cid)
        await wait_for(lambda: sum(len(promos(k, u, "Weekend deal")) for u in ids) >= 5)
        admin = k.sandbox.user(ADMIN, "Owner")
        await admin.send("/campaign")
        await admin.press(f"#{cid} · sending")
        await admin.press("⏹ Cancel campaign")
        await asyncio.sleep(1.0)  # the promise: stopped within a second
        sent_then = sum(len(promos(k, u, "Weekend deal")) for u in ids)
        await asyncio.sleep(1.5)
        assert sum(len(promos(k, u, "Weekend deal")) for u in ids) == sent_then < len(ids)
        assert (await k.app.services.campaigns.get(cid)).state == "cancelled"


async def test_the_opt_out_in_a_preview_leaves_the_owner_opted_in(
    kiosk_factory: KioskFactory,
) -> None:
    """The owner's previews carry the recipients' "No more promotions" button; pressed there
    it only says what it does. The same button under a real promotion opts the owner out."""
    async with kiosk_factory() as k:
        await seed_shoppers(k, [ADMIN, 121])  # the owner gets the shop's promotions too
        owner = k.sandbox.user(ADMIN, "Owner")
        cid = await compose(k, "Owner's own sale")
        await owner.press("👁 Preview")
        assert (await k.app.services.campaigns.get(cid)).state == "draft"
        previews = promos(k, ADMIN, "Owner's own sale")
        assert len(previews) == 2  # the composer's, then the card's
        for preview in previews:
            assert preview.button_texts() == ["🔕 No more promotions"]
            await owner.press("🔕 No more promotions", message_id=preview.message_id)
            answer = owner.last_callback_answer or {}
            assert answer.get("show_alert") and "This preview changes nothing" in answer.get(
                "text", ""
            ), owner.transcript()
        user = await k.app.services.users.repo.get_by_telegram_id(ADMIN)
        assert user is not None and user.marketing_opt_in

        await owner.press("🚀 Send now")
        await owner.press("✅ Yes, send now")
        await wait_for(lambda: len(promos(k, ADMIN, "Owner's own sale")) == 3)
        real = promos(k, ADMIN, "Owner's own sale")[-1]
        await owner.press("🔕 No more promotions", message_id=real.message_id)
        assert (owner.last_callback_answer or {}).get("text") == "Promotions off."
        user = await k.app.services.users.repo.get_by_telegram_id(ADMIN)
        assert user is not None and not user.marketing_opt_in
