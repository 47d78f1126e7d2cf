"""bot/runtime/aiogram_private.py: the aiogram internals it relies on still do what it needs,
and an aiogram upgrade that renames one fails loudly, naming the aiogram version.

(The private names are spelled as strings here: tests/unit/test_import_boundaries.py keeps
`x._name` syntax on aiogram objects inside bot/runtime/aiogram_private.py alone.)
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator
from typing import Any

import aiogram
import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.base import BaseSession
from aiogram.methods import GetMe, SendMessage, TelegramMethod
from aiogram.types import Message, Update, User
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp.multipart import MultipartWriter

from bot.runtime.aiogram_private import detach_routers, take_over_polling, webhook_reply
from handlers import dispatcher_routers, get_routers

VERSION = re.escape(aiogram.__version__)
TOKEN = "42:TEST"


def message_update(update_id: int, text: str) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": 5, "type": "private"},
                "from": {"id": 5, "is_bot": False, "first_name": "A"},
                "text": text,
            },
        }
    )


def tree(root: Router) -> list[Router]:
    return [r for sub in root.sub_routers for r in (sub, *tree(sub))]


# ---------------------------------------------------------------- detach_routers
async def test_a_second_dispatcher_takes_the_same_routers_after_the_first_lets_go() -> None:
    """As tests, the demo and the benches do: module-level routers, a fresh gate each time."""
    leaf = Router(name="leaf")  # module-level, like a feature router
    seen: list[str] = []

    @leaf.message()
    async def record(message: Message, dispatcher_name: str) -> None:
        seen.append(dispatcher_name)

    def routers() -> list[Router]:
        gate = Router(name="gate")  # new each time, like handlers.admin.security.staff_gate
        gate.include_router(leaf)
        return [gate]

    bot = Bot(TOKEN)
    first = Dispatcher(dispatcher_name="first")
    first.include_routers(*routers())
    await first.feed_update(bot, message_update(1, "hi"))
    second = Dispatcher(dispatcher_name="second")
    with pytest.raises(RuntimeError, match="already attached"):  # what detach_routers is for
        second.include_routers(*routers())
    detach_routers(first)
    assert first.sub_routers == [] and leaf.parent_router is None
    second.include_routers(*routers())
    await second.feed_update(bot, message_update(2, "hi"))
    assert seen == ["first", "second"]
    detach_routers(second)
    await bot.session.close()


def test_the_feature_routers_move_from_one_dispatcher_to_the_next() -> None:
    first, second = Dispatcher(), Dispatcher()
    first.include_routers(*dispatcher_routers())
    try:
        with pytest.raises(RuntimeError, match="already attached"):
            second.include_routers(*dispatcher_routers())
        detach_routers(first)
        assert all(router.parent_router is None for router in get_routers())
        second.include_routers(*dispatcher_routers())
        assert {id(r) for r in get_routers()} <= {id(r) for r in tree(second)}
    finally:
        detach_routers(first)
        detach_routers(second)
    assert all(router.parent_router is None for router in get_routers())


def test_a_renamed_parent_link_fails_loudly_naming_the_aiogram_version() -> None:
    parent, child = Router(name="parent"), Router(name="child")
    parent.include_router(child)
    state = vars(child)
    state["_parent"] = state.pop("_parent_router")  # what an upgrade renaming it looks like
    with pytest.raises(RuntimeError, match=rf"aiogram {VERSION} has no Router\._parent_router"):
        detach_routers(parent)


def test_aiogram_still_keeps_the_parent_link_where_detach_routers_clears_it() -> None:
    router = Router()
    assert "_parent_router" in vars(router), (
        f"aiogram {aiogram.__version__} renamed Router._parent_router: "
        "update bot/runtime/aiogram_private.py"
    )
    parent = Router()
    parent.include_router(router)
    assert vars(router)["_parent_router"] is parent is router.parent_router


# ---------------------------------------------------------------- take_over_polling
class _Session(BaseSession):
    """Answers getMe and nothing else: polling's updates come from the test's reader."""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> Any:
        assert isinstance(method, GetMe), method
        return User(id=42, is_bot=True, first_name="Kiosk", username="kiosk_bot")

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        raise AssertionError("not used")
        yield b""

    async def close(self) -> None:
        pass


async def test_polling_reads_and_processes_through_the_replacements() -> None:
    dp = Dispatcher()
    handled: list[str] = []
    processed: list[int] = []
    done = asyncio.Event()

    @dp.message()
    async def echo(message: Message) -> None:
        handled.append(message.text or "")

    async def listen(bot: Bot, *args: Any, **kwargs: Any) -> AsyncGenerator[Update, None]:
        yield message_update(7, "from our reader")
        await asyncio.Event().wait()  # nothing more

    async def process(bot: Bot, update: Update, *args: Any, **kwargs: Any) -> bool:
        try:
            return await own(bot, update, *args, **kwargs)
        finally:
            processed.append(update.update_id)
            done.set()

    own = take_over_polling(dp, process, listen)
    bot = Bot(TOKEN, session=_Session())
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
    try:
        await asyncio.wait_for(done.wait(), 10)
    finally:
        await dp.stop_polling()
        await polling
    assert processed == [7] and handled == ["from our reader"]


def test_renamed_polling_hooks_fail_loudly_naming_the_aiogram_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def process(*args: Any, **kwargs: Any) -> bool:
        return True

    async def listen(*args: Any, **kwargs: Any) -> AsyncGenerator[Update, None]:
        yield message_update(1, "x")

    monkeypatch.delattr(Dispatcher, "_listen_updates")
    with pytest.raises(RuntimeError, match=rf"aiogram {VERSION} has no Dispatcher\._listen"):
        take_over_polling(Dispatcher(), process, listen)


# ---------------------------------------------------------------- webhook_reply
def test_the_webhook_reply_carries_the_method_to_call() -> None:
    bot = Bot(TOKEN)
    handler = SimpleRequestHandler(dispatcher=Dispatcher(), bot=bot)
    reply = webhook_reply(handler, bot, SendMessage(chat_id=5, text="hello"))
    assert isinstance(reply, MultipartWriter)
    names = [payload.headers["Content-Disposition"] for payload, *_ in reply]
    assert names[:3] == [f'form-data; name="{n}"' for n in ("method", "chat_id", "text")]
    assert not isinstance(webhook_reply(handler, bot, None), MultipartWriter)  # an empty "{}"


def test_a_renamed_reply_builder_fails_loudly_naming_the_aiogram_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bot = Bot(TOKEN)
    handler = SimpleRequestHandler(dispatcher=Dispatcher(), bot=bot)
    monkeypatch.delattr(type(handler).__mro__[1], "_build_response_writer")
    with pytest.raises(RuntimeError, match=rf"aiogram {VERSION} has no SimpleRequestHandler"):
        webhook_reply(handler, bot, None)
