"""Read-only questions other modules ask the Execution and GitHub delivery tables, answered as typed rows.

The queue's own reads and writes (claim, finish, counts) live in `store.py`; these are the ones the
status page, the budget sync and the benchmarks need, kept here so that no module outside the storage
package builds a query on those tables.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.github import GHD
from bot.storage.models import Status
from bot.storage.store import EXEC

_IN_CHUNK = 500  # ids per IN (…): well under SQLite's and asyncpg's parameter limits


class Spending(NamedTuple):
    """What one finished execution cost, and whom and where it counts against."""

    provider: str | None
    requester: str
    conversation: dict[str, Any]
    cost: float


class LeaseHolder(NamedTuple):
    """A worker holding leases: how many running executions, and the latest of their lease expiries."""

    owner: str
    running: int
    lease_expires_at: float | None


class Timing(NamedTuple):
    status: str
    created_at: float
    finished_at: float | None


async def spending_between(engine: AsyncEngine, start: float, end: float) -> list[Spending]:
    """Executions finished in [start, end) that cost something."""
    query = (
        select(EXEC.c.provider, EXEC.c.requester, EXEC.c.conversation, EXEC.c.cost)
        .where(EXEC.c.finished_at >= start, EXEC.c.finished_at < end, EXEC.c.cost > 0)
    )
    async with engine.connect() as conn:
        return [Spending(p, r, c, float(cost)) for p, r, c, cost in (await conn.execute(query)).all()]


async def lease_holders(engine: AsyncEngine) -> list[LeaseHolder]:
    """Every worker that holds a lease on a running execution, by owner."""
    query = (
        select(EXEC.c.lease_owner, func.count(), func.max(EXEC.c.lease_expires_at))
        .where(EXEC.c.status == Status.RUNNING, EXEC.c.lease_owner.is_not(None))
        .group_by(EXEC.c.lease_owner)
        .order_by(EXEC.c.lease_owner)
    )
    async with engine.connect() as conn:
        return [LeaseHolder(owner, int(n), exp) for owner, n, exp in (await conn.execute(query)).all()]


async def timings(engine: AsyncEngine) -> list[Timing]:
    """Status and times of every execution (a benchmark's scratch database: the table is small)."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(EXEC.c.status, EXEC.c.created_at, EXEC.c.finished_at).order_by(EXEC.c.id))).all()
    return [Timing(s, c, f) for s, c, f in rows]


async def count_of_kind(engine: AsyncEngine, kind: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(EXEC).where(EXEC.c.kind == kind))).scalar_one())


async def texts_starting_with(engine: AsyncEngine, prefix: str) -> list[str]:
    """The text of every execution whose text starts with `prefix` (taken literally: `%` and `_` too)."""
    query = select(EXEC.c.text).where(EXEC.c.text.startswith(prefix, autoescape=True)).order_by(EXEC.c.id)
    async with engine.connect() as conn:
        return list((await conn.execute(query)).scalars())


async def stored_delivery_ids(engine: AsyncEngine, delivery_ids: Iterable[str]) -> set[str]:
    """Which of these delivery keys (the SHA-256 of each body, since deliveries are deduped on it) have their row."""
    ids = list(dict.fromkeys(delivery_ids))
    found: set[str] = set()
    async with engine.connect() as conn:
        for i in range(0, len(ids), _IN_CHUNK):
            chunk = ids[i:i + _IN_CHUNK]
            found |= set((await conn.execute(select(GHD.c.delivery_id).where(GHD.c.delivery_id.in_(chunk)))).scalars())
    return found
