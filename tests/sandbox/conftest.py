"""Fixtures for the sandbox's own tests: a started Sandbox, a real aiogram Bot pointed at it,
and a helper that runs a real Dispatcher in long-polling mode for the duration of a test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest_asyncio
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from sandbox import RateLimits, Sandbox

TOKEN = "123456:TEST-token"


def make_bot(sb: Sandbox, token: str = TOKEN) -> Bot:
    """A real aiogram Bot whose HTTP session talks to the sandbox."""
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(sb.base_url)))


@pytest_asyncio.fixture
async def sb() -> AsyncIterator[Sandbox]:
    sandbox = Sandbox(
        bot_token=TOKEN,
        precheckout_timeout=0.5,
        settle=0.1,  # generous: a GC pause between two bot calls must not split a reaction
        reply_timeout=2.0,
        rate_limits=RateLimits(enabled=False),
    )
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


@pytest_asyncio.fixture
async def bot(sb: Sandbox) -> AsyncIterator[Bot]:
    b = make_bot(sb)
    try:
        yield b
    finally:
        await fast_close(b)


async def fast_close(b: Bot) -> None:
    """Close the HTTP session without aiogram's 250 ms SSL grace sleep (plain HTTP here)."""
    session = getattr(b.session, "_session", None)
    if session is not None and not session.closed:
        await session.close()


Runner = Callable[[Dispatcher], Awaitable[None]]


@pytest_asyncio.fixture
async def polling(bot: Bot) -> AsyncIterator[Runner]:
    """``await polling(dp)`` starts ``dp.start_polling(bot)``; stopped at teardown."""
    tasks: list[tuple[Dispatcher, asyncio.Task[None]]] = []

    async def run(dp: Dispatcher) -> None:
        task = asyncio.create_task(
            dp.start_polling(bot, handle_signals=False, polling_timeout=1, close_bot_session=False)
        )
        tasks.append((dp, task))
        await asyncio.sleep(0)

    try:
        yield run
    finally:
        for dp, task in tasks:
            with contextlib.suppress(Exception):
                await dp.stop_polling()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 5)
