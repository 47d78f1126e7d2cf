"""Each update's handlers run under that update's idempotency key, and only they."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from aiogram.types import Update

from bot.runtime.effects import UpdateKeyMiddleware
from domain.kernel.idempotency import current_key, effect_key


async def test_the_key_is_the_update_id_during_its_handling_only() -> None:
    seen: list[str | None] = []

    async def handler(event: Any, data: dict[str, Any]) -> str:
        seen.append(effect_key("order_place"))
        return "handled"

    middleware = UpdateKeyMiddleware()
    assert await middleware(handler, Update(update_id=41), {}) == "handled"
    await middleware(handler, Update(update_id=42), {"bot": SimpleNamespace(id=777)})
    assert seen == ["order_place:u41", "order_place:b777u42"]
    assert current_key() is None


async def test_the_key_is_reset_when_the_handler_fails() -> None:
    async def handler(event: Any, data: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await UpdateKeyMiddleware()(handler, Update(update_id=7), {})
    assert current_key() is None
