"""Campaigns in the console, on SQLite and PostgreSQL: compose (every wrong field named, in
the staff member's language), audience size, the live progress figures, and pause / resume /
cancel honoured by the real delivery engine (a recording sender instead of Telegram)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import FormData

from domain.campaigns.delivery import (
    Blocked,
    Delivery,
    DeliveryConfig,
    DeliveryEngine,
    Failed,
    SendOutcome,
    Sent,
)
from domain.campaigns.markup import MarkupError, preview_html
from domain.users.service import TelegramIdentity
from storage.campaigns.repository import TortoiseDeliveryStore
from tests.web.console import MANAGER_ID, OWNER_ID, Console, ConsoleClient

API = "/console/api/campaigns"
FILE_ID = "AgACAgQ-campaign"


async def shoppers(console: Console, *specs: tuple[int, str, bool]) -> dict[int, int]:
    """(telegram id, language, opted in) -> user id."""
    users = console.services.users
    ids = {}
    for telegram_id, language, opt_in in specs:
        user, _ = await users.seen(TelegramIdentity(telegram_id, "P", language_code=language))
        await users.set_marketing(user.id, opt_in)
        ids[telegram_id] = user.id
    return ids


def form(**fields: str) -> FormData:
    data = FormData()
    for name, value in {"audience_kind": "everyone", "when": "draft", **fields}.items():
        data.add_field(name, value)
    return data


async def compose(client: ConsoleClient, **fields: str) -> tuple[int, Any]:
    return await client.call("POST", API, data=form(**fields))


class Recorder:
    """The delivery engine's sender, block list and progress: Telegram's answers by chat."""

    def __init__(self, answers: dict[int, SendOutcome] | None = None) -> None:
        self.answers = answers or {}
        self.sent: list[int] = []

    async def send(self, delivery: Delivery) -> SendOutcome:
        self.sent.append(delivery.chat_id)
        return self.answers.get(delivery.chat_id, Sent(len(self.sent)))

    async def mark_blocked(self, user_id: int) -> None:
        return None

    async def report(self, campaign_id: int) -> None:
        return None


FAST = DeliveryConfig(
    rate_per_sec=1000, per_chat_interval=0, control_interval=0.01, idle_poll=0.01
)


async def until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(1000):
        if await check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def progress(client: ConsoleClient, campaign_id: int) -> dict[str, Any]:
    status, body = await client.call("GET", f"{API}/{campaign_id}")
    assert status == 200, body
    return dict(body)


# ---- compose ----------------------------------------------------------------------------------


def test_preview_is_telegram_html_made_safe() -> None:
    html = preview_html('<b>Sale</b> &amp; <a href="https://shop.example/?a=1&amp;b=2">go</a>')
    assert html == (
        '<b>Sale</b> &amp; <a href="https://shop.example/?a=1&amp;b=2" target="_blank" '
        'rel="noopener noreferrer">go</a>'
    )
    assert "javascript" not in preview_html('<a href="javascript:alert(1)">x</a>')
    assert preview_html("1 &lt; 2 <tg-spoiler>x</tg-spoiler>") == (
        '1 &lt; 2 <span class="tg-spoiler">x</span>'
    )
    for bad in ("<script>x</script>", "<b>open", "</i>", "a < b", "Tom & Jerry", "<br>"):
        with pytest.raises(MarkupError):
            preview_html(bad)


async def test_compose_names_every_wrong_field_in_the_staff_members_language(
    console: Console,
) -> None:
    await shoppers(console, (MANAGER_ID, "zh", False))  # the manager's profile says Chinese
    manager = await console.client("manager")
    status, body = await compose(
        manager,
        text="<b>Sale</b> <script>x</script>",
        button_kind="product",
        button_value="abc",
        audience_kind="language",
        audience_value="fr",
        when="later",
        send_at="2000-01-01T10:00",
    )
    assert status == 400
    assert set(body["fields"]) == {"text", "button", "audience", "send_at"}
    assert body["fields"]["send_at"] == "该时间已经过去。"
    assert "script" in body["fields"]["text"] and "Telegram" in body["fields"]["text"]
    assert all(not text.isascii() for text in body["fields"].values())  # all in Chinese
    assert await console.services.campaigns.recent(10) == []  # nothing was saved

    status, body = await compose(manager, text="x" * 1025, has_photo="1")
    assert status == 201  # no photo attached: the 4096 limit applies
    status, body = await compose(manager, text="   ")
    assert status == 400 and set(body["fields"]) == {"text"}


async def test_live_preview_and_audience_size(console: Console) -> None:
    await shoppers(
        console, (501, "en", True), (502, "zh", True), (503, "zh", True), (504, "en", False)
    )
    owner = await console.client("owner")
    status, body = await owner.call(
        "POST", f"{API}/preview", data=form(text="<i>Hi</i> &amp; bye", has_photo="0")
    )
    assert status == 200
    assert body == {"html": "<i>Hi</i> &amp; bye", "error": "", "length": 8, "limit": 4096}
    status, body = await owner.call(
        "POST", f"{API}/preview", data=form(text="<b>x", has_photo="1")
    )
    assert body["html"] == "" and "never closed" in body["error"] and body["limit"] == 1024

    sizes = {}
    for query in ("kind=everyone", "kind=language&value=zh", "kind=language&value=en"):
        status, body = await owner.call("GET", f"{API}/audience?{query}")
        assert status == 200, body
        sizes[query] = body["size"]
    assert sizes == {"kind=everyone": 3, "kind=language&value=zh": 2, "kind=language&value=en": 1}
    status, body = await owner.call("GET", f"{API}/audience?kind=inactive&value=0")
    assert status == 400 and "between 1 and 3650" in body["message"]


async def test_a_photo_is_uploaded_to_the_staff_members_chat_for_its_file_id(
    console: Console,
) -> None:
    from aiogram.types import Chat, Message, PhotoSize

    session = console.session
    original = session.make_request

    async def answer(bot: Any, method: Any, timeout: int | None = None) -> Any:  # noqa: ASYNC109
        if method.__api_method__ == "sendPhoto":
            session.calls.append(method)
            return Message(
                message_id=5,
                date=datetime.now(UTC),
                chat=Chat(id=method.chat_id, type="private"),
                photo=[
                    PhotoSize(file_id="AgACAgQ-campaign", file_unique_id="u", width=1, height=1)
                ],
            )
        return await original(bot, method, timeout)

    session.make_request = answer  # type: ignore[method-assign]
    owner = await console.client("owner")
    data = form(text="<b>New in!</b>", when="draft")
    data.add_field("photo", b"\xff\xd8\xff\xe0 jpeg", filename="a.jpg", content_type="image/jpeg")
    status, body = await owner.call("POST", API, data=data)
    assert status == 201, body
    sent = [c for c in session.calls if c.__api_method__ == "sendPhoto"]
    assert len(sent) == 1 and sent[0].chat_id == OWNER_ID
    campaign = await console.services.campaigns.get(body["id"])
    assert campaign.draft.photo_file_id == FILE_ID

    bad = form(text="x")
    bad.add_field("photo", b"GIF89a", filename="a.gif", content_type="image/gif")
    status, body = await owner.call("POST", API, data=bad)
    assert status == 400 and set(body["fields"]) == {"photo"}
    long_caption = form(text="y" * 1025)
    long_caption.add_field("photo", b"\xff\xd8", filename="b.jpg", content_type="image/jpeg")
    status, body = await owner.call("POST", API, data=long_caption)
    assert status == 400 and "1024" in body["fields"]["text"]
    assert len([c for c in session.calls if c.__api_method__ == "sendPhoto"]) == 1


async def test_schedule_in_the_shops_time_zone_and_pages(console: Console) -> None:
    owner = await console.client("owner")
    tz = ZoneInfo(console.services.shop.timezone)
    local = (datetime.now(UTC) + timedelta(days=2)).astimezone(tz).replace(second=0, microsecond=0)
    status, body = await compose(
        owner, text="Later", when="later", send_at=local.strftime("%Y-%m-%dT%H:%M")
    )
    assert status == 201 and body["state"] == "scheduled"
    campaign = await console.services.campaigns.get(body["id"])
    assert campaign.scheduled_at == local.astimezone(UTC)

    status, html = await owner.page("/console/campaigns")
    assert status == 200 and f'data-campaign-id="{campaign.id}"' in html
    status, html = await owner.page(f"/console/campaigns/{campaign.id}")
    assert status == 200 and 'data-state="scheduled"' in html
    status, html = await owner.page("/console/campaigns/new")
    assert status == 200 and 'data-testid="compose-form"' in html
    status, _ = await owner.page("/console/campaigns/999999")
    assert status == 404


# ---- delivery ---------------------------------------------------------------------------------


async def test_progress_figures_follow_the_delivery(console: Console) -> None:
    ids = await shoppers(console, (601, "en", True), (602, "en", True), (603, "en", True))
    owner = await console.client("owner")
    status, body = await compose(
        owner, text="<b>Sale</b>", button_kind="coupon", button_value="save10", when="now"
    )
    assert status == 201 and body["state"] == "running"
    campaign_id = body["id"]
    before = await progress(owner, campaign_id)
    assert (before["total"], before["percent"], before["waiting"]) == (3, 0, 3)
    assert before["controls"] == ["cancel", "pause"]

    recorder = Recorder({602: Blocked("bot was blocked"), 603: Failed("bad", retryable=False)})
    engine = DeliveryEngine(TortoiseDeliveryStore(), recorder, recorder, recorder, FAST)
    task = asyncio.create_task(engine.run())
    try:

        async def finished() -> bool:
            return (await progress(owner, campaign_id))["state"] == "done"

        await until(finished, "the campaign finished")
    finally:
        await engine.stop()
        await task
    await console.services.campaigns.click(campaign_id, ids[601])
    await console.services.campaigns.click(campaign_id, ids[601])  # counted once
    after = await progress(owner, campaign_id)
    figures = {k: after[k] for k in ("percent", "sent", "blocked", "failed", "clicks", "waiting")}
    assert figures == {
        "percent": 100,
        "sent": 1,
        "blocked": 1,
        "failed": 1,
        "clicks": 1,
        "waiting": 0,
    }
    assert after["controls"] == [] and after["live"] is False


async def test_pause_resume_and_cancel_are_honoured_by_delivery(console: Console) -> None:
    await shoppers(console, *((700 + i, "en", True) for i in range(6)))
    manager = await console.client("manager")  # campaigns are a manager's job, as in chat
    _, first = await compose(manager, text="First", when="now")
    _, second = await compose(manager, text="Second", when="now")
    for campaign_id in (first["id"], second["id"]):
        status, body = await manager.call("POST", f"{API}/{campaign_id}/pause")
        assert (
            status == 200
            and body["state"] == "paused"
            and body["controls"]
            == [
                "cancel",
                "resume",
            ]
        )
    status, body = await manager.call("POST", f"{API}/{first['id']}/pause")
    assert status == 409 and "paused" in body["message"]  # the chat's own transition table

    recorder = Recorder()
    engine = DeliveryEngine(TortoiseDeliveryStore(), recorder, recorder, recorder, FAST)
    task = asyncio.create_task(engine.run())
    try:
        await asyncio.sleep(0.2)  # the engine polls its running campaigns: none are
        assert recorder.sent == []
        status, body = await manager.call("POST", f"{API}/{second['id']}/cancel")
        assert status == 200 and body["state"] == "cancelled" and body["live"] is False
        status, body = await manager.call("POST", f"{API}/{first['id']}/resume")
        assert status == 200 and body["state"] == "running"

        async def first_done() -> bool:
            return (await progress(manager, first["id"]))["state"] == "done"

        await until(first_done, "the resumed campaign finished")
    finally:
        await engine.stop()
        await task
    assert sorted(recorder.sent) == [700 + i for i in range(6)]  # the first, once each
    cancelled = await progress(manager, second["id"])
    assert (cancelled["sent"], cancelled["waiting"], cancelled["state"]) == (0, 6, "cancelled")
    status, body = await manager.call("POST", f"{API}/{second['id']}/resume")
    assert status == 409


async def test_controls_need_the_csrf_token_and_staff(console: Console) -> None:
    owner = await console.client("owner")
    _, body = await compose(owner, text="Hello")
    campaign_id = body["id"]
    status, _ = await owner.call("POST", f"{API}/{campaign_id}/send", csrf=False)
    assert status == 403
    shopper = await console.client("shopper")
    status, _ = await shopper.call("POST", f"{API}/{campaign_id}/send")
    assert status == 401
    assert (await console.services.campaigns.get(campaign_id)).state.value == "draft"
