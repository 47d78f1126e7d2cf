"""Channel membership in the emulator: single-use invite links (createChatInviteLink with
member_limit), Telegram's refusals of bad links and joins, and removing a member with
banChatMember + unbanChatMember (a kick: they can join again with a new link)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest

from sandbox import Sandbox
from sandbox.models import SandboxError

pytestmark = pytest.mark.asyncio
CHANNEL = -1001234500001


async def test_single_use_links_and_a_kick(sb: Sandbox, bot: Bot) -> None:
    channel = sb.channel(CHANNEL, "Insiders")
    alice, bob = sb.user(2101, "Alice"), sb.user(2102, "Bob")
    until = datetime.now(UTC) + timedelta(days=30)
    link = await bot.create_chat_invite_link(
        CHANNEL, name="member 2101", expire_date=until, member_limit=1
    )
    assert link.member_limit == 1 and link.invite_link.startswith("https://t.me/+")
    assert link.expire_date is not None and abs(link.expire_date - until) < timedelta(seconds=1)
    assert alice.join_chat(link.invite_link) == CHANNEL
    with pytest.raises(SandboxError, match="USERS_TOO_MUCH"):
        bob.join_chat(link.invite_link)  # one person only
    assert channel.members == {2101}
    # The kick: banned (removed, kept out) then unbanned (may come back with a new link).
    assert await bot.ban_chat_member(CHANNEL, 2101)
    assert channel.members == set()
    again = await bot.create_chat_invite_link(CHANNEL, member_limit=1)
    with pytest.raises(SandboxError, match="USER_BANNED"):
        alice.join_chat(again.invite_link)
    assert await bot.unban_chat_member(CHANNEL, 2101, only_if_banned=True)
    alice.join_chat(again.invite_link)
    assert channel.members == {2101}
    # unbanChatMember without only_if_banned removes a current member too (Telegram's rule).
    assert await bot.unban_chat_member(CHANNEL, 2101)
    assert channel.members == set()


async def test_what_telegram_refuses(sb: Sandbox, bot: Bot) -> None:
    sb.channel(CHANNEL, "Insiders")
    sb.user(2103, "Carol")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.create_chat_invite_link(-1009999999999, member_limit=1)
    with pytest.raises(TelegramBadRequest, match="supergroup and channel chats only"):
        await bot.create_chat_invite_link(2103, member_limit=1)
    with pytest.raises(TelegramBadRequest, match="member limit"):
        await bot.create_chat_invite_link(CHANNEL, member_limit=0)
    with pytest.raises(TelegramBadRequest, match="member limit"):
        await bot.create_chat_invite_link(CHANNEL, member_limit=100000)
    with pytest.raises(TelegramBadRequest, match="EXPIRE_DATE_INVALID"):
        await bot.create_chat_invite_link(
            CHANNEL, expire_date=datetime.now(UTC) - timedelta(minutes=1)
        )
    with pytest.raises(TelegramBadRequest, match="too long"):
        await bot.create_chat_invite_link(CHANNEL, name="x" * 33)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.ban_chat_member(-1009999999999, 2103)
    with pytest.raises(TelegramBadRequest, match="supergroup and channel chats only"):
        await bot.ban_chat_member(2103, 2103)
    with pytest.raises(SandboxError, match="INVITE_HASH_INVALID"):
        sb.user(2103, "Carol").join_chat("https://t.me/+nothing")
    assert [c.method for c in sb.errors] != []  # each refusal recorded like Telegram's
