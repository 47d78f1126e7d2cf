"""PostgreSQL helper shared by the benchmarks."""

from __future__ import annotations

import asyncpg


async def fresh_pg_database(server_url: str, name: str) -> str:
    """(Re)create the benchmark's own database `name` on the server at `server_url` and
    return its URL; any earlier copy is dropped, even with sessions still open."""
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return server_url.rsplit("/", 1)[0] + "/" + name
