"""Method registry plus the non-message methods: updates, webhooks, queries, commands, files.

Handlers share one signature ``(sandbox, bot, params) -> result`` so the dispatcher in core.py
can record, rate-limit and attribute every call uniformly.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from . import members
from . import messages as m
from . import payments as pay
from .models import ApiError, bad
from .state import BotState, QueryRec, WebhookConfig
from .validation import (
    Params,
    check_commands,
    check_inline_keyboard,
    check_menu_button,
    check_secret_token,
    check_text,
    check_web_app,
)

if TYPE_CHECKING:
    from .core import Sandbox

Handler = Callable[["Sandbox", BotState, Params], Awaitable[Any]]
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use "
    "deleteWebhook to delete the webhook first"
)


async def get_me(sb: Sandbox, bot: BotState, p: Params) -> Any:
    return {
        **bot.user_dict(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": True,
    }


async def get_updates(sb: Sandbox, bot: BotState, p: Params) -> Any:
    if bot.webhook is not None:
        raise ApiError(WEBHOOK_CONFLICT, 409)
    offset = p.integer("offset")
    limit = min(100, max(1, p.integer("limit", default=100) or 100))
    timeout = max(0.0, p.number("timeout", 0.0))
    allowed = p.json("allowed_updates")
    if isinstance(allowed, list):
        bot.allowed_updates = allowed or None
    recs = bot.fetch(offset, limit, bot.allowed_updates)
    if not recs and timeout > 0 and not sb.closing:
        try:
            await asyncio.wait_for(bot.new_update.wait(), timeout)
        except TimeoutError:
            pass
        if bot.webhook is not None or sb.closing:
            return []
        recs = bot.fetch(None, limit, bot.allowed_updates)
    for rec in recs:
        rec.delivered.set()
    return [rec.as_dict() for rec in recs]


def _drop(sb: Sandbox, bot: BotState, p: Params) -> None:
    if p.flag("drop_pending_updates"):
        sb.dropped_pending_updates += 1
        bot.drop_all()


async def set_webhook(sb: Sandbox, bot: BotState, p: Params) -> Any:
    url = p.string("url") or ""
    if not url:
        return await delete_webhook(sb, bot, p)
    if not url.startswith(("http://", "https://")):
        raise bad("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.string("secret_token")
    check_secret_token(secret)
    max_conn = p.integer("max_connections", default=40) or 40
    if not 1 <= max_conn <= 100:
        raise bad("bad webhook: max_connections must be between 1 and 100")
    allowed = p.json("allowed_updates")
    _drop(sb, bot, p)
    bot.webhook = WebhookConfig(url, secret, max_conn, allowed if allowed else None)
    bot.new_update.set()  # end any long poll: it must now see the conflict
    if sb.pusher is not None:
        sb.pusher.kick(bot)
    return True


async def delete_webhook(sb: Sandbox, bot: BotState, p: Params) -> Any:
    _drop(sb, bot, p)
    bot.webhook = None
    if sb.pusher is not None:
        sb.pusher.stop_bot(bot)
    return True


async def get_webhook_info(sb: Sandbox, bot: BotState, p: Params) -> Any:
    wh = bot.webhook
    info: dict[str, Any] = {
        "url": wh.url if wh else "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
    }
    if wh:
        info["max_connections"] = wh.max_connections
        if wh.allowed_updates:
            info["allowed_updates"] = wh.allowed_updates
        if wh.last_error_date:
            info["last_error_date"] = wh.last_error_date
            info["last_error_message"] = wh.last_error_message
    return info


def take_query(
    sb: Sandbox, bot: BotState, p: Params, key: str, kind: str, ttl: float | None = None
) -> QueryRec:
    """The open query named by parameter ``key`` (refused when unknown/answered/expired)."""
    return bot.take_query(p.string(key) or "", kind, ttl)


async def answer_callback_query(sb: Sandbox, bot: BotState, p: Params) -> Any:
    q = take_query(sb, bot, p, "callback_query_id", "callback", sb.callback_query_ttl)
    text = p.string("text")
    if text is not None and len(text) > 200:
        raise bad("MESSAGE_TOO_LONG")
    url = p.string("url")
    if url and not url.startswith(("http://", "https://", "tg://", "t.me/")):
        raise bad("URL_INVALID")
    answer = {"text": text, "show_alert": p.flag("show_alert"), "url": url}
    q.answer.set_result(answer)
    user = sb.users.get((bot.token, q.user_id))
    if user is not None:
        user.last_callback_answer = answer
    return True


async def answer_inline_query(sb: Sandbox, bot: BotState, p: Params) -> Any:
    q = take_query(sb, bot, p, "inline_query_id", "inline", sb.callback_query_ttl)
    results = p.json("results")
    if not isinstance(results, list):
        raise bad("can't parse inline query results JSON object")
    if len(results) > 50:
        raise bad("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for r in results:
        rid = str(r.get("id", "")) if isinstance(r, dict) else ""
        if not 1 <= len(rid.encode()) <= 64:
            raise bad("RESULT_ID_INVALID")
        if rid in seen:
            raise bad("RESULT_ID_DUPLICATE")
        seen.add(rid)
        if not r.get("type"):
            raise bad("can't parse InlineQueryResult: type is empty")
        if isinstance(r.get("reply_markup"), dict):
            check_inline_keyboard(r["reply_markup"].get("inline_keyboard"))
        content = r.get("input_message_content")
        if isinstance(content, dict) and "message_text" in content:
            check_text(Params(content, {}), "message_text")
    button = p.json("button")
    if button is not None:
        if not isinstance(button, dict) or not str(button.get("text") or "").strip():
            raise bad("can't parse InlineQueryResultsButton JSON object")
        if button.get("web_app") is not None:
            check_web_app(button["web_app"], "inline query results button")
        elif not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", str(button.get("start_parameter", ""))):
            raise bad("START_PARAM_INVALID")
    next_offset = p.string("next_offset") or ""
    if len(next_offset.encode()) > 64:
        raise bad("NEXT_OFFSET_INVALID")
    q.answer.set_result(
        {
            "results": results,
            "next_offset": next_offset,
            "cache_time": p.integer("cache_time", default=300),
            "is_personal": p.flag("is_personal"),
            "button": button,
        }
    )
    return True


def _scope_key(p: Params) -> tuple[str, str]:
    scope = p.json("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), p.string("language_code") or ""


async def set_my_commands(sb: Sandbox, bot: BotState, p: Params) -> Any:
    bot.commands[_scope_key(p)] = check_commands(p.json("commands"))
    return True


async def get_my_commands(sb: Sandbox, bot: BotState, p: Params) -> Any:
    return bot.commands.get(_scope_key(p), [])


async def delete_my_commands(sb: Sandbox, bot: BotState, p: Params) -> Any:
    bot.commands.pop(_scope_key(p), None)
    return True


async def get_file(sb: Sandbox, bot: BotState, p: Params) -> Any:
    rec = sb.files.by_id.get(p.string("file_id") or "")
    if rec is None:
        raise bad("invalid file_id")
    return {
        "file_id": rec.file_id,
        "file_unique_id": rec.file_unique_id,
        "file_size": rec.file_size,
        "file_path": rec.file_path,
    }


async def get_chat(sb: Sandbox, bot: BotState, p: Params) -> Any:
    chat = bot.chats.get(p.chat_id())
    if chat is None:
        raise bad("chat not found")
    return {
        **chat.chat_dict,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": True,
            "limited_gifts": True,
            "unique_gifts": True,
            "premium_subscription": True,
            "gifts_from_channels": True,
        },
    }


async def set_chat_menu_button(sb: Sandbox, bot: BotState, p: Params) -> Any:
    """The bot's default menu button, or one private chat's (``chat_id``)."""
    button = check_menu_button(p.json("menu_button"))
    if p.has("chat_id"):
        chat_id = p.chat_id()
        if chat_id not in bot.chats:
            raise bad("chat not found")
        bot.chat_menu_buttons[chat_id] = button
    else:
        bot.menu_button = button
    return True


async def get_chat_menu_button(sb: Sandbox, bot: BotState, p: Params) -> Any:
    if p.has("chat_id"):
        return bot.menu_button_for(p.chat_id())
    return bot.menu_button


async def accept(sb: Sandbox, bot: BotState, p: Params) -> Any:
    """Configuration calls with no observable effect in the sandbox."""
    return True


METHODS: dict[str, Handler] = {
    name.lower(): fn
    for name, fn in {
        "getMe": get_me,
        "getUpdates": get_updates,
        "setWebhook": set_webhook,
        "deleteWebhook": delete_webhook,
        "getWebhookInfo": get_webhook_info,
        "sendMessage": m.send_message,
        "sendPhoto": m.send_photo,
        "sendDocument": m.send_document,
        "sendMediaGroup": m.send_media_group,
        "sendChatAction": m.send_chat_action,
        "copyMessage": m.copy_message,
        "createForumTopic": m.create_forum_topic,
        "editMessageText": m.edit_message_text,
        "editMessageCaption": m.edit_message_caption,
        "editMessageReplyMarkup": m.edit_message_reply_markup,
        "editMessageMedia": m.edit_message_media,
        "deleteMessage": m.delete_message,
        "deleteMessages": m.delete_messages,
        "answerCallbackQuery": answer_callback_query,
        "answerInlineQuery": answer_inline_query,
        "sendInvoice": pay.send_invoice,
        "createInvoiceLink": pay.create_invoice_link,
        "answerShippingQuery": pay.answer_shipping_query,
        "answerPreCheckoutQuery": pay.answer_pre_checkout_query,
        "refundStarPayment": pay.refund_star_payment,
        "editUserStarSubscription": pay.edit_user_star_subscription,
        "setMyCommands": set_my_commands,
        "getMyCommands": get_my_commands,
        "deleteMyCommands": delete_my_commands,
        "getFile": get_file,
        "getChat": get_chat,
        "createChatInviteLink": members.create_chat_invite_link,
        "banChatMember": members.ban_chat_member,
        "unbanChatMember": members.unban_chat_member,
        "setChatMenuButton": set_chat_menu_button,
        "getChatMenuButton": get_chat_menu_button,
        "close": accept,
        "logOut": accept,
        "setMyDescription": accept,
        "setMyShortDescription": accept,
        "setMyName": accept,
    }.items()
}

RATE_LIMITED = {
    name
    for name in METHODS
    if name.startswith(("send", "edit", "copy")) and name != "sendchataction"
}
