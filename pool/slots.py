"""The pool's global slots: `size` requests run at once, the rest wait in a bounded priority queue.

Lower priority values go first (interactive 0 < github 10 < scheduled 20), FIFO within a priority.
A full queue answers at once with `PoolBusy` (never a hang); a more urgent newcomer displaces the least
urgent waiter, which gets the `PoolBusy` instead.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools

from pool.errors import PoolBusy


class Slots:
    def __init__(self, size: int, queue_limit: int) -> None:
        self.size, self.queue_limit = size, queue_limit
        self.busy = 0
        self.waiting = 0
        self._heap: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def position(self, priority: int) -> int:
        return 1 + sum(1 for p, _, f in self._heap if p <= priority and not f.done())

    def try_acquire(self) -> bool:
        """The fast path: a free slot and nobody waiting."""
        if self.busy < self.size and not self.waiting:
            self.busy += 1
            return True
        return False

    async def acquire(self, priority: int) -> None:
        if self.try_acquire():
            return
        if self.waiting >= self.queue_limit:
            self._make_room(priority)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (priority, next(self._seq), fut))
        self.waiting += 1
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self.release()  # the slot was handed over just as the caller gave up: pass it on
            else:
                self.waiting -= 1
            raise
        except PoolBusy:
            raise  # displaced: `waiting` was already decremented
        # handed over by release(): `busy` stays the same, the slot changed owner

    def _make_room(self, priority: int) -> None:
        live = [e for e in self._heap if not e[2].done()]
        worst = max(live, default=None)
        if worst is None or worst[0] <= priority:
            raise PoolBusy(self.position(priority), self.queue_limit)
        worst[2].set_exception(PoolBusy(len(live), self.queue_limit))
        self.waiting -= 1

    def release(self) -> None:
        while self._heap:
            _, _, fut = heapq.heappop(self._heap)
            if not fut.done():
                self.waiting -= 1
                fut.set_result(None)
                return
        self.busy -= 1
