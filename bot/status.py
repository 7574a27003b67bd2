"""What /status and /ready read about the running bot, over its storage."""
from __future__ import annotations

import time

from bot import __version__
from bot.storage.store import Store
from commands.context import ExecutionStats


class BotStatus:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._started = time.time()

    async def execution_stats(self) -> ExecutionStats:
        pending, running, recent = await self._store.counts(since=time.time() - 3600)
        return ExecutionStats(self._store.backend, pending, running, recent)

    def started_at(self) -> float:
        return self._started

    def version(self) -> str:
        return __version__
