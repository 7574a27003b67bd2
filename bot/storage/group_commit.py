"""Group commit: many concurrent enqueues share one transaction, each caller answered after its commit.

A burst of inbound requests (Slack slash commands, GitHub webhooks) would otherwise be one transaction
each, and on SQLite they queue on the single write lock with the busy handler's sleeps. Here callers
append to a list and wait on a future; one writer task takes everything pending, stores it with
`Store.enqueue_many` (one INSERT … RETURNING, one commit) and resolves each future with its own id.
While that transaction runs, new arrivals gather for the next one, so a lone request waits for no one
and a burst is batched by itself. The writer exits when nothing is pending.

A batch that hits an idempotency key already stored (an Events API retry) is replayed one by one
through `Store.enqueue`, which returns the existing id for a duplicate; any other failure is raised
to every caller of that batch, none of which has been acknowledged.
"""
from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import IntegrityError

from bot.storage.store import NewExecution, Store

log = logging.getLogger("chatops.storage")


class GroupCommit:
    def __init__(self, store: Store, *, max_batch: int = 500) -> None:
        self.store = store
        self.max_batch = max_batch
        self._pending: list[tuple[NewExecution, asyncio.Future[int]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # transactions committed, for tests and benchmarks

    async def enqueue(self, new: NewExecution) -> int:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append((new, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="group-commit")
        # shield: a caller that gives up (client disconnect) must not cancel the others' transaction
        return await asyncio.shield(future)

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            try:
                ids: list[int | BaseException] = list(await self.store.enqueue_many([n for n, _ in batch]))
            except IntegrityError:
                ids = [await self._one(n) for n, _ in batch]
            except Exception as e:  # the database is down: every caller hears it, none was acknowledged
                ids = [e] * len(batch)
            self.batches += 1
            for (_, future), result in zip(batch, ids):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def _one(self, new: NewExecution) -> int | BaseException:
        try:
            return await self.store.enqueue(new)
        except Exception as e:
            return e
