"""Slack and Discord as configured: outbound clients in every mode, inbound only where asked.

`ChatAdapters(settings)` opens the outbound clients (a `worker` process delivers replies too); then
`start_inbound(bot, stack)` starts what receives messages (`run` and `web`): the Bolt app mounted at
`POST /slack/events`, Slack Socket Mode when SLACK_APP_TOKEN is set, and the Discord gateway client.
Everything is closed in reverse on the exit stacks.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.routing import BaseRoute

from bot.adapters.asgi import Disconnected, TooLarge, headers_of, read_limited, replay, send_json
from bot.adapters.base import Outbound
from bot.settings import Settings

if TYPE_CHECKING:
    import discord
    from slack_bolt.async_app import AsyncApp

    from bot.adapters.discord.outbound import DiscordOutbound
    from bot.adapters.slack.inbound import SlashCommands
    from bot.adapters.slack.outbound import SlackOutbound
    from bot.app import Bot

log = logging.getLogger("chatops")
SOCKET_MODE_CONNECT_TIMEOUT = 30.0


class ChatAdapters:
    def __init__(self, settings: Settings, *, discord_options: dict[str, Any] | None = None) -> None:
        self.settings = settings
        # extra discord.Client options, e.g. a shorter `guild_ready_timeout` for tests (default 2 s)
        self.discord_options = discord_options or {}
        self.slack: SlackOutbound | None = None
        self.discord: DiscordOutbound | None = None
        self._stack = contextlib.AsyncExitStack()

    @property
    def outbounds(self) -> list[Outbound]:
        return [a for a in (self.slack, self.discord) if a is not None]

    async def __aenter__(self) -> ChatAdapters:
        slack, discord_settings = self.settings.slack, self.settings.discord
        if slack.slack_bot_token is not None:
            from bot.adapters.slack.outbound import SlackOutbound, web_client

            client = web_client(slack.slack_bot_token.get_secret_value(), str(slack.slack_api_url))
            self.slack = SlackOutbound(client)
            self._stack.push_async_callback(self.slack.aclose)
            await self.slack.start()
        if discord_settings.discord_token is not None:
            from bot.adapters.discord.outbound import DiscordOutbound, point_at

            point_at(str(discord_settings.discord_api_url), discord_settings.discord_gateway_url)
            self.discord = DiscordOutbound(discord_settings.discord_token.get_secret_value())
            self._stack.push_async_callback(self.discord.aclose)
            await self.discord.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def start_inbound(self, bot: Bot, stack: contextlib.AsyncExitStack) -> list[BaseRoute]:
        """Start receiving; returns the HTTP routes to mount (Slack's events endpoint)."""
        routes: list[BaseRoute] = []
        slack = self.settings.slack
        if self.slack is not None and not (slack.slack_signing_secret or slack.slack_app_token):
            log.warning("slack: SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET nor SLACK_APP_TOKEN: "
                        "answers can be posted, nothing is received")
        if self.slack is None and slack.slack_signing_secret is not None:
            log.warning("slack: SLACK_SIGNING_SECRET is set without SLACK_BOT_TOKEN: /slack/events is not served")
        if self.slack is not None and (slack.slack_signing_secret or slack.slack_app_token):
            from bot.adapters.slack.inbound import SlashCommands, build_bolt_app

            secret = slack.slack_signing_secret.get_secret_value() if slack.slack_signing_secret else None
            app = build_bolt_app(self.slack.client, secret or "", bot.ingest, bot.registry)
            if secret:
                routes.append(slack_route(app, SlashCommands(secret, bot.ingest)))
            if slack.slack_app_token is not None:
                from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

                handler = AsyncSocketModeHandler(app, app_token=slack.slack_app_token.get_secret_value())
                stack.push_async_callback(handler.close_async)
                try:
                    # the client retries a refused connection forever; start-up must not hang on it
                    await asyncio.wait_for(handler.connect_async(), timeout=SOCKET_MODE_CONNECT_TIMEOUT)
                    log.info("slack: Socket Mode connected")
                except asyncio.TimeoutError:
                    log.error("slack: Socket Mode did not connect within %ss (check SLACK_APP_TOKEN)", SOCKET_MODE_CONNECT_TIMEOUT)
        if self.discord is not None:
            from bot.adapters.discord.gateway import GatewayClient

            client = GatewayClient(bot.ingest, bot.registry, self.settings.discord.guild_ids(), **self.discord_options)
            token = self.settings.discord.discord_token
            assert token is not None
            task = asyncio.create_task(_run_gateway(client, token.get_secret_value()), name="discord-gateway")
            self.discord.gateway = client

            async def stop() -> None:
                await client.close()
                with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                    await asyncio.wait_for(task, timeout=5)

            stack.push_async_callback(stop)
        return routes


SLACK_MAX_BODY = 1024 * 1024  # Slack's payloads are a few KB; anything this large is not from Slack
_SLACK_HEADERS = (b"content-type", b"content-length", b"x-slack-request-timestamp", b"x-slack-signature")


def slack_route(app: AsyncApp, commands: SlashCommands | None = None) -> BaseRoute:
    """`POST /slack/events`: signed slash commands on their fast path, everything else through Bolt."""
    from starlette.routing import Route

    return Route("/slack/events", SlackEvents(app, commands), methods=["POST"])


class SlackEvents:
    """The ASGI app at `POST /slack/events` (bot/adapters/asgi.py: the slash command is the busiest request
    the bot serves). Bolt gets a Starlette Request that replays the body already read."""

    def __init__(self, app: AsyncApp, commands: SlashCommands | None) -> None:
        from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

        self._bolt, self._commands = AsyncSlackRequestHandler(app), commands

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = headers_of(scope, _SLACK_HEADERS)
        try:
            body = await read_limited(receive, headers.get(b"content-length"), SLACK_MAX_BODY)
        except TooLarge:
            await send_json(send, 413, b'{"error":"body too large"}')
            return
        except Disconnected:
            return
        if self._commands is not None:
            answer = await self._commands.answer(
                body, _text(headers.get(b"content-type")),
                _text(headers.get(b"x-slack-request-timestamp")), _text(headers.get(b"x-slack-signature")),
            )
            if answer is not None:
                await send_json(send, *answer)
                return
        response = await self._bolt.handle(Request(scope, replay(body)))
        await response(scope, receive, send)


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


async def _run_gateway(client: discord.Client, token: str) -> None:
    import discord

    try:
        await client.start(token, reconnect=True)
    except discord.LoginFailure as e:
        log.error("discord: the gateway refused the token: %s", e)
    except Exception:
        log.exception("discord: the gateway client stopped")
