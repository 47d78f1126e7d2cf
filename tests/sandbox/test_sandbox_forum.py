"""Forum supergroups in the emulator: topics, messages in a topic, posts by group members,
replies in place, and Telegram's refusals around message_thread_id."""

from __future__ import annotations

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, Message

from sandbox import Sandbox
from tests.sandbox.conftest import Runner

pytestmark = pytest.mark.asyncio
GROUP = -1001234567890


async def test_topics_and_messages_in_them(sb: Sandbox, bot: Bot, polling: Runner) -> None:
    await polling(Dispatcher())
    group = sb.group(GROUP, "Shop staff")
    topic = await bot.create_forum_topic(GROUP, "Alice (1001)")
    assert topic.name == "Alice (1001)" and topic.message_thread_id in group.topics
    thread = topic.message_thread_id
    sent = await bot.send_message(GROUP, "hello", message_thread_id=thread)
    assert sent.message_thread_id == thread and sent.is_topic_message
    assert sent.reply_to_message is not None  # a topic's messages answer its first message
    assert sent.reply_to_message.forum_topic_created is not None
    alice = sb.user(1001, "Alice")
    await alice.send_photo(b"\x89PNG fake", caption="broken", expect_reply=False)
    copy = await bot.copy_message(GROUP, 1001, alice.messages[-1].message_id, thread)
    photo = await bot.send_document(
        GROUP, BufferedInputFile(b"%PDF", "a.pdf"), message_thread_id=thread
    )
    in_topic = group.messages(thread)
    assert [m.message_id for m in in_topic][-2:] == [copy.message_id, photo.message_id]
    assert in_topic[-2].photo is not None and in_topic[-2].caption == "broken"


async def test_refusals(sb: Sandbox, bot: Bot) -> None:
    sb.group(GROUP, "Forum")
    sb.group(-1009, "Plain", is_forum=False)
    sb.user(1001, "Alice")
    with pytest.raises(TelegramBadRequest, match="not a forum"):
        await bot.create_forum_topic(-1009, "x")
    with pytest.raises(TelegramBadRequest, match="TOPIC_TITLE_TOO_LONG"):
        await bot.create_forum_topic(GROUP, "x" * 129)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(GROUP, "hi", message_thread_id=777)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(1001, "hi", message_thread_id=1)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.create_forum_topic(-1005, "x")


async def test_members_post_in_topics_and_reply(sb: Sandbox, bot: Bot, polling: Runner) -> None:
    group = sb.group(GROUP, "Shop staff")
    thread = (await bot.create_forum_topic(GROUP, "Alice")).message_thread_id
    seen: list[tuple[int | None, bool | None, int | None]] = []
    dp = Dispatcher()

    @dp.message(F.chat.id == GROUP)
    async def in_group(message: Message) -> None:
        reply = message.reply_to_message
        seen.append(
            (message.message_thread_id, message.is_topic_message, reply and reply.message_id)
        )
        await message.answer("noted")  # aiogram answers in the same topic

    await polling(dp)
    staff = sb.user(9000, "Owner")
    answers = await group.post(staff, "in the topic", thread=thread)
    assert [m.text for m in answers] == ["noted"] and answers[0].message_thread_id == thread
    first = group.messages(thread)[-2]
    await group.post(staff, photo=b"img", caption="look", thread=thread, reply_to=first.message_id)
    assert seen == [(thread, True, thread), (thread, True, first.message_id)]
    assert "Owner: [photo] look" in group.transcript(thread)
