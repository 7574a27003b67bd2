"""`POST /slack/events`: signed slash commands on their fast path (`SlashCommands`), everything else through Bolt."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.routing import BaseRoute

from bot.adapters.asgi import Disconnected, TooLarge, headers_of, read_limited, replay, send_json

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.adapters.slack.inbound import SlashCommands

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
