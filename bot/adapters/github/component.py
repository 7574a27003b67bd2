"""GitHub as a platform component: comments into issue and PR threads (outbound) when a token or App is
configured; when receiving, `POST /github/webhook` (with GITHUB_WEBHOOK_SECRET), whose deliveries go
through the intake. GitHub is also a provider: the one REST client (`open_client`) is made by the
assembly and shared with the MCP provider and the handlers (`handler_services`)."""
from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from pydantic_settings import BaseSettings
from starlette.routing import Route

from bot.adapters.github.settings import GitHubBotSettings, GitHubSettings, parse_routes
from bot.adapters.platform import Opened, Probe
from bot.adapters.probe import http_probe
from bot.routing import parse_targets

if TYPE_CHECKING:
    from bot.adapters.github.inbound import InboundConfig
    from bot.adapters.github.outbound import GitHubOutbound
    from bot.settings import Settings
    from bot.spine import Spine
    from bot.storage.store import Store
    from commands.github.service import GitHubServices, ThreadPoster
    from providers import GitHubClient

log = logging.getLogger("chatops.github")


class GitHubPlatform:
    name = "github"
    sections: Mapping[str, type[BaseSettings]] = {"github": GitHubSettings, "github_bot": GitHubBotSettings}

    def configured(self, sections: Mapping[str, BaseSettings]) -> bool:
        gs = sections["github"]
        assert isinstance(gs, GitHubSettings)
        return gs.enabled

    def probes(self, sections: Mapping[str, BaseSettings]) -> dict[str, Probe]:
        gs = sections["github"]
        assert isinstance(gs, GitHubSettings)
        if gs.github_token is None:
            return {}
        url = f"{str(gs.github_api_url).rstrip('/')}/rate_limit"
        headers = {"Authorization": f"Bearer {gs.github_token.get_secret_value()}"}
        return {"github": lambda: http_probe(url, headers)}

    @contextlib.asynccontextmanager
    async def open(self, spine: Spine, *, receive: bool) -> AsyncIterator[Opened]:
        gs: GitHubSettings = spine.settings.github
        outbound = None
        if spine.github is not None:
            from bot.adapters.github.outbound import GitHubOutbound
            from bot.storage.locks import database_lock

            # the same find-then-create in another worker process waits on a PostgreSQL advisory lock
            outbound = GitHubOutbound(spine.github, shared_lock=functools.partial(database_lock, spine.store.engine))
            from bot.adapters.github.members import GitHubMembers

            spine.members["github"] = GitHubMembers(spine.github, gs.github_members_ttl)
        routes = []
        # with GitHub configured but no secret the endpoint still answers: 503 naming the missing setting
        if receive and (gs.github_webhook_secret is not None or gs.enabled):
            from bot.adapters.github.webhook import WebhookReceiver

            gb: GitHubBotSettings = spine.settings.github_bot
            secret = gs.github_webhook_secret.get_secret_value() if gs.github_webhook_secret is not None else None
            receiver = WebhookReceiver(
                secret, spine.intake, _inbound_config(spine.settings, outbound),
                allowed_repos=gs.github_allowed_repos, max_bytes=gb.github_max_body_bytes, keep_bodies=gb.github_keep_bodies,
            )
            routes.append(Route("/github/webhook", receiver, methods=["POST"]))  # an ASGI app, not a Starlette endpoint
        try:
            yield Opened(outbound, routes)
        finally:
            spine.members.pop("github", None)


def _inbound_config(settings: Settings, outbound: GitHubOutbound | None) -> Callable[[str], Awaitable[InboundConfig]]:
    from bot.adapters.github.inbound import InboundConfig

    gb: GitHubBotSettings = settings.github_bot
    routes = parse_routes(gb.github_routes)
    core = settings.core
    targets = tuple(parse_targets(core.report_channel or core.alert_channel or "console"))
    handle: dict[str, str | None] = {"value": gb.github_bot_handle}

    async def config(event: str) -> InboundConfig:
        if handle["value"] is None and outbound is not None and event == "issue_comment":
            try:  # the App's (or token's) login, asked once; a failure is retried on the next comment
                handle["value"] = (await outbound.login()).removesuffix("[bot]")
            except Exception as e:
                log.warning("cannot resolve the bot's GitHub login (set GITHUB_BOT_HANDLE): %s", e)
        return InboundConfig(gb.github_review_label, handle["value"], routes, targets)

    return config


def open_client(settings: Settings) -> GitHubClient | None:
    """The bot's one GitHub REST client (token or App), or None when GitHub is not configured."""
    gs: GitHubSettings = settings.github
    if not gs.enabled:
        return None
    from providers import GitHubClient  # githubkit is heavy: only when GitHub is configured

    return GitHubClient.from_settings(gs, max_wait=settings.github_bot.github_rate_limit_max_wait)


def handler_services(settings: Settings, client: GitHubClient, store: Store, poster: ThreadPoster) -> GitHubServices:
    """What the GitHub handlers read and write through: the provider's reader over the one client, the
    review state in storage, and the outbound router (posting into a PR thread is a delivery like any)."""
    from commands.github.service import GitHubServices
    from providers import GitHubReader

    return GitHubServices(reader=GitHubReader(client), state=store.github, poster=poster,
                          review_max_tokens=settings.github_bot.github_review_max_tokens)


PLATFORM = GitHubPlatform()
