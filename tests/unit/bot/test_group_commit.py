"""Group commit of Store.enqueue: concurrent enqueues share transactions, each caller gets its own id."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.storage.engine import create_engine
from bot.storage.migrate import upgrade
from bot.storage.store import NewExecution, Store


def new(i: int, key: str | None = None) -> NewExecution:
    return NewExecution(kind="noop", trigger="chat", source="test", requester="u", conversation={"platform": "console"},
                        text=f"item {i}", idempotency_key=key)


@pytest.fixture
async def store(db_url: str):
    engine = create_engine(db_url)
    await upgrade(engine)
    store = Store(engine)
    yield store
    await store.aclose()
    await engine.dispose()


async def test_concurrent_enqueues_are_batched_and_each_caller_gets_its_own_id(store: Store) -> None:
    ids = await asyncio.gather(*(store.enqueue(new(i)) for i in range(300)))
    assert len(set(ids)) == 300
    assert store.enqueue_batches < 300 / 10  # a burst shares transactions
    for i, eid in enumerate(ids):
        row = await store.get(eid)
        assert row is not None and row["text"] == f"item {i}"


async def test_a_lone_enqueue_is_committed_alone(store: Store) -> None:
    eid = await store.enqueue(new(1))
    assert (await store.get(eid))["text"] == "item 1" and store.enqueue_batches == 1


async def test_duplicate_idempotency_keys_in_and_across_batches_store_one_row(store: Store) -> None:
    first = await store.enqueue(new(0, key="slack:Ev1"))
    ids = await asyncio.gather(store.enqueue(new(1, key="slack:Ev1")), store.enqueue(new(2)), store.enqueue(new(3, key="slack:Ev2")),
                               store.enqueue(new(4, key="slack:Ev2")))
    assert ids[0] == first and ids[2] == ids[3] and len({first, ids[1], ids[2]}) == 3
    async with store.engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM execution"))).scalar_one()
    assert count == 3  # Ev1, item 2, Ev2


async def test_a_failing_database_fails_every_caller_of_the_batch(store: Store) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(text("DROP TABLE execution"))
    results = await asyncio.gather(*(store.enqueue(new(i)) for i in range(5)), return_exceptions=True)
    assert all(isinstance(r, Exception) for r in results)


async def test_ids_line_up_with_their_rows_after_the_newest_rows_were_deleted(store: Store) -> None:
    """SQLite's writer derives a batch's ids from the last one; deleted rows must not shift them."""
    from sqlalchemy import delete

    from bot.storage.store import EXEC

    first = await asyncio.gather(*(store.enqueue(new(i)) for i in range(20)))
    async with store.engine.begin() as conn:
        await conn.execute(delete(EXEC).where(EXEC.c.id.in_(first[10:])))
    ids = await asyncio.gather(*(store.enqueue(new(100 + i)) for i in range(30)))
    assert len(set(ids) | set(first[:10])) == 40
    for i, eid in enumerate(ids):
        assert (await store.get(eid))["text"] == f"item {100 + i}"
