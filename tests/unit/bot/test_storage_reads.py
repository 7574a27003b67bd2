"""The storage package's read queries (bot/storage/reads.py) and bench bulk writes (bulk.py), on SQLite and
PostgreSQL: each answers with typed rows and selects exactly the rows its name promises."""
from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.bulk import delete_with_text_prefix, load_executions
from bot.storage.engine import create_engine
from bot.storage.github import GHD
from bot.storage.migrate import upgrade
from bot.storage.models import Status
from bot.storage.reads import (
    LeaseHolder,
    Spending,
    Timing,
    count_of_kind,
    lease_holders,
    spending_between,
    stored_delivery_ids,
    texts_starting_with,
    timings,
)
from bot.storage.store import Claim, NewExecution, Store

DAY = 1_800_000_000.0


def row(**kw: Any) -> dict[str, Any]:
    """One finished execution, column by column, as the bench loads them."""
    base: dict[str, Any] = {
        "kind": "ask", "trigger": "chat", "source": "console", "requester": "u1",
        "conversation": {"platform": "slack", "channel": "C1", "team": "T1"}, "text": "", "args": {},
        "locale": "en", "priority": 0, "status": "COMPLETED", "attempts": 1, "max_attempts": 3,
        "available_at": DAY, "provider": "openai-main", "model": "gpt-4o", "tokens_in": 10, "tokens_out": 5,
        "cost": 0.5, "latency_ms": 100.0, "created_at": DAY, "started_at": DAY, "finished_at": DAY + 1,
    }
    return {**base, **kw}


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    e = create_engine(db_url)
    await upgrade(e)
    try:
        yield e
    finally:
        await e.dispose()


async def test_spending_counts_costly_executions_finished_inside_the_window(engine: AsyncEngine) -> None:
    start, end = DAY, DAY + 86400
    await load_executions(engine, [
        row(requester="first", finished_at=start, cost=0.25),  # the start is inside
        row(requester="free", cost=0.0),  # cost nothing: not spending
        row(requester="running", status="RUNNING", finished_at=None, cost=1.0),
        row(requester="yesterday", finished_at=start - 1),
        row(requester="tomorrow", finished_at=end),  # the end is outside
        row(requester="last", provider=None, finished_at=end - 0.5, cost=2.0,
            conversation={"platform": "github", "channel": "o/r#1"}),
    ])
    spent = sorted(await spending_between(engine, start, end), key=lambda s: s.requester)
    assert spent == [
        Spending("openai-main", "first", {"platform": "slack", "channel": "C1", "team": "T1"}, 0.25),
        Spending(None, "last", {"platform": "github", "channel": "o/r#1"}, 2.0),
    ]
    assert all(isinstance(s.cost, float) for s in spent)


async def test_lease_holders_are_the_workers_running_something(engine: AsyncEngine) -> None:
    store = Store(engine)
    try:
        new = NewExecution(kind="noop", trigger="test", source="console", requester="u",
                           conversation={"platform": "console", "channel": "t"})
        await store.enqueue_many([new] * 6)
        before = time.time()
        w1 = await store.claim(Claim("w1"), 3, lease_seconds=30)
        w2 = await store.claim(Claim("w2"), 1, lease_seconds=60)
        await store.finish(w1[0].id, "w1", Status.COMPLETED, {}, None)  # finished: no longer a lease
        holders = await lease_holders(engine)
    finally:
        await store.aclose()
    assert [(h.owner, h.running) for h in holders] == [("w1", 2), ("w2", 1)]  # the 2 pending rows have no owner
    assert len(w2) == 1 and w2[0].id not in {e.id for e in w1}  # w2's one lease is a row of its own
    assert all(isinstance(h, LeaseHolder) and isinstance(h.running, int) for h in holders)
    now = time.time()
    assert before + 30 <= holders[0].lease_expires_at <= now + 30  # type: ignore[operator]
    assert before + 60 <= holders[1].lease_expires_at <= now + 60  # type: ignore[operator]


async def test_timings_list_every_execution_in_id_order(engine: AsyncEngine) -> None:
    await load_executions(engine, [
        row(created_at=DAY, finished_at=DAY + 2),
        row(status="FAILED", created_at=DAY + 1, finished_at=DAY + 1.5),
        row(status="PENDING", created_at=DAY + 3, started_at=None, finished_at=None),
    ])
    assert await timings(engine) == [
        Timing("COMPLETED", DAY, DAY + 2), Timing("FAILED", DAY + 1, DAY + 1.5), Timing("PENDING", DAY + 3, None),
    ]


async def test_count_of_kind(engine: AsyncEngine) -> None:
    await load_executions(engine, [row(kind="github-review")] * 3 + [row(kind="ask")] * 2)
    assert await count_of_kind(engine, "github-review") == 3
    assert await count_of_kind(engine, "report") == 0


async def test_text_prefix_is_literal_for_reads_and_deletes(engine: AsyncEngine) -> None:
    texts = ["bench a_1-0", "bench a_1-1", "bench ab1-0", "bench a%1-0", "other bench a_1-2"]
    await load_executions(engine, [row(text=t) for t in texts])
    # with LIKE wildcards unescaped, "_" would match "b" and "%" anything
    assert await texts_starting_with(engine, "bench a_1-") == ["bench a_1-0", "bench a_1-1"]
    assert await texts_starting_with(engine, "bench a%") == ["bench a%1-0"]
    assert await delete_with_text_prefix(engine, "bench a_1-") == 2
    assert await texts_starting_with(engine, "") == ["bench ab1-0", "bench a%1-0", "other bench a_1-2"]


async def test_load_executions_writes_every_chunk(engine: AsyncEngine) -> None:
    await load_executions(engine, [row(text=f"r{i}") for i in range(7)], chunk=3)
    assert await texts_starting_with(engine, "r") == [f"r{i}" for i in range(7)]


async def test_stored_delivery_ids_answers_beyond_one_chunk(engine: AsyncEngine) -> None:
    stored = [f"d-{i}" for i in range(0, 1200, 2)]  # every other id of 1 200: more than two IN (…) chunks asked
    async with engine.begin() as conn:
        await conn.execute(insert(GHD), [
            {"delivery_id": d, "event": "pull_request", "action": "opened", "repo": "o/r", "executions": 1,
             "body": "", "received_at": DAY} for d in stored
        ])
    asked = [f"d-{i}" for i in range(1200)] + ["d-0"]  # a repeated id is asked once
    assert await stored_delivery_ids(engine, asked) == set(stored)
    assert await stored_delivery_ids(engine, []) == set()
