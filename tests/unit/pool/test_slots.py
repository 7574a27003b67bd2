"""The pool's slots: priority order, a bounded queue, and no slot lost to a caller who gave up."""
from __future__ import annotations

import asyncio

import pytest

from pool.errors import PoolBusy
from pool.slots import Slots


async def test_a_waiter_that_gives_up_does_not_keep_or_lose_a_slot() -> None:
    slots = Slots(size=1, queue_limit=5)
    await slots.acquire(0)
    quitter = asyncio.create_task(slots.acquire(0))
    stayer = asyncio.create_task(slots.acquire(10))
    await asyncio.sleep(0)
    assert slots.waiting == 2
    quitter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await quitter
    assert slots.waiting == 1
    slots.release()  # goes to the one still waiting
    await stayer
    assert (slots.busy, slots.waiting) == (1, 0)
    slots.release()
    assert slots.busy == 0 and slots.try_acquire()


async def test_a_slot_handed_over_as_the_waiter_is_cancelled_passes_on() -> None:
    slots = Slots(size=1, queue_limit=5)
    await slots.acquire(0)
    first = asyncio.create_task(slots.acquire(0))
    second = asyncio.create_task(slots.acquire(0))
    await asyncio.sleep(0)
    slots.release()  # handed to `first`…
    first.cancel()  # …which gives up before it runs: the slot must reach `second`
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)
    assert (slots.busy, slots.waiting) == (1, 0)


async def test_the_queue_is_bounded_and_says_where_the_caller_would_be() -> None:
    slots = Slots(size=1, queue_limit=2)
    await slots.acquire(0)
    waiters = [asyncio.create_task(slots.acquire(0)) for _ in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(PoolBusy) as busy:
        await slots.acquire(0)
    assert (busy.value.position, busy.value.queue_size) == (3, 2)
    for _ in range(3):
        slots.release()
    await asyncio.gather(*waiters)
    assert slots.busy == 0
