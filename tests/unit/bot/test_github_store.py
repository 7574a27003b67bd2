"""GitHubStore: deliveries and their executions in one transaction, deduplicated on the delivery id."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.storage.engine import create_engine
from bot.storage.github import DUPLICATE, STORED, GitHubStore, IncomingDelivery
from bot.storage.migrate import upgrade
from bot.storage.store import EXEC, NewExecution


def incoming(delivery: str, n_exec: int = 1) -> IncomingDelivery:
    ex = [NewExecution(kind="github-notify", trigger="github", source="github", requester="x",
                       conversation={"platform": "console", "channel": "stdout"}, idempotency_key=f"gh:{delivery}:{i}")
          for i in range(n_exec)]
    return IncomingDelivery(delivery, "push", None, "o/r", '{"a": 1}', ex)


async def test_batch_dedupes_within_itself_and_against_the_table(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await upgrade(engine)
        store = GitHubStore(engine)
        assert await store.store_deliveries([incoming("a", 2), incoming("b"), incoming("a")]) == [STORED, STORED, DUPLICATE]
        assert await store.store_deliveries([incoming("b"), incoming("c", 0)]) == [DUPLICATE, STORED]
        async with engine.connect() as conn:
            assert (await conn.execute(select(func.count()).select_from(EXEC))).scalar() == 3
        assert (await store.delivery("a"))["body"] == '{"a": 1}'
        await store.save_review("o/r", 1, "sha1", [{"fp": "x"}], {"summary": "s"})
        await store.save_review("o/r", 1, "sha2", [{"fp": "x"}, {"fp": "y"}], {"summary": "t"})
        state = await store.get_review("o/r", 1)
        assert (state["head_sha"], state["rounds"], len(state["findings"])) == ("sha2", 2, 2)
    finally:
        await engine.dispose()


async def test_review_writes_queue_behind_the_sqlite_writer_instead_of_its_busy_handler(tmp_path) -> None:
    import asyncio

    engine = create_engine(f"sqlite:///{tmp_path / 'gh.db'}")
    try:
        await upgrade(engine)
        store = GitHubStore(engine)
        assert store._writer is not None
        async with store._writer.lock:  # a webhook batch is committing
            pending = asyncio.create_task(store.save_review("o/r", 7, "sha", [], {}))
            await asyncio.sleep(0.2)
            assert not pending.done()
        await asyncio.wait_for(pending, 10)
        assert (await store.get_review("o/r", 7))["head_sha"] == "sha"
    finally:
        await engine.dispose()
