"""Group commit: many callers, one transaction, each caller answered only after its item is committed.

`GroupCommit(flush)` runs one flusher task. `await gc.submit(item)` parks the caller; the flusher takes
everything queued (up to `max_batch`), calls `flush(items)` once, and resolves every caller with its
own result, or with the flush's exception. While a flush is in flight new items gather for the next
one, so batches grow with load by themselves and a lone item waits for no timer (`linger` adds an
optional pause before a flush to gather more).

Generic on purpose: the GitHub webhook uses it for deliveries; any inbound edge can.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class BatcherClosed(RuntimeError):
    pass


class GroupCommit(Generic[T, R]):
    def __init__(
        self,
        flush: Callable[[list[T]], Awaitable[Sequence[R]]],
        *,
        max_batch: int = 500,
        linger: float = 0.0,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._flush, self.max_batch, self.linger = flush, max_batch, linger
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.flushes = 0  # statistics: number of flushes and items they carried
        self.items = 0

    async def submit(self, item: T) -> R:
        if self._closed:
            raise BatcherClosed("the batcher is closed")
        loop = asyncio.get_running_loop()
        if self._task is None:
            self._wakeup = asyncio.Event()
            self._task = loop.create_task(self._run(), name="group-commit")
        fut: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, fut))
        assert self._wakeup is not None
        self._wakeup.set()
        return await fut

    async def _run(self) -> None:
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            if self.linger and len(self._pending) < self.max_batch:
                await asyncio.sleep(self.linger)
            while self._pending:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch:]
                await self._flush_batch(batch)
            self._wakeup.clear()
            if self._closed:
                return

    async def _flush_batch(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._flush([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"flush returned {len(results)} results for {len(batch)} items")
        except Exception as e:  # every caller of this batch learns it was not committed
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(e)
            return
        self.flushes += 1
        self.items += len(batch)
        for (_, fut), result in zip(batch, results, strict=True):  # the lengths were checked above
            if not fut.done():  # a caller that went away (client disconnect) still got its row
                fut.set_result(result)

    async def aclose(self) -> None:
        """Commit what is queued, then stop; later submits raise BatcherClosed."""
        self._closed = True
        if self._task is None:
            return
        assert self._wakeup is not None
        self._wakeup.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=10)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
