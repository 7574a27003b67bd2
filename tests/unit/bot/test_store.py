"""The durable queue on SQLite and PostgreSQL: no double claim, lease expiry, idempotency."""
from __future__ import annotations

import asyncio
import time

from bot.storage.engine import create_engine
from bot.storage.migrate import HEAD, current_revision, upgrade
from bot.storage.models import Status
from bot.storage.store import Claim, NewExecution, Store


def new(i: int = 0, **kw) -> NewExecution:
    return NewExecution(kind="noop", trigger="test", source="console", requester="u", conversation={"platform": "console", "channel": "t"}, text=f"/noop {i}", **kw)


async def open_store(url: str) -> Store:
    engine = create_engine(url)
    await upgrade(engine)
    return Store(engine)


async def test_migrations_reach_head_and_are_idempotent(db_url: str) -> None:
    store = await open_store(db_url)
    await upgrade(store.engine)
    async with store.engine.connect() as conn:
        assert await current_revision(conn) == HEAD
    await store.engine.dispose()


async def test_execution_indexes_at_head_are_the_models(db_url: str) -> None:
    """Migrations and models name the same indexes (the redundant created_at one is gone: 0009)."""
    from sqlalchemy import inspect

    from bot.storage.models import Execution

    store = await open_store(db_url)
    async with store.engine.connect() as conn:
        found = await conn.run_sync(lambda c: {ix["name"] for ix in inspect(c).get_indexes("execution")})
    declared = {ix.name for ix in Execution.__table__.indexes}  # type: ignore[attr-defined]
    assert "ix_execution_created" not in found
    assert declared <= found and "ix_execution_created_status_latency" in found
    await store.engine.dispose()


async def test_concurrent_claimers_never_take_the_same_row(db_url: str) -> None:
    store = await open_store(db_url)
    ids = await store.enqueue_many([new(i) for i in range(60)])
    claims = await asyncio.gather(*(store.claim(Claim(f"w{i}"), 7, 30) for i in range(12)))
    taken = [r.id for rows in claims for r in rows]
    assert len(taken) == len(set(taken)) == 60
    assert sorted(taken) == sorted(ids)
    assert all(r.attempts == 1 for rows in claims for r in rows)
    await store.engine.dispose()


async def test_expired_lease_is_claimed_again_and_live_lease_is_not(db_url: str) -> None:
    store = await open_store(db_url)
    eid = await store.enqueue(new())
    [row] = await store.claim(Claim("dead-worker"), 1, lease_seconds=0.2)
    assert await store.claim(Claim("other"), 1, 30) == []
    await asyncio.sleep(0.3)
    [again] = await store.claim(Claim("other"), 1, 30)
    assert again.id == eid and again.attempts == 2 and (await store.get(eid))["lease_owner"] == "other"
    # the dead worker lost its lease: its late finish is refused
    assert not await store.finish(eid, "dead-worker", Status.COMPLETED, {}, None)
    assert await store.finish(eid, "other", Status.COMPLETED, {}, {"key": f"{eid}:final", "platform": "console", "message_ref": "m1"})
    assert (await store.get(eid))["status"] == Status.COMPLETED
    await store.engine.dispose()


async def test_heartbeat_keeps_the_lease(db_url: str) -> None:
    store = await open_store(db_url)
    eid = await store.enqueue(new())
    await store.claim(Claim("w"), 1, lease_seconds=0.3)
    for _ in range(3):
        await asyncio.sleep(0.15)
        await store.renew("w", [eid], 0.3)
    assert await store.claim(Claim("thief"), 1, 30) == []
    await store.engine.dispose()


async def test_exhausted_rows_are_failed_not_retried_forever(db_url: str) -> None:
    store = await open_store(db_url)
    eid = await store.enqueue(new(max_attempts=1))
    await store.claim(Claim("w"), 1, lease_seconds=0.05)
    await asyncio.sleep(0.1)
    assert await store.claim(Claim("x"), 1, 30) == []
    await store.give_up_exhausted()
    row = await store.get(eid)
    assert row["status"] == Status.FAILED and "stopped responding" in row["error"]
    await store.engine.dispose()


async def test_idempotency_key_returns_the_existing_execution(db_url: str) -> None:
    store = await open_store(db_url)
    a = await store.enqueue(new(idempotency_key="delivery-1"))
    b = await store.enqueue(new(idempotency_key="delivery-1"))
    assert a == b
    pending, _, _ = await store.counts(since=0)
    assert pending == 1
    await store.engine.dispose()


async def test_pinned_rows_go_only_to_their_owner_and_priority_orders_the_queue(db_url: str) -> None:
    store = await open_store(db_url)
    pinned = await store.enqueue(new(affinity="console-1"))
    low = await store.enqueue(new(priority=20))
    high = await store.enqueue(new(priority=0))
    shared = await store.claim(Claim("w"), 10, 30)
    assert [r.id for r in shared] == [high, low]
    assert [r.id for r in await store.claim(Claim("c", shared=False, pinned="console-1"), 10, 30)] == [pinned]
    await store.engine.dispose()


async def test_retry_later_waits_for_its_time(db_url: str) -> None:
    store = await open_store(db_url)
    eid = await store.enqueue(new())
    await store.claim(Claim("w"), 1, 30)
    await store.retry_later(eid, "w", "slack down", delay=0.2)
    assert await store.claim(Claim("w"), 1, 30) == []
    await asyncio.sleep(0.25)
    [row] = await store.claim(Claim("w"), 1, 30)
    assert row.id == eid and row.error == "slack down" and (await store.get(eid))["available_at"] <= time.time()
    await store.engine.dispose()


async def test_group_committed_finishes_report_each_lost_lease(db_url: str) -> None:
    store = await open_store(db_url)
    ids = await store.enqueue_many([new(i) for i in range(4)])
    await store.claim(Claim("w"), 4, 30)
    results = await asyncio.gather(
        *(
            store.finish(eid, "w" if eid != ids[2] else "impostor", Status.COMPLETED, {"error": None},
                         {"key": f"{eid}:final", "platform": "console", "message_ref": None})
            for eid in ids
        )
    )
    assert results == [True, True, False, True]
    rows = [await store.get(eid) for eid in ids]
    assert [r["status"] for r in rows] == ["COMPLETED", "COMPLETED", "RUNNING", "COMPLETED"]
    assert sorted(await store.deliveries(ids[0])) == [f"{ids[0]}:final"]
    assert await store.deliveries(ids[2]) == {}
    await store.engine.dispose()
