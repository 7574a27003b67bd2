"""Assembly of the GitHub edge: the REST client, the outbound adapter, the handlers' services, and the
webhook receiver with its group-commit batcher. `open_github` enters them; `open_bot` calls it."""
from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import BaseRoute, Route

from bot.adapters.github.inbound import InboundConfig
from bot.adapters.github.outbound import GitHubOutbound
from bot.adapters.github.settings import parse_routes
from bot.adapters.github.webhook import WebhookReceiver
from bot.routing import parse_targets
from bot.storage.batch import GroupCommit
from bot.storage.github import STORED, GitHubStore, IncomingDelivery
from bot.storage.locks import database_lock
from commands.github.service import GitHubServices
from commands.model import Conversation
from providers.github.client import GitHubClient
from providers.github.reader import GitHubReader

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger("chatops.github")


@dataclass
class GitHubRuntime:
    store: GitHubStore
    batcher: GroupCommit[IncomingDelivery, str]
    receiver: WebhookReceiver
    client: GitHubClient | None = None
    outbound: GitHubOutbound | None = None
    services: GitHubServices | None = None
    listeners: list[Callable[[], None]] = field(default_factory=list)

    def outbounds(self) -> list[GitHubOutbound]:
        return [self.outbound] if self.outbound else []

    def routes(self) -> list[BaseRoute]:
        return [Route("/github/webhook", self.receiver, methods=["POST"])]  # an ASGI app, not a Starlette endpoint

    def on_stored(self, callback: Callable[[], None]) -> None:
        self.listeners.append(callback)


def default_targets(settings: Settings) -> tuple[Conversation, ...]:
    core = settings.core
    return tuple(parse_targets(core.report_channel or core.alert_channel or "console"))


@contextlib.asynccontextmanager
async def open_github(settings: Settings, engine: AsyncEngine) -> AsyncIterator[GitHubRuntime | None]:
    gs, gb = settings.github, settings.github_bot
    if not gs.enabled and gs.github_webhook_secret is None:
        yield None
        return
    client = GitHubClient.from_settings(gs, max_wait=gb.github_rate_limit_max_wait) if gs.enabled else None
    outbound = GitHubOutbound(client, shared_lock=functools.partial(database_lock, engine)) if client else None
    store = GitHubStore(engine)
    services = None
    if client is not None:
        services = GitHubServices(reader=GitHubReader(client), state=store, poster=outbound,
                                  review_max_tokens=gb.github_review_max_tokens)
    routes, targets = parse_routes(gb.github_routes), default_targets(settings)
    handle: dict[str, str | None] = {"value": gb.github_bot_handle}

    async def config(event: str) -> InboundConfig:
        if handle["value"] is None and outbound is not None and event == "issue_comment":
            try:  # the App's (or token's) login, asked once; a failure is retried on the next comment
                handle["value"] = (await outbound.login()).removesuffix("[bot]")
            except Exception as e:
                log.warning("cannot resolve the bot's GitHub login (set GITHUB_BOT_HANDLE): %s", e)
        return InboundConfig(gb.github_review_label, handle["value"], routes, targets)

    runtime: GitHubRuntime

    async def flush(batch: list[IncomingDelivery]) -> list[str]:
        outcome = await store.store_deliveries(batch)
        if STORED in outcome:
            for notify in runtime.listeners:
                notify()
        return outcome

    batcher: GroupCommit[IncomingDelivery, str] = GroupCommit(flush, max_batch=500)
    secret = gs.github_webhook_secret.get_secret_value() if gs.github_webhook_secret else None
    receiver = WebhookReceiver(secret, batcher, config, allowed_repos=gs.github_allowed_repos,
                               max_bytes=gb.github_max_body_bytes, max_attempts=settings.core.max_attempts,
                               keep_bodies=gb.github_keep_bodies)
    runtime = GitHubRuntime(store, batcher, receiver, client, outbound, services)
    try:
        yield runtime
    finally:
        await batcher.aclose()
