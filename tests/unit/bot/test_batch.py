from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.storage.batch import GroupCommit


async def test_concurrent_submissions_share_batches_and_get_their_own_results() -> None:
    batches: list[list[int]] = []

    async def write(items: Sequence[int]) -> list[int]:
        batches.append(list(items))
        await asyncio.sleep(0.01)
        return [i * 10 for i in items]

    gc: GroupCommit[int, int] = GroupCommit(write, max_batch=50)
    results = await asyncio.gather(*(gc.submit(i) for i in range(120)))
    assert results == [i * 10 for i in range(120)]
    assert sorted(i for b in batches for i in b) == list(range(120))
    assert len(batches) < 120 and max(len(b) for b in batches) <= 50


async def test_a_failed_batch_fails_its_callers_and_the_next_batch_still_runs() -> None:
    calls = 0

    async def write(items: Sequence[str]) -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("disk full")
        return list(items)

    gc: GroupCommit[str, str] = GroupCommit(write)
    with pytest.raises(RuntimeError, match="disk full"):
        await gc.submit("a")
    assert await gc.submit("b") == "b"


async def test_a_cancelled_caller_does_not_cancel_the_batch() -> None:
    written: list[int] = []

    async def write(items: Sequence[int]) -> list[int]:
        await asyncio.sleep(0.05)
        written.extend(items)
        return list(items)

    gc: GroupCommit[int, int] = GroupCommit(write)
    first = asyncio.create_task(gc.submit(1))
    second = asyncio.create_task(gc.submit(2))
    await asyncio.sleep(0.01)
    first.cancel()
    assert await second == 2
    assert written == [1, 2]
