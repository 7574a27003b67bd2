"""`POST /slack/events`: signed slash commands on their fast path (`SlashCommands`), everything else through Bolt.

Before either: a signature or timestamp header that is not ASCII is refused here with Bolt's own 401
(slack_sdk's verifier would raise comparing it, a 500), and a body that Bolt cannot parse for being
nested too deeply is answered 400 rather than 500.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.routing import BaseRoute

from bot.adapters.asgi import Disconnected, TooLarge, headers_of, read_limited, replay, send_json

if TYPE_CHECKING:
    from slack_bolt.async_app import AsyncApp

    from bot.adapters.slack.inbound import SlashCommands

log = logging.getLogger("chatops.slack")
SLACK_MAX_BODY = 1024 * 1024  # Slack's payloads are a few KB; anything this large is not from Slack
_SLACK_HEADERS = (b"content-type", b"content-length", b"x-slack-request-timestamp", b"x-slack-signature")
_INVALID = b'{"error":"invalid request"}'  # what Bolt answers a bad signature
_NOT_PAYLOAD = b'{"error":"body is not a Slack payload"}'
_TOO_DEEP = b'{"error":"body is not a Slack payload: JSON nested too deeply"}'


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
        signature, timestamp = headers.get(b"x-slack-signature"), headers.get(b"x-slack-request-timestamp")
        if not _ascii(signature) or not _ascii(timestamp) or (timestamp is not None and not timestamp.strip().isdigit()):
            # Bolt's verifier would raise on these (a 500): they are simply not Slack's signature
            log.warning("slack: request refused: a signature or timestamp header Slack never sends")
            await send_json(send, 401, _INVALID)
            return
        if self._commands is not None:
            answer = await self._commands.answer(
                body, _text(headers.get(b"content-type")), _text(timestamp), _text(signature),
            )
            if answer is not None:
                await send_json(send, *answer)
                return
        try:
            response = await self._bolt.handle(Request(scope, replay(body)))
        except RecursionError:  # Bolt parses the body (json.loads) before it checks the signature
            log.warning("slack: request refused: JSON nested too deeply")
            await send_json(send, 400, _TOO_DEEP)
            return
        except (ValueError, TypeError, AttributeError, KeyError) as e:
            # a body Bolt cannot read as a Slack payload (`null`, a form `payload` that is not a JSON
            # object): its parser raises before any listener runs; the sender gets a 400, not a traceback
            log.warning("slack: request refused: not a Slack payload (%s)", type(e).__name__)
            await send_json(send, 400, _NOT_PAYLOAD)
            return
        await response(scope, receive, send)


def _ascii(value: bytes | None) -> bool:
    return value is None or value.isascii()


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")
