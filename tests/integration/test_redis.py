"""Conversation state and update de-duplication on a real Redis server."""

from __future__ import annotations

import uuid

from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis

from bot.middlewares import UpdateDeduplicator
from bot.wiring import build_fsm_storage
from tests.unit.test_runtime_units import handled_now


async def test_fsm_state_survives_a_new_storage_object(redis_url: str) -> None:
    """A restart (or another replica) sees the state a conversation left in Redis."""
    key = StorageKey(bot_id=1, chat_id=1001, user_id=1001)
    first = Redis.from_url(redis_url)
    storage = build_fsm_storage(first)
    await storage.set_state(key, "AddressForm:city")
    await storage.set_data(key, {"draft": {"recipient": "سارة 🌷"}})
    await storage.close()

    second = Redis.from_url(redis_url)
    other = build_fsm_storage(second)
    assert await other.get_state(key) == "AddressForm:city"
    assert await other.get_data(key) == {"draft": {"recipient": "سارة 🌷"}}
    await other.set_state(key, None)
    await other.close()


async def test_two_replicas_handle_an_update_once(redis_url: str) -> None:
    bot_id = int(uuid.uuid4().int % 1_000_000)
    a = UpdateDeduplicator(Redis.from_url(redis_url), bot_id)
    b = UpdateDeduplicator(Redis.from_url(redis_url), bot_id)
    outcomes = [await handled_now(a, 77), await handled_now(b, 77), await handled_now(a, 77)]
    assert outcomes == [True, False, False]
    assert await handled_now(b, 78)
    for d in (a, b):
        assert d.redis is not None
        await d.redis.aclose()
