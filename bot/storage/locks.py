"""A lock shared by every process on the database: PostgreSQL's transaction-scoped advisory lock.

Used where two worker processes could both check-then-act on the same outside resource (the bot's one
review comment on a PR). SQLite deployments run one worker process, and the callers also hold an
in-process lock, so on SQLite this is a no-op.
"""
from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


def lock_id(key: str) -> int:
    """A stable signed 64-bit id for `key` (Python's hash() differs between processes)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


@contextlib.asynccontextmanager
async def database_lock(engine: AsyncEngine, key: str) -> AsyncIterator[None]:
    if engine.dialect.name != "postgresql":
        yield
        return
    # released by the transaction's end, even if this process dies holding it
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_id(key)})
        yield
