"""Process assembly: one place wires storage, commands, the LLM client and the adapters.

`open_bot(settings)` enters every component in order on one exit stack and unwinds them in reverse,
so every CLI mode (run, web, worker, console, say, bench) builds the same object.
"""
from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.base import Outbound, Outbounds
from bot.ingest import Ingest
from bot.settings import Settings
from bot.status import BotStatus
from bot.storage.engine import create_engine, masked_url
from bot.storage.migrate import upgrade
from bot.storage.store import Claim, Store
from bot.worker import Worker
from commands import Registry, default_commands
from commands.context import Services
from pool.factory import NOT_CONFIGURED_HINT, build_chat_client
from reports.rules import RuleError
from reports.service import ReportsService

if TYPE_CHECKING:
    from bot.adapters.github.runtime import GitHubRuntime

log = logging.getLogger("chatops")


class StartupError(Exception):
    """A fault that stops start-up; its text is the one line the operator sees (exit code 2)."""


@dataclass(slots=True)
class Bot:
    settings: Settings
    store: Store
    registry: Registry
    services: Services
    outbounds: Outbounds
    ingest: Ingest
    instance: str
    github: GitHubRuntime | None = None

    def worker(self, *, shared: bool = True, pinned: str | None = None, concurrency: int | None = None) -> Worker:
        core = self.settings.core
        worker = Worker(
            self.store,
            self.registry,
            self.services,
            self.outbounds,
            Claim(owner=self.instance, shared=shared, pinned=pinned),
            concurrency=concurrency or core.worker_concurrency,
            lease_seconds=core.lease_seconds,
            poll_interval=core.poll_interval,
            retry_delay=core.retry_delay,
        )
        self.ingest.on_enqueued(worker.wake)
        return worker


def new_instance_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


async def prepare_database(engine: AsyncEngine, url: str, *, migrate: bool = True) -> None:
    """Apply migrations (or just connect); an unreachable database becomes one StartupError line."""
    try:
        if migrate:
            await upgrade(engine)
        else:
            await Store(engine).ping()
    except (OSError, OperationalError, DBAPIError) as e:
        reason = getattr(e, "orig", None) or e
        raise StartupError(f"database unreachable: {masked_url(url)}: {type(reason).__name__}: {reason}") from None


@contextlib.asynccontextmanager
async def open_bot(
    settings: Settings, *, outbounds: Sequence[Outbound] = (), migrate: bool = True
) -> AsyncIterator[Bot]:
    async with contextlib.AsyncExitStack() as stack:
        engine = create_engine(settings.core.database_url)
        stack.push_async_callback(engine.dispose)
        await prepare_database(engine, settings.core.database_url, migrate=migrate)
        store = Store(engine)
        stack.push_async_callback(store.aclose)
        for outbound in outbounds:  # Discord keeps the command lines of over-long buttons in the database
            if hasattr(outbound, "button_store"):
                outbound.button_store = store

        llm = build_chat_client(settings.llm)
        if llm is not None:
            stack.push_async_callback(llm.aclose)
            _expose_pool_metrics(llm, stack)
            await _budgets_from_database(llm, store, stack)

        hub = None
        # the mcp SDK costs ~0.7 s to import: only when there is something to mount
        if settings.mcp.configured() or settings.github.enabled:
            from providers.config import ConfigFileError
            from providers.hub import Hub

            hub = Hub(settings.mcp, github=settings.github if settings.github.enabled else None)
            stack.push_async_callback(hub.aclose)
            try:
                await hub.start()
            except ConfigFileError as e:
                raise StartupError(str(e)) from None

        github = None
        if settings.github.enabled or settings.github.github_webhook_secret is not None:
            # githubkit is heavy to import: only when GitHub is configured
            from bot.adapters.github.runtime import open_github

            github = await stack.enter_async_context(open_github(settings, engine))

        registry = Registry(default_commands())
        try:
            reports = ReportsService(settings.reports, engine)
        except RuleError as e:
            raise StartupError(f"alert rules: {e}") from None
        from bot.health_sources import register_health_sources

        if (pool_source := register_health_sources(reports, llm, hub)) is not None:
            stack.push_async_callback(pool_source.aclose)
        services = Services(
            registry=registry, status=BotStatus(store), llm=llm, llm_hint=NOT_CONFIGURED_HINT, mcp=hub,
            github=github.services if github else None, reports=reports,
        )
        bot = Bot(
            settings=settings,
            store=store,
            registry=registry,
            services=services,
            outbounds=Outbounds([*outbounds, *(github.outbounds() if github else [])]),
            ingest=Ingest(store, registry, max_attempts=settings.core.max_attempts),
            instance=new_instance_id(),
            github=github,
        )
        if github:
            github.on_stored(bot.ingest.notify)
        yield bot


async def _budgets_from_database(llm: object, store: Store, stack: contextlib.AsyncExitStack) -> None:
    """The day's spending so far (earlier runs, other worker processes) counts against the budgets."""
    from pool.pool import LLMPool

    if isinstance(llm, LLMPool) and llm.budgets.limits:
        from bot.budget_sync import budgets_from_database

        await stack.enter_async_context(budgets_from_database(llm, store))


def _expose_pool_metrics(llm: object, stack: contextlib.AsyncExitStack) -> None:
    """The LLM pool's gauges at GET /metrics, read at scrape time; unregistered when the bot closes."""
    from pool.pool import LLMPool

    if isinstance(llm, LLMPool):
        from prometheus_client import REGISTRY

        from pool.metrics import PoolCollector

        collector = PoolCollector(llm.status)
        try:
            REGISTRY.register(collector)
        except ValueError:  # another bot in this process (tests) already exposes a pool
            log.warning("LLM pool metrics already registered in this process; this pool is not exported")
            return
        stack.callback(REGISTRY.unregister, collector)
