"""GroupCommit: one flush per burst, each caller answered with its own result after the flush."""
from __future__ import annotations

import asyncio

import pytest

from bot.storage.batch import BatcherClosed, GroupCommit


async def test_a_burst_is_flushed_in_few_batches_and_each_caller_gets_its_result() -> None:
    batches: list[list[int]] = []

    async def flush(items: list[int]) -> list[int]:
        batches.append(items)
        await asyncio.sleep(0.01)  # the commit: meanwhile new items gather
        return [i * 10 for i in items]

    gc: GroupCommit[int, int] = GroupCommit(flush, max_batch=50)
    results = await asyncio.gather(*(gc.submit(i) for i in range(200)))
    assert results == [i * 10 for i in range(200)]
    assert sorted(i for b in batches for i in b) == list(range(200))
    assert len(batches) <= 5 and max(len(b) for b in batches) == 50
    assert (gc.flushes, gc.items) == (len(batches), 200)
    await gc.aclose()


async def test_a_lone_item_is_not_held_back() -> None:
    async def flush(items: list[str]) -> list[str]:
        return items

    gc: GroupCommit[str, str] = GroupCommit(flush)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    assert await gc.submit("a") == "a"
    assert loop.time() - t0 < 0.05
    await gc.aclose()


async def test_a_failed_flush_fails_exactly_its_callers_and_later_ones_succeed() -> None:
    calls = 0

    async def flush(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("disk full")
        return items

    gc: GroupCommit[int, int] = GroupCommit(flush)
    with pytest.raises(RuntimeError, match="disk full"):
        await gc.submit(1)
    assert await gc.submit(2) == 2
    await gc.aclose()


async def test_a_wrong_number_of_results_is_an_error_not_a_misattribution() -> None:
    async def flush(items: list[int]) -> list[int]:
        return items[:-1]

    gc: GroupCommit[int, int] = GroupCommit(flush)
    with pytest.raises(RuntimeError, match="results for"):
        await gc.submit(1)
    await gc.aclose()


async def test_close_commits_what_is_queued_then_refuses() -> None:
    committed: list[int] = []

    async def flush(items: list[int]) -> list[int]:
        await asyncio.sleep(0.01)
        committed.extend(items)
        return items

    gc: GroupCommit[int, int] = GroupCommit(flush)
    tasks = [asyncio.create_task(gc.submit(i)) for i in range(10)]
    await asyncio.sleep(0)
    await gc.aclose()
    assert sorted(await asyncio.gather(*tasks)) == list(range(10)) and sorted(committed) == list(range(10))
    with pytest.raises(BatcherClosed):
        await gc.submit(99)


async def test_a_caller_that_went_away_does_not_break_the_batch() -> None:
    async def flush(items: list[int]) -> list[int]:
        await asyncio.sleep(0.02)
        return items

    gc: GroupCommit[int, int] = GroupCommit(flush)
    gone = asyncio.create_task(gc.submit(1))
    stays = asyncio.create_task(gc.submit(2))
    await asyncio.sleep(0.005)
    gone.cancel()
    assert await stays == 2
    await gc.aclose()
