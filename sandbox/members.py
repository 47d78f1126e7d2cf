"""Members of the groups and channels the bot administers: invite links and removals.

`createChatInviteLink` makes a link (optionally for `member_limit` people, until `expire_date`);
a simulated user joins with `SandboxUser.join_chat(link)`, refused like Telegram refuses an
expired, used-up or revoked link, or a user banned from the chat. `banChatMember` removes a
member and keeps them out; `unbanChatMember` lets them join again (and, without
`only_if_banned`, removes a current member: Telegram's "kick").
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from .models import SandboxError, bad
from .state import BotState, ChatState
from .validation import Params

if TYPE_CHECKING:
    from .core import Sandbox

MAX_MEMBER_LIMIT = 99999
MAX_LINK_NAME = 32


def _managed_chat(bot: BotState, p: Params) -> ChatState:
    """A group or channel the bot is an admin of (the sandbox's groups and channels are)."""
    chat = bot.chats.get(p.chat_id())
    if chat is None:
        raise bad("chat not found")
    if chat.chat_dict.get("type") not in ("supergroup", "channel", "group"):
        raise bad("method is available for supergroup and channel chats only")
    return chat


async def create_chat_invite_link(sb: Sandbox, bot: BotState, p: Params) -> Any:
    chat = _managed_chat(bot, p)
    name = p.string("name") or ""
    if len(name) > MAX_LINK_NAME:
        raise bad("invite link name is too long")
    limit = p.integer("member_limit")
    if limit is not None and not 1 <= limit <= MAX_MEMBER_LIMIT:
        raise bad("member limit must be between 1 and 99999")
    if limit is not None and p.flag("creates_join_request"):
        raise bad("member limit can't be specified for links requiring administrator approval")
    expire = p.integer("expire_date")
    if expire is not None and expire <= int(time.time()):
        raise bad("EXPIRE_DATE_INVALID")
    link: dict[str, Any] = {
        "invite_link": "https://t.me/+" + secrets.token_urlsafe(12),
        "creator": {"id": bot.bot_id, "is_bot": True, "first_name": bot.first_name},
        "creates_join_request": p.flag("creates_join_request"),
        "is_primary": False,
        "is_revoked": False,
    }
    if name:
        link["name"] = name
    if expire is not None:
        link["expire_date"] = expire
    if limit is not None:
        link["member_limit"] = limit
    chat.invite_links[link["invite_link"]] = {**link, "used": 0}
    return link


def _user_id(p: Params, bot: BotState) -> int:
    user_id = p.integer("user_id", required=True)
    assert user_id is not None
    if user_id == bot.bot_id:
        raise bad("can't remove self")
    return user_id


async def ban_chat_member(sb: Sandbox, bot: BotState, p: Params) -> Any:
    chat = _managed_chat(bot, p)
    user_id = _user_id(p, bot)
    chat.members.discard(user_id)
    chat.banned.add(user_id)
    return True


async def unban_chat_member(sb: Sandbox, bot: BotState, p: Params) -> Any:
    chat = _managed_chat(bot, p)
    user_id = _user_id(p, bot)
    if user_id in chat.banned:
        chat.banned.discard(user_id)
    elif not p.flag("only_if_banned"):
        chat.members.discard(user_id)  # "the user is not a member after the call"
    return True


def join(chat: ChatState, user_id: int, link: str) -> None:
    """A user opens `link` and joins, or is refused as Telegram's client would show."""
    info = chat.invite_links[link]
    if info["is_revoked"]:
        raise SandboxError("INVITE_HASH_EXPIRED: the link was revoked")
    if "expire_date" in info and info["expire_date"] <= int(time.time()):
        raise SandboxError("INVITE_HASH_EXPIRED: the link has expired")
    if "member_limit" in info and info["used"] >= info["member_limit"]:
        raise SandboxError("USERS_TOO_MUCH: the link was used by as many as it allows")
    if user_id in chat.banned:
        raise SandboxError("USER_BANNED_IN_CHANNEL")
    if user_id in chat.members:
        raise SandboxError("USER_ALREADY_PARTICIPANT")
    info["used"] += 1
    chat.members.add(user_id)


def chat_of_link(bot: BotState, link: str) -> ChatState:
    for chat in bot.chats.values():
        if link in chat.invite_links:
            return chat
    raise SandboxError(f"INVITE_HASH_INVALID: {link} is no invite link of this bot's chats")
