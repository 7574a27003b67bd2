"""The LLM service as the bot runs it: built from the settings (provider keys stored encrypted in the
database replacing the environment's), its gauges at GET /metrics (a pool), and its daily budgets merged
from the database (either path), closed with the bot."""
from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator

from bot.keys import KeySettings, SecretKeyError, with_stored_keys
from bot.storage.store import Store
from pool import LLMService, LLMSettings, build_llm

log = logging.getLogger("chatops")


@contextlib.asynccontextmanager
async def open_llm(settings: LLMSettings, store: Store, keys: KeySettings | None = None) -> AsyncIterator[LLMService | None]:
    if keys is not None:
        try:
            settings = await with_stored_keys(settings, store.engine, keys)
        except SecretKeyError as e:
            from bot.app import StartupError  # the assembly's exception; importing it at the top would be a cycle

            raise StartupError(str(e)) from None
    llm = build_llm(settings)
    if llm is None:
        yield None
        return
    try:
        with _pool_metrics(llm):
            if llm.budgets.limits:
                from bot.budget_sync import budgets_from_database

                async with budgets_from_database(llm, store):
                    yield llm
            else:
                yield llm
    finally:
        await llm.aclose()


@contextlib.contextmanager
def _pool_metrics(llm: LLMService) -> Iterator[None]:
    """The pool's gauges, read at scrape time; the single-client path has none (its status is None)."""
    if llm.status() is None:
        yield
        return
    from prometheus_client import REGISTRY

    from pool import PoolCollector, PoolStatus

    def snapshot() -> PoolStatus:
        status = llm.status()
        assert status is not None  # checked above: only the pool has a status, and it always has one
        return status

    collector = PoolCollector(snapshot)
    try:
        REGISTRY.register(collector)
    except ValueError:  # another bot in this process (tests) already exposes a pool
        log.warning("LLM pool metrics already registered in this process; this pool is not exported")
        yield
        return
    try:
        yield
    finally:
        REGISTRY.unregister(collector)
