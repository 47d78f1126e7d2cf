"""Update de-duplication that loses nothing in a crash (bot/middlewares.UpdateDeduplicator).

An update is "busy" while a process handles it and "done" only afterwards: a live replica's
busy update is refused to the others (the webhook answers 500 and Telegram retries), a dead
process's busy update is claimed again once its lease runs out (or at once by the single
long-polling consumer), and a done update is never handled again.
"""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Message, Update
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection

from bot.middlewares import DedupeMiddleware, UpdateDeduplicator, UpdateInProgress
from bot.wiring import build_fsm_storage

BOT_ID = 424242


@pytest.fixture
async def redis(redis_url: str) -> Redis:
    client = Redis.from_url(redis_url)
    await client.delete(*[f"kiosk:upd:{BOT_ID}:{n}" for n in range(1, 10)])
    yield client
    await client.aclose()


async def test_a_busy_update_belongs_to_its_replica_until_done(redis: Redis) -> None:
    a, b = UpdateDeduplicator(redis, BOT_ID), UpdateDeduplicator(redis, BOT_ID)
    assert await a.claim(1)
    with pytest.raises(UpdateInProgress):
        await a.claim(1)  # a second copy while a handles the first: retry it later too
    with pytest.raises(UpdateInProgress):
        await b.claim(1)  # still being handled by a: Telegram should retry later
    await a.finish(1)
    assert not await b.claim(1) and not await a.claim(1)
    poller = UpdateDeduplicator(redis, BOT_ID, single_consumer=True)
    assert await poller.claim(5)
    assert not await poller.claim(5)  # long polling: the batch came back while it's handled


async def test_an_update_left_busy_by_a_dead_process_is_handled_again(redis: Redis) -> None:
    dead = UpdateDeduplicator(redis, BOT_ID)
    dead.LEASE = 0.3  # type: ignore[misc]
    assert await dead.claim(2) and await dead.claim(3)  # killed before finishing either
    poller = UpdateDeduplicator(redis, BOT_ID, single_consumer=True)
    assert await poller.claim(2)  # the restarted long poller takes over at once
    replica = UpdateDeduplicator(redis, BOT_ID)
    with pytest.raises(UpdateInProgress):
        await replica.claim(3)
    await asyncio.sleep(0.5)  # the dead process's lease runs out
    assert await replica.claim(3)
    await replica.finish(3)
    assert not await poller.claim(3)


async def test_a_released_update_can_be_claimed_again(redis: Redis) -> None:
    for dedup in (UpdateDeduplicator(redis, BOT_ID), UpdateDeduplicator(None, BOT_ID)):
        assert await dedup.claim(4)
        await dedup.release(4)  # cancelled mid-update (shutdown)
        assert await dedup.claim(4)
        await dedup.finish(4)
        assert not await dedup.claim(4)


def _message_update(update_id: int, user_id: int) -> Update:
    person = {"id": user_id, "is_bot": False, "first_name": "Ann"}
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": user_id, "type": "private"},
                "from": person,
                "text": "Oxford",
            },
        }
    )


@pytest.mark.parametrize("on_redis", [True, False])
async def test_the_claim_loads_the_conversation_state_in_its_round_trip(
    redis: Redis, on_redis: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bot/wiring.py runs aiogram's FSM middleware inside DedupeMiddleware: the handler gets
    the state as before, on Redis read in the claim's one round trip; a redelivery is
    ignored without running the handler."""
    trips = 0
    send = AbstractConnection.send_packed_command

    async def counted(self: AbstractConnection, *args: object, **kwargs: object) -> None:
        nonlocal trips
        trips += 1
        await send(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    client = redis if on_redis else None
    storage = build_fsm_storage(client)
    dp = Dispatcher(storage=storage, disable_fsm=True)
    dp.update.outer_middleware(DedupeMiddleware(UpdateDeduplicator(client, BOT_ID), fsm=dp.fsm))
    seen: list[tuple[str | None, int]] = []

    @dp.message()
    async def city(message: Message, state: FSMContext, raw_state: str | None) -> None:
        seen.append((raw_state, trips))
        await state.set_state("AddressForm:street")

    key = StorageKey(bot_id=BOT_ID, chat_id=8, user_id=8)
    await storage.set_state(key, "AddressForm:city")
    bot = Bot(f"{BOT_ID}:TEST")
    before = trips
    await dp.feed_update(bot, _message_update(6, 8))
    await dp.feed_update(bot, _message_update(6, 8))  # delivered again
    assert [state for state, _ in seen] == ["AddressForm:city"]
    assert seen[0][1] - before == (1 if on_redis else 0)  # claim and state: one round trip
    assert await storage.get_state(key) == "AddressForm:street"
    await storage.set_state(key, None)
    await bot.session.close()


async def test_a_slow_update_keeps_its_claim_until_done(redis: Redis) -> None:
    """The busy lease is renewed (a timer, every LEASE/3) while the handler runs, so another
    replica can't take a live slow update; once done, the timer is gone with the claim."""
    mine, other = UpdateDeduplicator(redis, BOT_ID), UpdateDeduplicator(redis, BOT_ID)
    mine.LEASE = other.LEASE = 0.3  # type: ignore[misc]
    dp = Dispatcher(storage=build_fsm_storage(None), disable_fsm=True)
    dp.update.outer_middleware(DedupeMiddleware(mine, fsm=dp.fsm))
    refused: list[bool] = []

    @dp.message()
    async def slow(message: Message) -> None:
        await asyncio.sleep(0.8)  # well past the 0.3 s lease
        with pytest.raises(UpdateInProgress):
            await other.claim(9)
        refused.append(True)

    bot = Bot(f"{BOT_ID}:TEST")
    await dp.feed_update(bot, _message_update(9, 8))
    assert refused == [True]
    assert not await other.claim(9)  # done: never handled again
    assert not mine._renewals  # no timer left behind
    await bot.session.close()
