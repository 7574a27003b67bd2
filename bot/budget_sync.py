"""The LLM service's daily budgets (the pool's or the single client's), kept across restarts and worker
processes through the Execution table.

The pool counts spending in memory (reservation must stay synchronous). Each execution records its
cost, deployment, requester and conversation, so the day's spending per budget key can be summed from
the database: merged into the pool at start-up and every `INTERVAL` seconds (each key keeps the larger
of the two), a restart does not reset the day's budgets and two worker processes see each other's
spending within a minute.
"""
from __future__ import annotations

import asyncio
import calendar
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from bot.storage.reads import spending_between
from bot.storage.store import Store
from commands.llm import budget_keys
from commands.model import Conversation
from pool import BudgetKey, LLMService, utc_day

log = logging.getLogger("chatops.budgets")
INTERVAL = 60.0


async def recorded_spending(store: Store, day: str) -> dict[BudgetKey, float]:
    """Cost of the executions finished on UTC `day`, per budget key (deployment, user, channel, repo)."""
    start = calendar.timegm(time.strptime(day, "%Y-%m-%d"))
    spent: dict[BudgetKey, float] = {}
    for row in await spending_between(store.engine, start, start + 86400):
        keys: dict[str, Any] = budget_keys(row.requester, Conversation.from_dict(row.conversation))
        keys["deployment"] = row.provider
        for scope, key in keys.items():
            if key is not None:
                spent[(scope, key)] = spent.get((scope, key), 0.0) + row.cost
    return spent


async def sync_once(pool: LLMService, store: Store) -> None:
    day = utc_day()
    pool.budgets.merge_spent(day, await recorded_spending(store, day))


@contextlib.asynccontextmanager
async def budgets_from_database(pool: LLMService, store: Store) -> AsyncIterator[None]:
    """Merge the recorded spending now, then every minute while the bot runs (open_bot enters this only
    when the LLM service, pool or single client, has budgets)."""
    await sync_once(pool, store)

    async def loop() -> None:
        while True:
            await asyncio.sleep(INTERVAL)
            try:
                await sync_once(pool, store)
            except Exception:  # the next round retries; the pool keeps its own counts meanwhile
                log.exception("reading the day's LLM spending from the database failed")

    task = asyncio.create_task(loop(), name="budget-sync")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
