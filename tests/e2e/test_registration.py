"""/start, deep links, help and bad input, through the sandbox as a real user would."""

from __future__ import annotations

from aiogram.types import Update

from demo.harness import Sandboxed
from storage.models import UserRow


async def test_start_registers_and_greets(kiosk: Sandboxed) -> None:
    alice = kiosk.sandbox.user(1001, "Alice", username="alice", language_code="en")
    replies = await alice.send("/start")
    assert "Welcome to Kiosk, Alice!" in replies[0].content
    buttons = replies[0].button_texts()
    assert {"🛍 Catalog", "👤 Profile", "🌐 Language", "❓ Help"} <= set(buttons)
    row = await UserRow.get(telegram_id=1001)
    assert (row.first_name, row.username, row.telegram_language) == ("Alice", "alice", "en")
    again = await alice.send("/start")
    assert "Welcome back, Alice!" in again[0].content
    assert await UserRow.filter(telegram_id=1001).count() == 1


async def test_chinese_telegram_users_are_greeted_in_chinese(kiosk: Sandboxed) -> None:
    wang = kiosk.sandbox.user(1002, "小王", language_code="zh-hans")
    replies = await wang.send("/start")
    assert "欢迎来到 Kiosk，小王！" in replies[0].content
    assert "👤 个人资料" in replies[0].button_texts()


async def test_referral_deep_link_records_the_referrer_once(kiosk: Sandboxed) -> None:
    bob = kiosk.sandbox.user(1002, "Bob")
    await bob.send("/start")
    code = (await UserRow.get(telegram_id=1002)).referral_code
    alice = kiosk.sandbox.user(1001, "Alice")
    replies = await alice.send(f"/start ref_{code}")
    assert "invitation from a friend" in replies[0].content
    bob_row = await UserRow.get(telegram_id=1002)
    assert (await UserRow.get(telegram_id=1001)).referrer_id == bob_row.id  # type: ignore[attr-defined]
    # A second link (from someone else, or the same) changes nothing.
    carol = kiosk.sandbox.user(1003, "Carol")
    await carol.send("/start")
    carol_code = (await UserRow.get(telegram_id=1003)).referral_code
    await alice.send(f"/start ref_{carol_code}")
    assert (await UserRow.get(telegram_id=1001)).referrer_id == bob_row.id  # type: ignore[attr-defined]


async def test_self_and_unknown_referrals_get_a_clear_answer(kiosk: Sandboxed) -> None:
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/start")
    own = (await UserRow.get(telegram_id=1001)).referral_code
    replies = await alice.send(f"/start ref_{own}")
    assert "your own invitation link" in replies[0].content
    newcomer = kiosk.sandbox.user(1004, "Dan")
    replies = await newcomer.send("/start ref_zzzzzzzz")
    assert "isn't valid, but you're welcome" in replies[0].content
    assert await UserRow.filter(referrer_id__not_isnull=True).count() == 0


async def test_malformed_and_foreign_payloads(kiosk: Sandboxed) -> None:
    alice = kiosk.sandbox.user(1001, "Alice")
    for payload in ["<script>", "ref_x' OR 1=1 --", "p_0", "x" * 80, "utm_source=ads"]:
        replies = await alice.send(f"/start {payload}")
        texts = [m.content for m in replies]
        assert any("Welcome" in t for t in texts)
        assert any("link isn't valid" in t for t in texts), texts
    replies = await alice.send("/start p_424242")
    assert any("product isn't available" in m.content for m in replies)


async def test_help_unknown_commands_and_free_text(kiosk: Sandboxed) -> None:
    alice = kiosk.sandbox.user(1001, "Alice")
    assert "/profile" in (await alice.send("/help"))[0].content
    assert "don't know that command" in (await alice.send("/frobnicate"))[0].content
    # Free text outside a dialog is a product search; odd input gets an answer, not a crash.
    long_text = "🙂 long message " * 340  # > 5,000 characters
    assert len(long_text) > 5000
    for text in ["hello there", long_text, "مرحبا بالعالم 👋", "🙂🙂🙂"]:
        replies = await alice.send(text)
        assert replies and replies[0].content, text
        assert "Sorry, something went wrong" not in replies[0].content


async def test_forged_and_stale_callbacks(kiosk: Sandboxed) -> None:
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/start")
    for data in [
        "pf:unknown_action",
        "ad:view:not-a-number",
        "garbage",
        "m:nowhere",
        "lang:xx",
        "ad:view:99999999999999999999",
    ]:
        await alice.press_data(data)
        answer = alice.last_callback_answer
        assert answer is not None and "no longer active" in answer["text"], (data, answer)


async def test_the_same_update_twice_is_handled_once(kiosk: Sandboxed) -> None:
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/start")
    sent_before = len(alice.bot_messages)
    update = Update.model_validate(
        {
            "update_id": 900_000_001,
            "message": {
                "message_id": 999,
                "date": 1_700_000_000,
                "chat": {"id": 1001, "type": "private", "first_name": "Alice"},
                "from": {"id": 1001, "is_bot": False, "first_name": "Alice"},
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
    )
    for _ in range(2):
        await kiosk.app.dp.feed_update(kiosk.app.bot, update)
    assert len(alice.bot_messages) == sent_before + 1


async def test_commands_menu_is_set_per_language(kiosk: Sandboxed) -> None:
    calls = [c for c in kiosk.sandbox.calls if c.method.lower() == "setmycommands"]
    languages = {c.params.get("language_code") for c in calls}
    assert {None, "en", "zh"} <= languages
    zh = next(c for c in calls if c.params.get("language_code") == "zh")
    assert "主菜单" in str(zh.params["commands"])
