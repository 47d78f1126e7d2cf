"""The sandbox refuses what Telegram refuses, with Telegram's wording (bot-side only)."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from sandbox import Sandbox

pytestmark = pytest.mark.asyncio
CHAT = 1001


def kb(*rows: list[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=list(rows))


async def test_text_length_limit_is_4096_utf16_units(sb: Sandbox, bot: Bot) -> None:
    sb.user(CHAT)
    msg = await bot.send_message(CHAT, "a" * 4096)
    assert len(msg.text or "") == 4096
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(CHAT, "a" * 4097)
    # 2048 emoji are 4096 UTF-16 code units (2 each) but only 2048 Python characters
    await bot.send_message(CHAT, "😀" * 2048)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(CHAT, "😀" * 2049)
    # the limit applies after entity parsing: markup doesn't count
    await bot.send_message(CHAT, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(CHAT, "<b> </b>", parse_mode="HTML")
    assert [c.description for c in sb.errors] == [
        "Bad Request: message is too long",
        "Bad Request: message is too long",
        "Bad Request: message text is empty",
    ]
    assert sb.errors[0].error_code == 400 and sb.errors[0].method == "sendMessage"


async def test_caption_limit(sb: Sandbox, bot: Bot) -> None:
    sb.user(CHAT)
    photo = BufferedInputFile(b"\xff\xd8jpeg", "p.jpg")
    msg = await bot.send_photo(CHAT, photo, caption="c" * 1024)
    assert msg.photo and len(msg.photo) == 3 and msg.photo[0].file_id.startswith("AgAC")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(CHAT, msg.photo[-1].file_id, caption="😀" * 513)


async def test_entities_are_parsed_with_utf16_offsets(sb: Sandbox, bot: Bot) -> None:
    sb.user(CHAT)
    msg = await bot.send_message(CHAT, "😀 <b>hi</b> &lt;x&gt; &#65;", parse_mode="HTML")
    assert msg.text == "😀 hi <x> A"
    assert msg.entities is not None
    assert [(e.type, e.offset, e.length) for e in msg.entities] == [("bold", 3, 2)]
    msg = await bot.send_message(
        CHAT, "*bold* 1\\.5 [l](https://e.x) `c\\`d`", parse_mode="MarkdownV2"
    )
    assert msg.text == "bold 1.5 l c`d"
    assert [e.type for e in msg.entities or []] == ["bold", "text_link", "code"]


@pytest.mark.parametrize(
    "text",
    [
        "<b>unclosed",
        "<foo>x</foo>",
        "a < b",
        "a & b",
        "<b><i>x</b></i>",
        '<span class="x">s</span>',
        "x</b>",
    ],
)
async def test_bad_html_refused(sb: Sandbox, bot: Bot, text: str) -> None:
    sb.user(CHAT)
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(CHAT, text, parse_mode="HTML")


@pytest.mark.parametrize(
    "text,char", [("Price 1.50", "."), ("a-b", "-"), ("(x)", "("), ("wow!", "!")]
)
async def test_markdown_v2_reserved_chars(sb: Sandbox, bot: Bot, text: str, char: str) -> None:
    sb.user(CHAT)
    with pytest.raises(TelegramBadRequest) as exc:
        await bot.send_message(CHAT, text, parse_mode="MarkdownV2")
    assert f"Character '{char}' is reserved and must be escaped with the preceding '\\'" in str(
        exc.value
    )
    with pytest.raises(TelegramBadRequest, match="Can't find end of Bold entity"):
        await bot.send_message(CHAT, "*open", parse_mode="MarkdownV2")


async def test_callback_data_limit_is_64_bytes(sb: Sandbox, bot: Bot) -> None:
    sb.user(CHAT)
    ok = kb([InlineKeyboardButton(text="ok", callback_data="x" * 64)])
    await bot.send_message(CHAT, "ok", reply_markup=ok)
    for data in ("x" * 65, "é" * 33):  # 33 two-byte characters = 66 bytes
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(
                CHAT, "bad", reply_markup=kb([InlineKeyboardButton(text="b", callback_data=data)])
            )


async def test_keyboard_shape_rules(sb: Sandbox, bot: Bot) -> None:
    sb.user(CHAT)
    row9 = [InlineKeyboardButton(text=str(i), callback_data=str(i)) for i in range(9)]
    with pytest.raises(TelegramBadRequest, match="too many buttons"):
        await bot.send_message(CHAT, "x", reply_markup=kb(row9))
    rows = [[InlineKeyboardButton(text="b", callback_data="d")] * 8] * 13  # 104 buttons
    with pytest.raises(TelegramBadRequest, match="too many buttons"):
        await bot.send_message(CHAT, "x", reply_markup=kb(*rows))
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await bot.send_message(CHAT, "x", reply_markup=kb([InlineKeyboardButton(text="t")]))
    with pytest.raises(TelegramBadRequest, match="BUTTON_URL_INVALID"):
        await bot.send_message(
            CHAT, "x", reply_markup=kb([InlineKeyboardButton(text="t", url="javascript:alert(1)")])
        )
    with pytest.raises(TelegramBadRequest, match="exactly one"):
        await bot.send_message(
            CHAT,
            "x",
            reply_markup=kb(
                [InlineKeyboardButton(text="t", url="https://a.b", callback_data="d")]
            ),
        )
    with pytest.raises(TelegramBadRequest, match="Text must be non-empty"):
        await bot.send_message(
            CHAT, "x", reply_markup=ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="")]])
        )


async def test_edit_rules(sb: Sandbox, bot: Bot) -> None:
    sb.user(CHAT)
    markup = kb([InlineKeyboardButton(text="b", callback_data="d")])
    msg = await bot.send_message(CHAT, "hello", reply_markup=markup)
    with pytest.raises(
        TelegramBadRequest,
        match="message is not modified: specified new "
        "message content and reply markup are exactly the same",
    ):
        await bot.edit_message_text(
            "hello", chat_id=CHAT, message_id=msg.message_id, reply_markup=markup
        )
    edited = await bot.edit_message_text("hello", chat_id=CHAT, message_id=msg.message_id)
    assert isinstance(edited, type(msg)) and edited.reply_markup is None  # markup dropped
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=CHAT, message_id=msg.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=999)
    photo = await bot.send_photo(CHAT, BufferedInputFile(b"img", "p.jpg"), caption="c")
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=photo.message_id)
    await bot.edit_message_caption(chat_id=CHAT, message_id=photo.message_id, caption="c2")
    chat = sb.chat(CHAT)
    assert chat[0].text == "hello" and chat[0].edit_count == 1
    assert chat[-1].caption == "c2"
    assert await bot.delete_message(CHAT, msg.message_id) is True
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(CHAT, msg.message_id)
    assert sb.chat(CHAT)[0].deleted


async def test_unknown_chat_blocked_user_and_routing(sb: Sandbox, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(4242, "hi")
    sb.user(CHAT)
    sb.block(CHAT)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "hi")
    assert sb.stats["403"] == 1
    sb.unblock(CHAT)
    await bot.send_message(CHAT, "hi")
    await bot.send_chat_action(CHAT, "typing")
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(CHAT, "dancing")
    assert sb.stats["sendMessage"] == 3
    other = Bot("999:nope", session=bot.session)
    from aiogram.exceptions import TelegramUnauthorizedError

    with pytest.raises(TelegramUnauthorizedError):
        await other.get_me()
    me = await bot.get_me()
    assert me.username == "kiosk_demo_bot" and me.is_bot


async def test_files_and_media_groups(sb: Sandbox, bot: Bot) -> None:
    from aiogram.types import InputMediaPhoto

    sb.user(CHAT)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_photo(CHAT, "AgACforgedid")
    first = await bot.send_photo(CHAT, "https://example.com/cat.jpg")
    again = await bot.send_photo(CHAT, first.photo[-1].file_id)  # type: ignore[index]
    assert again.photo and again.photo[-1].file_id == first.photo[-1].file_id  # type: ignore
    doc = await bot.send_document(CHAT, BufferedInputFile(b"a,b\n1,2\n", "goods.csv"))
    assert doc.document and doc.document.file_id.startswith("BQAC")
    with pytest.raises(TelegramBadRequest, match="type of file mismatch"):
        await bot.send_photo(CHAT, doc.document.file_id)
    with pytest.raises(TelegramBadRequest, match="wrong number of media"):
        await bot.send_media_group(CHAT, [InputMediaPhoto(media=first.photo[-1].file_id)])
    group = await bot.send_media_group(
        CHAT,
        [
            InputMediaPhoto(media=first.photo[-1].file_id, caption="one"),  # type: ignore[index]
            InputMediaPhoto(media=BufferedInputFile(b"two", "2.jpg")),
        ],
    )
    assert len(group) == 2 and group[0].media_group_id == group[1].media_group_id
    assert group[0].caption == "one"
