"""User-side actions against a real aiogram Dispatcher, plus rate limits and commands."""

from __future__ import annotations

import asyncio
import io

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.filters import Command, CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from sandbox import NoReply, RateLimits, Sandbox

pytestmark = pytest.mark.asyncio


def menu_bot() -> tuple[Dispatcher, list[str]]:
    dp = Dispatcher()
    seen: list[str] = []

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer(
            "Welcome",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(text="Profile", callback_data="profile"),
                        InlineKeyboardButton(text="Catalog", callback_data="catalog"),
                    ],
                    [InlineKeyboardButton(text="Site", url="https://example.com")],
                ]
            ),
        )

    @dp.callback_query()
    async def any_callback(query: CallbackQuery) -> None:
        seen.append(str(query.data))
        if query.data == "catalog":
            await query.answer()
            assert isinstance(query.message, Message)
            await query.message.edit_text("Catalog: 3 items")
        else:
            await query.answer(f"unknown action {query.data}", show_alert=True)

    @dp.message(Command("silent"))
    async def silent(message: Message) -> None:
        return None

    @dp.message(Command("phone"))
    async def phone(message: Message) -> None:
        await message.answer(
            "Share?",
            reply_markup=ReplyKeyboardMarkup(
                keyboard=[
                    [KeyboardButton(text="Share phone", request_contact=True)],
                    [KeyboardButton(text="Cancel")],
                ],
                resize_keyboard=True,
            ),
        )

    @dp.message(F.contact)
    async def contact(message: Message) -> None:
        assert message.contact is not None and message.from_user is not None
        own = message.contact.user_id == message.from_user.id
        await message.answer(
            f"{'own' if own else 'foreign'} {message.contact.phone_number}",
            reply_markup=ReplyKeyboardRemove(),
        )

    @dp.message(F.text == "Cancel")
    async def cancel(message: Message) -> None:
        await message.answer("Cancelled")

    return dp, seen


async def test_press_and_forged_data_reach_the_bot(sb: Sandbox, polling) -> None:
    dp, seen = menu_bot()
    await polling(dp)
    alice = sb.user(1001, first_name="Alice")
    msgs = await alice.send("/start ref_5")
    assert msgs[0].button_texts() == ["Profile", "Catalog", "Site"]
    assert msgs[0].callback_data("Catalog") == "catalog"
    assert "Kiosk: Welcome\n   [Profile] [Catalog]\n   [Site]\n" in alice.transcript()
    edited = await alice.press("Catalog")
    assert [(m.message_id, m.text, m.edit_count) for m in edited] == [
        (msgs[0].message_id, "Catalog: 3 items", 1)
    ]
    assert alice.last_callback_answer == {"text": None, "show_alert": False, "url": None}
    await alice.press_data("admin:delete_all")
    assert seen == ["catalog", "admin:delete_all"]
    assert alice.last_callback_answer is not None
    assert alice.last_callback_answer["text"] == "unknown action admin:delete_all"
    assert alice.transcript().count("Kiosk:") == 1  # edits replace, they don't append
    assert sb.errors == []


async def test_history_transcript_keeps_every_step(sb: Sandbox, polling) -> None:
    dp, _ = menu_bot()
    await polling(dp)
    alice = sb.user(1001, first_name="Alice")
    await alice.send("/start")
    await alice.press("Catalog")
    await alice.send("x" * 5000, expect_reply=False)
    story = alice.transcript(history=True)
    assert story.index("Kiosk: Welcome") < story.index("Alice ▸ [Catalog]")
    assert story.index("Alice ▸ [Catalog]") < story.index("✎ Kiosk: Catalog: 3 items")
    assert "(5000 characters)" in story and "x" * 200 not in story
    assert "Welcome" not in alice.transcript()  # the current view shows only the edit


async def test_no_reply_raises_with_transcript(sb: Sandbox, polling) -> None:
    dp, _ = menu_bot()
    await polling(dp)
    sb.reply_timeout = 0.3
    bob = sb.user(1002, first_name="Bob")
    with pytest.raises(NoReply) as exc:
        await bob.send("/silent")
    assert "Bob: /silent" in str(exc.value)
    assert await bob.send("/silent", expect_reply=False) == []


async def test_no_reply_when_bot_is_not_running(sb: Sandbox) -> None:
    sb.reply_timeout = 0.2
    with pytest.raises(NoReply, match="did not fetch"):
        await sb.user(1003).send("anyone?")


async def test_reply_keyboard_tap_and_contacts(sb: Sandbox, polling) -> None:
    dp, _ = menu_bot()
    await polling(dp)
    carol = sb.user(1004, first_name="Carol")
    msgs = await carol.send("/phone")
    assert msgs[0].reply_buttons == ["Share phone", "Cancel"]
    msgs = await carol.tap("Share phone")
    assert msgs[0].text == "own +15551234567" and msgs[0].has_keyboard_removed
    msgs = await carol.share_contact("+15550000000", user_id=777)
    assert msgs[0].text == "foreign +15550000000"
    await carol.send("/phone")
    assert [m.text for m in await carol.tap("Cancel")] == ["Cancelled"]


async def test_user_files_round_trip(sb: Sandbox, bot: Bot, polling) -> None:
    dp = Dispatcher()
    got: list[bytes] = []

    @dp.message(F.document)
    async def doc(message: Message, bot: Bot) -> None:
        assert message.document is not None
        file = await bot.get_file(message.document.file_id)
        buf = io.BytesIO()
        await bot.download_file(str(file.file_path), buf)
        got.append(buf.getvalue())
        await message.answer(f"got {message.document.file_name}")

    @dp.message(F.photo)
    async def photo(message: Message, bot: Bot) -> None:
        assert message.photo is not None and len(message.photo) == 3
        data = await bot.download(message.photo[-1].file_id)
        assert data is not None
        got.append(data.read())
        await message.answer_photo(message.photo[-1].file_id, caption=message.caption)

    await polling(dp)
    user = sb.user(1005)
    payload = b"sku,price\nA1,100\n" * 100
    msgs = await user.send_document(payload, file_name="goods.csv", mime_type="text/csv")
    assert msgs[0].text == "got goods.csv"
    msgs = await user.send_photo(b"\x89PNG fake", caption="look")
    assert msgs[0].photo and msgs[0].caption == "look"
    assert got == [payload, b"\x89PNG fake"]
    assert "[photo] look" in user.transcript()


async def test_inline_query_limits(sb: Sandbox, polling) -> None:
    dp = Dispatcher()
    refusals: list[str] = []

    @dp.inline_query()
    async def inline(query: InlineQuery) -> None:
        results = [
            InlineQueryResultArticle(
                id=str(i),
                title=f"{query.query} {i}",
                input_message_content=InputTextMessageContent(message_text=f"item {i}"),
            )
            for i in range(51)
        ]
        try:
            await query.answer(results, cache_time=1)
        except TelegramBadRequest as e:
            refusals.append(e.message)
        await query.answer(results[:50], next_offset="50", is_personal=True)

    await polling(dp)
    answer = await sb.user(1006).inline_query("phone")
    assert len(answer["results"]) == 50 and answer["next_offset"] == "50"
    assert answer["is_personal"] is True
    assert refusals == ["Bad Request: RESULTS_TOO_MUCH"]


async def test_inline_query_unanswered(sb: Sandbox, polling) -> None:
    await polling(Dispatcher())
    sb.reply_timeout = 0.3
    with pytest.raises(NoReply, match="not answered"):
        await sb.user(1007).inline_query("x")


async def test_rate_limits_429(sb: Sandbox, bot: Bot) -> None:
    sb.rate_limits = RateLimits(
        enabled=True, global_per_sec=5, per_chat_per_sec=1, per_chat_burst=3
    )
    now = [1000.0]
    sb._limiter.clock = lambda: now[0]  # frozen time: no refill unless the test advances it
    for uid in range(1, 5):
        sb.user(uid)
    for _ in range(3):
        await bot.send_message(1, "burst")
    with pytest.raises(TelegramRetryAfter) as exc:
        await bot.send_message(1, "too fast")
    assert exc.value.retry_after == 1
    assert sb.errors[-1].error_code == 429
    assert sb.errors[-1].description == "Too Many Requests: retry after 1"
    await bot.send_message(2, "x")
    await bot.send_message(3, "x")
    with pytest.raises(TelegramRetryAfter):  # the global bucket (5/s) is empty now
        await bot.send_message(4, "x")
    assert sb.stats["429"] == 2
    await bot.send_chat_action(4, "typing")  # chat actions aren't limited
    now[0] += 0.5
    await bot.send_message(4, "x")  # 2.5 global tokens refilled
    with pytest.raises(TelegramRetryAfter) as exc:
        await bot.send_message(1, "still too fast")  # chat 1 has only 0.5 token
    assert exc.value.retry_after == 1
    now[0] += 0.5
    await bot.send_message(1, "again")
    sb.rate_limits.enabled = False  # mutable at runtime
    for _ in range(10):
        await bot.send_message(1, "unlimited")


async def test_commands_per_scope_and_language(sb: Sandbox, bot: Bot) -> None:
    cmds = [
        BotCommand(command="start", description="Start"),
        BotCommand(command="cart", description="Cart"),
    ]
    await bot.set_my_commands(cmds)
    await bot.set_my_commands(cmds[:1], language_code="de")
    await bot.set_my_commands(cmds[1:], scope=BotCommandScopeChat(chat_id=5))
    assert [c.command for c in await bot.get_my_commands()] == ["start", "cart"]
    assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["start"]
    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=5))
    assert [c.command for c in scoped] == ["cart"]
    await bot.delete_my_commands(language_code="de")
    assert await bot.get_my_commands(language_code="de") == []
    for bad in ("Start", "a" * 33, "with-dash"):
        with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
            await bot.set_my_commands([BotCommand(command=bad, description="x")])
    with pytest.raises(TelegramBadRequest, match="DESCRIPTION_INVALID"):
        await bot.set_my_commands([BotCommand(command="ok", description="d" * 257)])


async def test_callback_answer_rules(sb: Sandbox, polling, bot: Bot) -> None:
    dp = Dispatcher()
    outcomes: list[str] = []

    @dp.callback_query()
    async def cb(query: CallbackQuery) -> None:
        for text in ("x" * 201, "fine", "twice"):
            try:
                await query.answer(text)
                outcomes.append("ok")
            except TelegramBadRequest as e:
                outcomes.append(e.message)

    await polling(dp)
    user = sb.user(1008)
    await bot.send_message(
        1008,
        "m",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="b", callback_data="d")]]
        ),
    )
    await user.press("b")
    assert outcomes == [
        "Bad Request: MESSAGE_TOO_LONG",
        "ok",
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    ]
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("12345")


async def test_callback_query_expires(sb: Sandbox, polling, bot: Bot) -> None:
    sb.callback_query_ttl = 0.1
    dp = Dispatcher()
    outcomes: list[str] = []

    @dp.callback_query()
    async def slow(query: CallbackQuery) -> None:
        await asyncio.sleep(0.2)
        try:
            await query.answer("late")
        except TelegramBadRequest as e:
            outcomes.append(e.message)
        assert isinstance(query.message, Message)
        await query.message.answer("sorry, slow")

    await polling(dp)
    user = sb.user(1009)
    await bot.send_message(
        1009,
        "m",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="b", callback_data="d")]]
        ),
    )
    await user.press("b")
    assert outcomes == [
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    ]
    assert user.last_callback_answer is None


async def test_a_reply_in_two_parts_is_awaited_until_the_update_is_confirmed(
    sb: Sandbox, bot: Bot
) -> None:
    """A deep link answered by a welcome and, after a lookup slower than the quiet period, the
    card: ``send`` returns both, as the bot confirms the update only once it handled it (the
    CI failure of the console test, where the card came after ``send`` had returned)."""
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Welcome")
        await asyncio.sleep(sb.settle * 4)  # a slow catalogue read
        await message.answer("Green tea — $9.50")

    task = asyncio.create_task(
        dp.start_polling(
            bot,
            handle_signals=False,
            handle_as_tasks=False,  # the next getUpdates (the confirmation) after handling
            polling_timeout=1,
            close_bot_session=False,
        )
    )
    try:
        sam = sb.user(1010, first_name="Sam")
        replies = await sam.send("/start p_1")
        assert [m.text for m in replies] == ["Welcome", "Green tea — $9.50"]
        assert sam.last_bot_message is not None
        assert "$9.50" in sam.last_bot_message.content
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(task, 5)
