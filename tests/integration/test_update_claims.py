"""Update de-duplication that loses nothing in a crash (bot/middlewares.UpdateDeduplicator).

An update is "busy" while a process handles it and "done" only afterwards: a live replica's
busy update is refused to the others (the webhook answers 500 and Telegram retries), a dead
process's busy update is claimed again once its lease runs out (or at once by the single
long-polling consumer), and a done update is never handled again.
"""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from bot.middlewares import UpdateDeduplicator, UpdateInProgress

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
