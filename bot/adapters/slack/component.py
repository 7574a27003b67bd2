"""Slack as a platform component: the Web API outbound in every mode; when receiving, the Bolt app at
`POST /slack/events` (HTTP mode, with SLACK_SIGNING_SECRET) and Socket Mode (with SLACK_APP_TOKEN).
slack_sdk and Bolt are imported only when Slack is configured."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

from pydantic_settings import BaseSettings
from starlette.routing import BaseRoute

from bot.adapters.platform import Opened, Probe
from bot.adapters.probe import http_probe
from bot.adapters.slack.settings import SlackSettings

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.spine import Spine

log = logging.getLogger("chatops.slack")
SOCKET_MODE_CONNECT_TIMEOUT = 30.0


class SlackPlatform:
    name = "slack"
    sections: Mapping[str, type[BaseSettings]] = {"slack": SlackSettings}

    def configured(self, sections: Mapping[str, BaseSettings]) -> bool:
        return _mine(sections).slack_bot_token is not None

    def probes(self, sections: Mapping[str, BaseSettings]) -> dict[str, Probe]:
        s = _mine(sections)
        if s.slack_bot_token is None:
            return {}
        url = f"{str(s.slack_api_url).rstrip('/')}/auth.test"
        headers = {"Authorization": f"Bearer {s.slack_bot_token.get_secret_value()}"}
        return {"slack": lambda: http_probe(url, headers, "POST")}

    @contextlib.asynccontextmanager
    async def open(self, spine: Spine, *, receive: bool) -> AsyncIterator[Opened]:
        s: SlackSettings = spine.settings.slack
        if s.slack_bot_token is None:
            if receive and s.slack_signing_secret is not None:
                log.warning("slack: SLACK_SIGNING_SECRET is set without SLACK_BOT_TOKEN: /slack/events is not served")
            yield Opened()
            return
        from bot.adapters.slack.members import SlackMembers
        from bot.adapters.slack.outbound import SlackOutbound, web_client

        client = web_client(s.slack_bot_token.get_secret_value(), str(s.slack_api_url))
        outbound = SlackOutbound(client)
        spine.members["slack"] = SlackMembers(client, s.slack_members_ttl)
        async with contextlib.AsyncExitStack() as stack:
            stack.callback(spine.members.pop, "slack", None)
            stack.push_async_callback(outbound.aclose)
            await outbound.start()
            routes = await _receive(spine, s, client, stack) if receive else []
            yield Opened(outbound, routes)


async def _receive(
    spine: Spine, s: SlackSettings, client: AsyncWebClient, stack: contextlib.AsyncExitStack
) -> list[BaseRoute]:
    if not (s.slack_signing_secret or s.slack_app_token):
        log.warning("slack: SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET nor SLACK_APP_TOKEN: "
                    "answers can be posted, nothing is received")
        return []
    from bot.adapters.slack.http import slack_route
    from bot.adapters.slack.inbound import SlashCommands, build_bolt_app

    secret = s.slack_signing_secret.get_secret_value() if s.slack_signing_secret else None
    app = build_bolt_app(client, secret or "", spine.intake, spine.registry)
    routes = [slack_route(app, SlashCommands(secret, spine.intake))] if secret else []
    if s.slack_app_token is not None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app, app_token=s.slack_app_token.get_secret_value())
        stack.push_async_callback(handler.close_async)
        try:
            # the client retries a refused connection forever; start-up must not hang on it
            await asyncio.wait_for(handler.connect_async(), timeout=SOCKET_MODE_CONNECT_TIMEOUT)
            log.info("slack: Socket Mode connected")
        except TimeoutError:
            log.error("slack: Socket Mode did not connect within %ss (check SLACK_APP_TOKEN)", SOCKET_MODE_CONNECT_TIMEOUT)
    return routes


def _mine(sections: Mapping[str, BaseSettings]) -> SlackSettings:
    section = sections["slack"]
    assert isinstance(section, SlackSettings)
    return section


PLATFORM = SlackPlatform()
