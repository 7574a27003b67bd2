"""Process assembly: `open_bot(settings)` enters every component in order on one exit stack and unwinds
them in reverse, so every CLI mode (run, web, worker, console, say, bench) builds the same object.

The order is the dependency order, top to bottom: storage → the command table and the intake → the LLM
→ the GitHub client and the MCP hub → reports → the platforms (bot/adapters/platforms.py, each given the
spine) → the handlers' services. `receive` opens what takes requests in (HTTP routes, gateways,
sockets): `run` and `web`. Outbounds given by the caller come first (a console printing into a test).
"""
from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import BaseRoute

from bot.access_wiring import BotAccess, PolicyFileError, build_gate, load_policy
from bot.adapters.base import Outbound, Outbounds
from bot.adapters.github.component import handler_services, open_client
from bot.adapters.platform import Opened
from bot.adapters.platforms import PLATFORMS
from bot.doorbell import Doorbell
from bot.intake import Intake
from bot.llm_wiring import open_llm
from bot.members import MemberLookup
from bot.ratelimit import RateLimiter, parse_limits
from bot.settings import Settings
from bot.spine import Spine
from bot.status import BotStatus
from bot.storage.access import AccessStore
from bot.storage.engine import create_engine, masked_url
from bot.storage.migrate import upgrade
from bot.storage.store import Claim, Store
from bot.storage.tokens import TokenStore
from bot.storage.writes import WriteStore
from bot.worker import Worker
from commands import Registry, default_commands
from commands.context import Services
from pool import NOT_CONFIGURED_HINT
from reports import ReportsService, RuleError

log = logging.getLogger("chatops")


class StartupError(Exception):
    """A fault that stops start-up; its text is the one line the operator sees (exit code 2)."""


@dataclass(frozen=True, slots=True)
class Bot:
    settings: Settings
    spine: Spine
    services: Services
    outbounds: Outbounds
    access: BotAccess
    opened: Mapping[str, Opened] = field(default_factory=dict)  # what each platform opened, by name

    @property
    def store(self) -> Store:
        return self.spine.store

    @property
    def registry(self) -> Registry:
        return self.spine.registry

    @property
    def intake(self) -> Intake:
        return self.spine.intake

    @property
    def instance(self) -> str:
        return self.spine.instance

    @property
    def routes(self) -> list[BaseRoute]:
        """The HTTP routes the platforms serve (`receive` only): Slack's events endpoint, GitHub's webhook."""
        return [route for opened in self.opened.values() for route in opened.routes]

    def worker(self, *, shared: bool = True, pinned: str | None = None, concurrency: int | None = None) -> Worker:
        core = self.settings.core
        return Worker(
            self.store, self.registry, self.services, self.outbounds,
            Claim(owner=self.instance, shared=shared, pinned=pinned), self.intake.doorbell,
            concurrency=concurrency or core.worker_concurrency, lease_seconds=core.lease_seconds,
            poll_interval=core.poll_interval, retry_delay=core.retry_delay, audit=self.access,
            deadline=lambda cmd: core.deadline_for(cmd.name, cmd.deadline),
            rates=self.access.gate.rates if self.access.gate is not None else None,
        )


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
    settings: Settings, *, outbounds: Sequence[Outbound] = (), receive: bool = False, migrate: bool = True,
    options: Mapping[str, Mapping[str, Any]] | None = None, gate: bool = True,
) -> AsyncIterator[Bot]:
    """`gate=False` leaves the permission gate out of the intake: only `chatops bench slack` uses it, to
    measure what the gate costs beside the same bot with it."""
    async with contextlib.AsyncExitStack() as stack:
        core = settings.core
        engine = create_engine(core.database_url)
        stack.push_async_callback(engine.dispose)
        await prepare_database(engine, core.database_url, migrate=migrate)
        store = Store(engine)
        stack.push_async_callback(store.aclose)
        registry = Registry(default_commands())
        try:
            policy = load_policy(settings)
        except PolicyFileError as e:
            raise StartupError(str(e)) from None
        members: dict[str, MemberLookup] = {}  # the platforms register theirs when they open
        tokens = TokenStore(engine)
        web_url = core.web_url()

        async def login_link(subject: str, role: str) -> str:
            # any process may make it (a worker answers /access link); whichever serves the web signs it in
            return f"{web_url}/login/link/{await tokens.create_link(subject, role)}"

        access = BotAccess(AccessStore(engine), links=login_link, tokens=tokens)
        limits = parse_limits(core.rate_limits)
        rates = await stack.enter_async_context(RateLimiter(engine, limits).running()) if limits else None
        access.gate = build_gate(settings, access, members, policy, rates)
        intake = Intake(store, registry, Doorbell(), max_attempts=core.max_attempts, middleware=[access.gate] if gate else [])

        llm = await stack.enter_async_context(open_llm(settings.llm, store, settings.keys))
        github = open_client(settings)
        hub = await stack.enter_async_context(_open_hub(settings, github))
        reports = _reports(settings, engine)
        await stack.enter_async_context(_health_sources(reports, llm, hub))

        spine = Spine(settings, store, registry, intake, new_instance_id(), github, options or {}, members)
        opened = {p.name: await stack.enter_async_context(p.open(spine, receive=receive)) for p in PLATFORMS}
        router = Outbounds([*outbounds, *(o.outbound for o in opened.values() if o.outbound is not None)])

        services = Services(
            registry=registry, status=BotStatus(store), llm=llm, llm_hint=NOT_CONFIGURED_HINT, mcp=hub,
            github=handler_services(settings, github, store, router) if github else None, reports=reports,
            policy=policy, access=access, writes=WriteStore(engine),
        )
        yield Bot(settings, spine, services, router, access, opened)


@contextlib.asynccontextmanager
async def _open_hub(settings: Settings, github: Any) -> AsyncIterator[Any]:
    """The MCP hub, only when something is mounted: the mcp SDK costs ~0.7 s to import."""
    if not (settings.mcp.configured() or github is not None):
        yield None
        return
    from providers import ConfigFileError, Hub

    hub = Hub(settings.mcp, github_client=github)
    try:
        try:
            await hub.start()
        except ConfigFileError as e:
            raise StartupError(str(e)) from None
        yield hub
    finally:
        await hub.aclose()


def _reports(settings: Settings, engine: AsyncEngine) -> ReportsService:
    try:
        return ReportsService(settings.reports, engine)
    except RuleError as e:
        raise StartupError(f"alert rules: {e}") from None


@contextlib.asynccontextmanager
async def _health_sources(reports: ReportsService, llm: Any, hub: Any) -> AsyncIterator[None]:
    from bot.health_sources import register_health_sources

    source = register_health_sources(reports, llm, hub)
    try:
        yield
    finally:
        if source is not None:  # it may have a probe in flight: closed before the pool
            await source.aclose()
