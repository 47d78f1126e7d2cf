"""Backend-specific SQL in migrations: each migration lists its statements per dialect and
hands them here as the forward and backward steps of one RunPython operation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

Step = Callable[[Any, Any], Awaitable[None]]


def per_dialect(up: dict[str, list[str]], down: dict[str, list[str]]) -> tuple[Step, Step]:
    """(forward, backward) running `up` / `down` statements of the connection's dialect
    ("sqlite" or "postgres"), one statement at a time."""

    async def run(schema_editor: Any, statements: dict[str, list[str]]) -> None:
        dialect = schema_editor.client.capabilities.dialect
        for sql in statements["sqlite" if dialect == "sqlite" else "postgres"]:
            await schema_editor.client.execute_script(sql)

    async def forward(apps: Any, schema_editor: Any) -> None:
        await run(schema_editor, up)

    async def backward(apps: Any, schema_editor: Any) -> None:
        await run(schema_editor, down)

    return forward, backward
