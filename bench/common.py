"""Helpers shared by the reports and health benchmarks: throwaway databases and synthetic rows."""
from __future__ import annotations

import contextlib
import os
import random
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.engine import backend_name, create_engine
from bot.storage.migrate import upgrade

MODELS = [("openai", "gpt-4o", 0.01), ("openai", "gpt-4o-mini", 0.001), ("anthropic", "claude-haiku", 0.002)]


@contextlib.asynccontextmanager
async def scratch_database(url: str) -> AsyncIterator[str]:
    """A fresh database beside the one `url` names (PostgreSQL), dropped afterwards; SQLite URLs as given.

    Benchmarks load and delete many rows: they never touch the database an operator points them at.
    """
    if backend_name(create_engine(url)) != "postgresql":
        yield url
        return
    from sqlalchemy import text

    from bot.storage.engine import async_url

    admin = async_url(url)
    name = f"chatops_bench_{os.getpid()}_{random.randrange(1 << 30)}"

    async def run(sql: str) -> None:
        engine = create_engine(admin.render_as_string(hide_password=False))
        try:
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    await run(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        await run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def databases(urls: list[str] | None) -> AsyncIterator[list[tuple[str, AsyncEngine]]]:
    """Scratch copies of the given databases (migrated), or one temporary SQLite file."""
    with tempfile.TemporaryDirectory() as tmp:
        async with contextlib.AsyncExitStack() as stack:
            given = urls or [f"sqlite:///{Path(tmp) / 'bench.db'}"]
            scratch = [await stack.enter_async_context(scratch_database(u)) for u in given]
            engines = [create_engine(u) for u in scratch]
            try:
                for e in engines:
                    await upgrade(e)
                yield [(backend_name(e), e) for e in engines]
            finally:
                for e in engines:
                    await e.dispose()


def execution_rows(n: int, now: float, hours: float, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        provider, model, price = MODELS[i % 3]
        created = now - hours * 3600 * rng.random()
        failed = rng.random() < 0.04
        latency = rng.lognormvariate(6.8, 0.7)
        rows.append({
            "kind": ("ask", "review", "report", "mcp")[i % 4], "trigger": "chat", "source": "bench", "requester": "u",
            "conversation": {"platform": "console", "channel": "bench"}, "text": "", "args": {}, "locale": "en",
            "priority": 0, "status": "FAILED" if failed else "COMPLETED", "attempts": 1, "max_attempts": 3,
            "available_at": created, "provider": provider, "model": model, "tokens_in": 300, "tokens_out": 120,
            "cost": price, "latency_ms": latency, "error": "bench failure" if failed else None,
            "created_at": created, "started_at": created, "finished_at": created + latency / 1000,
        })
    return rows

