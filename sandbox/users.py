"""Simulated Telegram users: they send updates to a bot and wait for its reaction.

Waiting is event driven per user (an ``asyncio.Event`` set by the dispatcher whenever a bot call
concerns this user's chat or queries), so 1,000 concurrent users cost nothing while idle and a
test's ``await user.send(...)`` returns as soon as the bot has finished reacting.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from .members import chat_of_link, join
from .messages import add_message, new_file
from .models import NoReply, PaymentResult, SandboxError, SandboxMessage
from .state import BotState, ChatState, UpdateRec

if TYPE_CHECKING:
    from .core import Sandbox
    from .miniapp import Via


class SandboxUser:
    """One user in a private chat with one bot (chat id == user id)."""

    def __init__(
        self,
        sb: Sandbox,
        bot: BotState,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ):
        self.sb = sb
        self.bot = bot
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.user_dict: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat_dict: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        for key, value in (("last_name", last_name), ("username", username)):
            if value:
                self.user_dict[key] = chat_dict[key] = value
        if language_code:
            self.user_dict["language_code"] = language_code
        self.chat: ChatState = bot.chats.setdefault(user_id, ChatState(user_id, chat_dict))
        self.last_callback_answer: dict[str, Any] | None = None
        self.last_inline_answer: dict[str, Any] | None = None
        self.story: list[str] = []  # what happened, in order (transcript(history=True))
        self._told = sb._seq  # the story holds the chat up to here
        self.replies = 0  # bot actions that count as an answer to this user
        self._reply_event = asyncio.Event()
        self._last_activity = 0.0

    @property
    def id(self) -> int:
        return self.user_id

    # ------------------------------------------------------------------ bookkeeping
    def _bot_action(self, reply: bool) -> None:
        """Called by the dispatcher for every bot call concerning this user."""
        self._last_activity = time.monotonic()
        if reply:
            self.replies += 1
            self._reply_event.set()

    def changed_since(self, seq: int) -> list[SandboxMessage]:
        return self.chat.changed_since(seq)

    async def wait_reaction(
        self, recs: list[UpdateRec], replies0: int, expect_reply: bool = True, what: str = ""
    ) -> None:
        """Delivery of ``recs``, then (optionally) a reply, then ``settle`` seconds of quiet."""
        sb = self.sb
        deadline = time.monotonic() + sb.reply_timeout
        for rec in recs:
            if not rec.delivered.is_set():
                try:
                    await asyncio.wait_for(rec.delivered.wait(), deadline - time.monotonic())
                except TimeoutError:
                    raise self._no_reply(
                        f"the bot did not fetch update {rec.update_id} ({what or rec.kind})"
                    ) from None
        delivered_at = time.monotonic()
        if expect_reply:
            deadline = delivered_at + sb.reply_timeout
            while self.replies == replies0:
                self._reply_event.clear()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._no_reply(f"no reply to {what or recs[0].kind}")
                try:
                    await asyncio.wait_for(self._reply_event.wait(), remaining)
                except TimeoutError:
                    pass
            # A bot that confirms an update once handled (Kiosk's polling, a webhook answered
            # after handling) is still at work until then: a second message after a slow
            # lookup may come later than the quiet period, so wait for the confirmation too
            # (bounded: a bot that never confirms, e.g. one killed mid-update, is not waited on
            # beyond the reply timeout, and that isn't an error here).
            pending = [rec.confirmed.wait() for rec in recs if not rec.confirmed.is_set()]
            if pending:
                try:
                    await asyncio.wait_for(
                        asyncio.gather(*pending), max(0.0, deadline - time.monotonic())
                    )
                except TimeoutError:
                    pass
        start = delivered_at
        while True:
            remaining = max(start, self._last_activity) + sb.settle - time.monotonic()
            if remaining <= 0:
                return
            await asyncio.sleep(remaining)

    def _no_reply(self, reason: str) -> NoReply:
        errors = [c for c in self.sb.errors[-5:]]
        lines = [
            f"{self.first_name} ({self.user_id}): {reason} within {self.sb.reply_timeout}s",
            "--- transcript ---",
            self.transcript().rstrip(),
        ]
        if errors:
            lines.append("--- recent refused bot calls ---")
            lines += [f"{c.method}: {c.description}" for c in errors]
        return NoReply("\n".join(lines))

    async def _act(
        self, kind: str, payload: dict[str, Any], expect_reply: bool, seq0: int, what: str
    ) -> list[SandboxMessage]:
        replies0 = self.replies
        rec = self.bot.enqueue(kind, payload, self.user_id)
        await self.wait_reaction([rec], replies0, expect_reply, what)
        return self.changed_since(seq0)

    async def _say(self, expect_reply: bool, what: str, **fields: Any) -> list[SandboxMessage]:
        seq0 = self.sb._seq
        msg = add_message(self.sb, self.bot, self.chat, False, self.user_dict, **fields)
        self.story.append(msg.render(self.bot.first_name, self.first_name))
        return self._tell(await self._act("message", msg.raw, expect_reply, seq0, what), seq0)

    # ------------------------------------------------------------------ actions
    def _reply(self, reply_to: int | None) -> dict[str, Any]:
        if reply_to is None:
            return {}
        target = self.chat.messages.get(reply_to)
        if target is None or target.deleted:
            raise SandboxError(f"no message {reply_to} to reply to\n{self.transcript()}")
        return {"reply_to_message_id": reply_to}

    async def send(
        self, text: str, expect_reply: bool = True, reply_to: int | None = None
    ) -> list[SandboxMessage]:
        """A text message (a reply to message ``reply_to`` if given); a leading ``/command``
        gets a bot_command entity like Telegram."""
        entities = None
        if text.startswith("/") and len(text) > 1:
            cmd = text.split(maxsplit=1)[0]
            entities = [{"type": "bot_command", "offset": 0, "length": len(cmd)}]
        reply = self._reply(reply_to)
        return await self._say(expect_reply, repr(text), text=text, entities=entities, **reply)

    async def send_photo(
        self,
        data: bytes,
        caption: str | None = None,
        expect_reply: bool = True,
        reply_to: int | None = None,
    ) -> list[SandboxMessage]:
        rec = new_file(self.sb, "photo", data, "photo.jpg", "image/jpeg")
        reply = self._reply(reply_to)
        return await self._say(
            expect_reply, "photo", photo=list(rec.meta), caption=caption, **reply
        )

    async def send_document(
        self,
        data: bytes,
        file_name: str = "file.bin",
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        expect_reply: bool = True,
        reply_to: int | None = None,
    ) -> list[SandboxMessage]:
        rec = new_file(self.sb, "document", data, file_name, mime_type)
        reply = self._reply(reply_to)
        return await self._say(
            expect_reply,
            f"document {file_name}",
            document=dict(rec.meta),
            caption=caption,
            **reply,
        )

    async def send_document_again(
        self, earlier: SandboxMessage, expect_reply: bool = True
    ) -> list[SandboxMessage]:
        """Send again a document this user sent before (forwarded or picked from the
        client's recent files): Telegram keeps its file_id and file_unique_id."""
        document = earlier.raw.get("document")
        if not isinstance(document, dict):
            raise SandboxError(f"message {earlier.message_id} has no document")
        name = str(document.get("file_name", "file"))
        return await self._say(expect_reply, f"document {name} again", document=dict(document))

    def join_chat(self, link: str) -> int:
        """Open an invite link and join its group or channel (sandbox/members.py); returns
        the chat id, or raises SandboxError with Telegram's reason for refusing."""
        chat = chat_of_link(self.bot, link)
        join(chat, self.user_id, link)
        return chat.chat_id

    async def share_contact(
        self,
        phone_number: str = "+15551234567",
        user_id: int | None = None,
        first_name: str | None = None,
        expect_reply: bool = True,
    ) -> list[SandboxMessage]:
        """Share a contact; by default the user's own (as a request_contact button does)."""
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
            "user_id": self.user_id if user_id is None else user_id,
        }
        return await self._say(expect_reply, "contact", contact=contact)

    async def tap(self, text: str, expect_reply: bool = True) -> list[SandboxMessage]:
        """Tap a button of the reply keyboard currently shown in the chat."""
        keyboard = self.chat.reply_keyboard
        if keyboard is None:
            raise SandboxError(f"no reply keyboard is shown\n{self.transcript()}")
        for row in keyboard.get("keyboard", []):
            for b in row:
                button = {"text": b} if isinstance(b, str) else b
                if button.get("text") != text:
                    continue
                if keyboard.get("one_time_keyboard"):
                    self.chat.reply_keyboard = None
                if button.get("request_contact"):
                    return await self.share_contact(expect_reply=expect_reply)
                if any(
                    button.get(k)
                    for k in (
                        "request_location",
                        "request_poll",
                        "request_users",
                        "request_chat",
                        "web_app",
                    )
                ):
                    raise SandboxError(f"button {text!r} kind is not supported by the sandbox")
                return await self.send(text, expect_reply=expect_reply)
        raise SandboxError(f"no reply button {text!r}\n{self.transcript()}")

    def _find_button(
        self, text: str | None, callback_data: str | None, message_id: int | None
    ) -> tuple[SandboxMessage, dict[str, Any]]:
        for msg in reversed(list(self.chat.messages.values())):
            if not msg.from_bot or msg.deleted:
                continue
            if message_id is not None and msg.message_id != message_id:
                continue
            for row in msg.inline_buttons:
                for b in row:
                    if text is not None and b.get("text") != text:
                        continue
                    if callback_data is not None and b.get("callback_data") != callback_data:
                        continue
                    return msg, b
        raise SandboxError(
            f"no inline button text={text!r} callback_data={callback_data!r}\n{self.transcript()}"
        )

    async def press(
        self,
        text: str | None = None,
        *,
        callback_data: str | None = None,
        message_id: int | None = None,
        expect_reply: bool = True,
    ) -> list[SandboxMessage]:
        """Press an inline button on the newest bot message that has it. Like a person, wait
        (up to the reply timeout) for a button the bot is still drawing: a reply that comes in
        two messages, the second after a slow lookup, outlasts the quiet period."""
        deadline = time.monotonic() + self.sb.reply_timeout
        while True:
            try:
                msg, button = self._find_button(text, callback_data, message_id)
                break
            except SandboxError:
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(0.02)
        if button.get("callback_data") is not None:
            self.story.append(f"{self.first_name} ▸ [{button.get('text', '')}]\n")
            seq0 = self.sb._seq
            return self._tell(
                await self._callback(msg, str(button["callback_data"]), expect_reply), seq0
            )
        if button.get("pay"):
            return (await self.pay_invoice(message_id=msg.message_id)).messages
        raise SandboxError(
            f"button {button.get('text')!r} sends nothing to the bot (url/web_app/...): {button}"
        )

    async def press_data(
        self, data: str, message_id: int | None = None, expect_reply: bool = True
    ) -> list[SandboxMessage]:
        """Send arbitrary callback_data (forgery tests) from the newest or given bot message."""
        msgs = [
            m
            for m in self.chat.messages.values()
            if m.from_bot and not m.deleted and (message_id is None or m.message_id == message_id)
        ]
        if not msgs:
            raise SandboxError("no bot message to attach a callback query to")
        return await self._callback(msgs[-1], data, expect_reply)

    async def _callback(
        self, msg: SandboxMessage, data: str, expect_reply: bool
    ) -> list[SandboxMessage]:
        seq0 = self.sb._seq
        self.last_callback_answer = None
        q = self.bot.query("callback", self.user_id)
        payload = {
            "id": q.query_id,
            "from": self.user_dict,
            "message": msg.raw,
            "chat_instance": f"{self.bot.bot_id}{self.user_id}",
            "data": data,
        }
        return await self._act("callback_query", payload, expect_reply, seq0, f"press {data!r}")

    async def inline_query(
        self, query: str, offset: str = "", chat_type: str = "sender"
    ) -> dict[str, Any]:
        """Type ``@bot query``; returns the bot's answer (results, next_offset, ...)."""
        q = self.bot.query("inline", self.user_id)
        rec = self.bot.enqueue(
            "inline_query",
            {
                "id": q.query_id,
                "from": self.user_dict,
                "query": query,
                "offset": offset,
                "chat_type": chat_type,
            },
            self.user_id,
        )
        await self.wait_reaction([rec], self.replies, expect_reply=False, what="inline query")
        try:
            answer = await asyncio.wait_for(asyncio.shield(q.answer), self.sb.reply_timeout)
        except TimeoutError:
            q.expired = True
            raise self._no_reply(f"inline query {query!r} not answered") from None
        self.last_inline_answer = answer
        return answer

    # ------------------------------------------------------------------ Mini Apps
    def open_mini_app(
        self,
        via: Via = "menu",
        start_param: str | None = None,
        button_text: str | None = None,
        theme: str = "light",
        platform: str = "tdesktop",
    ) -> str:
        """The URL (with signed launch parameters) the client loads to open the bot's Mini
        App from the menu button, a web_app button, a startapp link or an inline answer."""
        from .miniapp import open_mini_app

        return open_mini_app(self, via, start_param, button_text, theme, platform)

    def open_link(self, link: str, theme: str = "light") -> str:
        """Follow a ``t.me/<bot>?startapp=<param>`` link: the Mini App's launch URL."""
        from .miniapp import open_link

        return open_link(self, link, theme)

    async def pay_invoice_link(
        self, url: str, shipping_option_id: str | None = None
    ) -> PaymentResult:
        """Pay a ``createInvoiceLink`` link, as the Mini App's openInvoice "Pay" does."""
        from .miniapp import pay_invoice_link

        return await pay_invoice_link(self, url, shipping_option_id)

    async def advance_subscription(
        self, charge_id: str | None = None, force: bool = False, deliver_times: int = 1
    ) -> PaymentResult | None:
        """One period passes for this user's subscription: a recurring payment arrives, or
        nothing when it was cancelled (``force``: charged anyway, a renewal racing a cancel)."""
        from .payments import advance_subscription

        return await advance_subscription(self, charge_id, force, deliver_times)

    async def pay_invoice(
        self,
        message_id: int | None = None,
        shipping_option_id: str | None = None,
        shipping_address: dict[str, Any] | None = None,
        order_info: dict[str, Any] | None = None,
        deliver_times: int = 1,
    ) -> PaymentResult:
        from .payments import pay_invoice

        result = await pay_invoice(
            self, message_id, shipping_option_id, shipping_address, order_info, deliver_times
        )
        outcome = "paid" if result.ok else f"payment failed: {result.error}"
        self.story.append(f"{self.first_name} ▸ pays the invoice ({outcome})\n")
        self._tell(result.messages, 0)
        return result

    # ------------------------------------------------------------------ inspection
    @property
    def messages(self) -> list[SandboxMessage]:
        return list(self.chat.messages.values())

    @property
    def bot_messages(self) -> list[SandboxMessage]:
        return [m for m in self.chat.messages.values() if m.from_bot and not m.deleted]

    @property
    def last_bot_message(self) -> SandboxMessage | None:
        for msg in reversed(list(self.chat.messages.values())):
            if msg.from_bot and not msg.deleted:
                return msg
        return None

    def _tell(self, changed: list[SandboxMessage], seq0: int) -> list[SandboxMessage]:
        """Add the bot's reaction to the story: new messages, and edits marked as such."""
        for m in changed:
            if m.from_bot and not m.deleted:
                entry = m.render(self.bot.first_name, self.first_name)
                self.story.append(("✎ " + entry) if m.edit_count else entry)
        self._told = self.sb._seq
        return changed

    def catch_up(self) -> list[SandboxMessage]:
        """Read what the bot sent this user unprompted since their last action (a staff
        member's answer, a shipping notice) into the story; returns those messages."""
        return self._tell(self.changed_since(self._told), self._told)

    def transcript(self, history: bool = False) -> str:
        """Human-readable chat log.

        By default the chat as it looks now (edits applied, deleted messages omitted); with
        ``history=True`` the conversation as it happened, each edit shown where it occurred.
        """
        if history:
            return "".join(self.story)
        return "".join(
            m.render(self.bot.first_name, self.first_name)
            for m in self.chat.messages.values()
            if not m.deleted
        )


class SandboxGroup:
    """A supergroup with the bot as an admin (it sees every message); a forum has topics.

    Users post with ``post``; it returns once the bot has fetched the update and the sandbox
    has been quiet for ``settle`` seconds (the bot's reaction may be in other chats).
    """

    def __init__(self, sb: Sandbox, bot: BotState, chat_id: int, title: str, is_forum: bool):
        self.sb = sb
        self.bot = bot
        self.chat_id = chat_id
        chat_dict: dict[str, Any] = {"id": chat_id, "type": "supergroup", "title": title}
        if is_forum:
            chat_dict["is_forum"] = True
        self.chat: ChatState = bot.chats.setdefault(chat_id, ChatState(chat_id, chat_dict))

    @property
    def topics(self) -> dict[int, dict[str, Any]]:
        """The forum's topics by message_thread_id (what createForumTopic made)."""
        return dict(self.chat.topics)

    def topic_id(self, name: str) -> int:
        for thread, topic in self.chat.topics.items():
            if topic["name"] == name:
                return thread
        raise SandboxError(f"no topic {name!r} in {self.chat_id}: {self.topics}")

    def messages(self, thread: int | None = None) -> list[SandboxMessage]:
        """The group's messages (of one topic when ``thread`` is given), oldest first."""
        return [
            m
            for m in self.chat.messages.values()
            if not m.deleted and (thread is None or m.message_thread_id == thread)
        ]

    async def post(
        self,
        user: SandboxUser,
        text: str | None = None,
        *,
        photo: bytes | None = None,
        caption: str | None = None,
        thread: int | None = None,
        reply_to: int | None = None,
    ) -> list[SandboxMessage]:
        """``user`` writes in the group (in topic ``thread``, replying to ``reply_to``);
        returns the group's messages the bot sent or changed meanwhile."""
        if (text is None) == (photo is None):
            raise SandboxError("post text or a photo")
        if thread is not None and thread not in self.chat.topics:
            raise SandboxError(f"no topic {thread} in {self.chat_id}")
        fields: dict[str, Any] = {"text": text}
        if photo is not None:
            rec = new_file(self.sb, "photo", photo, "photo.jpg", "image/jpeg")
            fields = {"photo": list(rec.meta), "caption": caption}
        target = reply_to if reply_to is not None else thread
        if target is not None:
            found = self.chat.messages.get(target)
            if (
                found is None
                or found.deleted
                or (thread is not None and found.message_thread_id != thread)
            ):
                raise SandboxError(f"no message {target} to reply to in this topic")
            fields["reply_to_message_id"] = target
        seq0 = self.sb._seq
        msg = add_message(
            self.sb, self.bot, self.chat, False, user.user_dict, message_thread_id=thread, **fields
        )
        rec_ = self.bot.enqueue("message", msg.raw, user.user_id)
        await user.wait_reaction([rec_], user.replies, expect_reply=False, what="group post")
        await self.sb.wait_idle()
        return self.chat.changed_since(seq0)

    def transcript(self, thread: int | None = None) -> str:
        out = []
        for m in self.messages(thread):
            who = self.bot.first_name if m.from_bot else m.raw.get("from", {}).get("first_name")
            out.append(m.render(self.bot.first_name, str(who)))
        return "".join(out)
