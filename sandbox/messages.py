"""Bot API methods that create, edit or delete messages in a chat.

Each handler validates like Telegram (see validation.py), mutates the chat and returns the
Message JSON aiogram deserializes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .models import ApiError, SandboxMessage, bad
from .state import BotState, ChatState, FileRec, new_id
from .validation import Params, check_reply_markup, check_text, markup_for_message

if TYPE_CHECKING:
    from .core import Sandbox

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}


def open_chat(sb: Sandbox, bot: BotState, chat_id: int) -> ChatState:
    """The private chat ``chat_id`` or Telegram's refusal (unknown chat / blocked bot)."""
    chat = bot.chats.get(chat_id)
    if chat is None:
        raise bad("chat not found")
    if chat_id in sb.blocked:
        raise ApiError("Forbidden: bot was blocked by the user", 403)
    return chat


def build_raw(msg: SandboxMessage, chat: ChatState, sender: dict[str, Any]) -> dict[str, Any]:
    """The Message JSON for ``msg`` in its current state."""
    raw: dict[str, Any] = {
        "message_id": msg.message_id,
        "date": msg.date,
        "chat": chat.chat_dict,
        "from": sender,
    }
    if msg.text is not None:
        raw["text"] = msg.text
        if msg.entities:
            raw["entities"] = msg.entities
    if msg.caption is not None:
        raw["caption"] = msg.caption
        if msg.entities:
            raw["caption_entities"] = msg.entities
    for key in (
        "photo",
        "document",
        "contact",
        "invoice",
        "successful_payment",
        "media_group_id",
        "message_thread_id",
        "forum_topic_created",
    ):
        value = getattr(msg, key)
        if value is not None:
            raw[key] = value
    if msg.message_thread_id is not None:
        raw["is_topic_message"] = True
    target = chat.messages.get(msg.reply_to_message_id or 0)
    if target is not None:
        raw["reply_to_message"] = {k: v for k, v in target.raw.items() if k != "reply_to_message"}
    markup = markup_for_message(msg.reply_markup)
    if markup:
        raw["reply_markup"] = markup
    if msg.edit_count:
        raw["edit_date"] = int(time.time())
    return raw


def add_message(
    sb: Sandbox,
    bot: BotState,
    chat: ChatState,
    from_bot: bool,
    sender: dict[str, Any],
    **fields: Any,
) -> SandboxMessage:
    msg = SandboxMessage(
        message_id=chat.take_id(),
        chat_id=chat.chat_id,
        from_bot=from_bot,
        date=int(time.time()),
        **fields,
    )
    msg.raw = build_raw(msg, chat, sender)
    chat.add(msg, sb.next_seq())
    if from_bot and msg.reply_markup:
        if "keyboard" in msg.reply_markup:
            chat.reply_keyboard = msg.reply_markup
        elif msg.reply_markup.get("remove_keyboard"):
            chat.reply_keyboard = None
    return msg


def bot_says(sb: Sandbox, bot: BotState, chat: ChatState, **fields: Any) -> SandboxMessage:
    return add_message(sb, bot, chat, True, bot.user_dict(), **fields)


def reply_target(chat: ChatState, p: Params) -> int | None:
    """reply_parameters / reply_to_message_id must name an existing message of the chat."""
    params = p.json("reply_parameters")
    if isinstance(params, dict):
        mid, lenient = params.get("message_id"), bool(params.get("allow_sending_without_reply"))
    else:
        mid, lenient = p.integer("reply_to_message_id"), p.flag("allow_sending_without_reply")
    if mid is None:
        return None
    target = chat.messages.get(int(mid))
    if target is None or target.deleted:
        if lenient:
            return None
        raise bad("message to be replied not found")
    return target.message_id


def thread_of(chat: ChatState, p: Params) -> dict[str, Any]:
    """message_thread_id must name a topic of a forum supergroup (Telegram refuses it in other
    chats); a message in a topic without a reply of its own answers the topic's first message.
    """
    thread = p.integer("message_thread_id")
    if thread is None:
        return {}
    if not chat.is_forum or thread not in chat.topics:
        raise bad("message thread not found")
    return {"message_thread_id": thread}


def in_thread(fields: dict[str, Any], thread: dict[str, Any]) -> dict[str, Any]:
    if thread and fields.get("reply_to_message_id") is None:
        fields["reply_to_message_id"] = thread["message_thread_id"]
    return {**fields, **thread}


def resolve_file(sb: Sandbox, p: Params, value: Any, kind: str, name: str) -> FileRec:
    """A file argument: an upload (attach://x or the field itself), a known file_id or a URL."""
    upload = None
    if isinstance(value, str) and value.startswith("attach://"):
        upload = p.files.get(value[len("attach://") :])
        if upload is None:
            raise bad("wrong file identifier/HTTP URL specified")
    elif value is None or value == "":
        upload = p.files.get(name)
        if upload is None:
            raise bad(f"there is no {kind} in the request")
    if upload is not None:
        return new_file(sb, kind, upload[0], upload[1], upload[2])
    value = str(value)
    if value.startswith(("http://", "https://")):
        return new_file(sb, kind, None, value.rsplit("/", 1)[-1] or "file", None)
    rec = sb.files.by_id.get(value)
    if rec is None:
        raise bad("wrong file identifier/HTTP URL specified")
    if rec.kind != kind:
        raise bad("type of file mismatch")
    return rec


def new_file(
    sb: Sandbox, kind: str, content: bytes | None, file_name: str, mime_type: str | None
) -> FileRec:
    if kind == "photo":
        sizes = sb.files.photo_sizes(content)
        rec = sb.files.by_id[sizes[-1]["file_id"]]
        for size in sizes:
            sb.files.by_id[size["file_id"]].meta = sizes
            sb.files.by_id[size["file_id"]].kind = "photo"
        return rec
    ext = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
    rec = sb.files.add(content, "documents", ext, "BQAC")
    rec.meta = {
        "file_id": rec.file_id,
        "file_unique_id": rec.file_unique_id,
        "file_name": file_name,
        "mime_type": mime_type or "application/octet-stream",
        "file_size": rec.file_size,
    }
    return rec


def _media_fields(rec: FileRec) -> dict[str, Any]:
    return {"photo": list(rec.meta)} if rec.kind == "photo" else {"document": dict(rec.meta)}


async def send_message(sb: Sandbox, bot: BotState, p: Params) -> Any:
    chat = open_chat(sb, bot, p.chat_id())
    thread = thread_of(chat, p)
    text, entities = check_text(p)
    markup = check_reply_markup(p)
    reply = reply_target(chat, p)
    fields: dict[str, Any] = {"text": text, "entities": entities, "reply_markup": markup}
    fields["reply_to_message_id"] = reply
    return bot_says(sb, bot, chat, **in_thread(fields, thread)).raw


async def _send_media(sb: Sandbox, bot: BotState, p: Params, kind: str) -> Any:
    chat = open_chat(sb, bot, p.chat_id())
    thread = thread_of(chat, p)
    caption, entities = check_text(p, "caption", "caption_entities", caption=True)
    markup = check_reply_markup(p)
    reply = reply_target(chat, p)
    rec = resolve_file(sb, p, p.raw(kind), kind, kind)
    fields = {
        "caption": caption,
        "entities": entities,
        "reply_markup": markup,
        "reply_to_message_id": reply,
        **_media_fields(rec),
    }
    return bot_says(sb, bot, chat, **in_thread(fields, thread)).raw


async def send_photo(sb: Sandbox, bot: BotState, p: Params) -> Any:
    return await _send_media(sb, bot, p, "photo")


async def send_document(sb: Sandbox, bot: BotState, p: Params) -> Any:
    return await _send_media(sb, bot, p, "document")


def _input_media(
    sb: Sandbox, p: Params, item: Any
) -> tuple[dict[str, Any], str | None, list[Any] | None]:
    if not isinstance(item, dict) or item.get("type") not in ("photo", "document"):
        raise bad("unsupported media type (sandbox supports photo and document)")
    sub = Params(
        {
            "caption": item.get("caption"),
            "parse_mode": item.get("parse_mode"),
            "caption_entities": item.get("caption_entities"),
        },
        {},
    )
    caption, entities = check_text(sub, "caption", "caption_entities", caption=True)
    rec = resolve_file(sb, p, item.get("media"), item["type"], "media")
    return _media_fields(rec), caption, entities


async def send_media_group(sb: Sandbox, bot: BotState, p: Params) -> Any:
    chat = open_chat(sb, bot, p.chat_id())
    media = p.json("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad(
            "wrong number of media specified"
            if isinstance(media, list)
            else "can't parse media JSON object"
        )
    kinds = {m.get("type") for m in media if isinstance(m, dict)}
    if "document" in kinds and len(kinds) > 1:
        raise bad("document can't be mixed with other media types")
    reply = reply_target(chat, p)
    prepared = [_input_media(sb, p, m) for m in media]  # validate all before sending any
    group = str(new_id("", 9).encode().hex()[:18])
    return [
        bot_says(
            sb,
            bot,
            chat,
            caption=c,
            entities=e,
            media_group_id=group,
            reply_to_message_id=reply,
            **f,
        ).raw
        for f, c, e in prepared
    ]


async def send_chat_action(sb: Sandbox, bot: BotState, p: Params) -> Any:
    open_chat(sb, bot, p.chat_id())
    if p.string("action") not in _CHAT_ACTIONS:
        raise bad("wrong parameter action in request")
    return True


async def copy_message(sb: Sandbox, bot: BotState, p: Params) -> Any:
    chat = open_chat(sb, bot, p.chat_id())
    thread = thread_of(chat, p)
    src_chat = bot.chats.get(p.integer("from_chat_id", required=True) or 0)
    src = src_chat.messages.get(p.integer("message_id", required=True) or 0) if src_chat else None
    if src is None or src.deleted:
        raise bad("message to copy not found")
    fields: dict[str, Any] = {k: getattr(src, k) for k in ("text", "photo", "document", "contact")}
    fields["entities"] = src.entities
    if src.caption is not None or p.has("caption"):
        caption, entities = check_text(p, "caption", "caption_entities", caption=True)
        fields.update(
            caption=caption if p.has("caption") else src.caption,
            entities=entities if p.has("caption") else src.entities,
        )
    fields["reply_markup"] = check_reply_markup(p)
    fields["reply_to_message_id"] = reply_target(chat, p)
    msg = bot_says(sb, bot, chat, **in_thread(fields, thread))
    return {"message_id": msg.message_id}


_TOPIC_COLORS = {7322096, 16766590, 13338331, 9367192, 16749490, 16478047}


async def create_forum_topic(sb: Sandbox, bot: BotState, p: Params) -> Any:
    """A topic in a forum supergroup: its id is the id of the service message opening it."""
    chat = open_chat(sb, bot, p.chat_id())
    if not chat.is_forum:
        raise bad("the chat is not a forum")
    name = p.string("name") or ""
    if not 1 <= len(name) <= 128:
        raise bad("TOPIC_TITLE_EMPTY" if not name else "TOPIC_TITLE_TOO_LONG")
    color = p.integer("icon_color", default=7322096)
    if color not in _TOPIC_COLORS:
        raise bad("TOPIC_ICON_COLOR_INVALID")
    topic = {"name": name, "icon_color": color}
    mid = chat.next_message_id
    chat.topics[mid] = {"message_thread_id": mid, **topic}
    bot_says(sb, bot, chat, forum_topic_created=topic, message_thread_id=mid)
    return dict(chat.topics[mid])


def find_own_message(sb: Sandbox, bot: BotState, p: Params) -> tuple[ChatState, SandboxMessage]:
    if p.has("inline_message_id") and not p.has("chat_id"):
        raise bad("MESSAGE_ID_INVALID")
    chat = open_chat(sb, bot, p.chat_id())
    msg = chat.messages.get(p.integer("message_id", required=True) or 0)
    if msg is None or msg.deleted or not msg.from_bot:
        raise bad("message to edit not found")
    return chat, msg


def _apply_edit(
    sb: Sandbox, bot: BotState, chat: ChatState, msg: SandboxMessage, changes: dict[str, Any]
) -> Any:
    current = {k: getattr(msg, k) for k in changes}
    if "reply_markup" in changes:
        current["reply_markup"] = markup_for_message(msg.reply_markup)
        changes["reply_markup"] = markup_for_message(changes["reply_markup"])
    if "entities" in current:
        current["entities"] = current["entities"] or None
        changes["entities"] = changes["entities"] or None
    if current == changes:
        raise bad(NOT_MODIFIED)
    for k, v in changes.items():
        setattr(msg, k, v)
    msg.edit_count += 1
    msg.raw = build_raw(msg, chat, bot.user_dict())
    chat.touch(msg, sb.next_seq())
    return msg.raw


async def edit_message_text(sb: Sandbox, bot: BotState, p: Params) -> Any:
    chat, msg = find_own_message(sb, bot, p)
    if msg.text is None:
        raise bad("there is no text in the message to edit")
    text, entities = check_text(p)
    markup = check_reply_markup(p, inline_only=True)
    return _apply_edit(
        sb, bot, chat, msg, {"text": text, "entities": entities, "reply_markup": markup}
    )


async def edit_message_caption(sb: Sandbox, bot: BotState, p: Params) -> Any:
    chat, msg = find_own_message(sb, bot, p)
    if msg.photo is None and msg.document is None:
        raise bad("there is no caption in the message to edit")
    caption, entities = check_text(p, "caption", "caption_entities", caption=True)
    markup = check_reply_markup(p, inline_only=True)
    return _apply_edit(
        sb, bot, chat, msg, {"caption": caption, "entities": entities, "reply_markup": markup}
    )


async def edit_message_reply_markup(sb: Sandbox, bot: BotState, p: Params) -> Any:
    chat, msg = find_own_message(sb, bot, p)
    markup = check_reply_markup(p, inline_only=True)
    return _apply_edit(sb, bot, chat, msg, {"reply_markup": markup})


async def edit_message_media(sb: Sandbox, bot: BotState, p: Params) -> Any:
    chat, msg = find_own_message(sb, bot, p)
    if msg.photo is None and msg.document is None:
        raise bad("there is no media in the message to edit")
    fields, caption, entities = _input_media(sb, p, p.json("media"))
    markup = check_reply_markup(p, inline_only=True)
    changes = {
        "photo": None,
        "document": None,
        **fields,
        "caption": caption,
        "entities": entities,
        "reply_markup": markup,
    }
    return _apply_edit(sb, bot, chat, msg, changes)


async def delete_message(sb: Sandbox, bot: BotState, p: Params) -> Any:
    chat = open_chat(sb, bot, p.chat_id())
    msg = chat.messages.get(p.integer("message_id", required=True) or 0)
    if msg is None or msg.deleted:
        raise bad("message to delete not found")
    msg.deleted = True
    chat.touch(msg, sb.next_seq())
    return True


async def delete_messages(sb: Sandbox, bot: BotState, p: Params) -> Any:
    chat = open_chat(sb, bot, p.chat_id())
    ids = p.json("message_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad("message_ids must be a non-empty list of at most 100 ids")
    for mid in ids:
        msg = chat.messages.get(int(mid))
        if msg is not None and not msg.deleted:
            msg.deleted = True
            chat.touch(msg, sb.next_seq())
    return True
