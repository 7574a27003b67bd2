"""Bulk writes on the Execution table outside the queue, for the benchmarks: loading finished history,
and removing one run's rows from a database it shares.

Work that is to run enters through `Store.enqueue`; these rows are history (already finished) or
leftovers, so they bypass the queue's group commit and its SQLite writer.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.store import EXEC


async def load_executions(engine: AsyncEngine, rows: Sequence[dict[str, Any]], chunk: int = 5000) -> None:
    """Insert execution rows given column by column (e.g. synthetic finished ones), `chunk` per statement."""
    async with engine.begin() as conn:
        for i in range(0, len(rows), chunk):
            await conn.execute(insert(EXEC), list(rows[i:i + chunk]))


async def delete_with_text_prefix(engine: AsyncEngine, prefix: str) -> int:
    """Delete the executions whose text starts with `prefix` (taken literally); how many went."""
    async with engine.begin() as conn:
        result = await conn.execute(delete(EXEC).where(EXEC.c.text.startswith(prefix, autoescape=True)))
        return int(result.rowcount or 0)
