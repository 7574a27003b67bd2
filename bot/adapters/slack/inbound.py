"""Slack payloads → Events: slash commands, mentions, DMs and button clicks.

Signed slash commands over HTTP take `SlashCommands` (same verifier, same answer, without Bolt's
dispatch); everything else, and everything in Socket Mode, goes through Bolt. Bolt checks the v0
signature and its 5-minute window (401 otherwise), answers `url_verification`, and
with `process_before_response=True` sends the HTTP answer only after the listener returns: every
listener stores the Execution first (`Intake.submit`) and acknowledges after, so an acknowledged
command is always on disk. Events API retries carry the same `event_id`, which is the idempotency key.

Replays: a signed request can be sent again within Slack's 5-minute window by anyone who saw it. Every
stored request carries an idempotency key taken from what the signature covers, so a replay finds the
first one's row on the same insert (no extra query on the acknowledgement path) and is answered as the
first one was (the same execution id): a slash command by its `v0` signature (an HMAC of timestamp and
body, so one per request), an event by its `event_id`, a button by its `trigger_id` (or the signature).
Other events are acknowledged and ignored; interactivity kinds the manifest does not enable
(shortcuts, views) get Bolt's 404.
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.lines import mention_line
from bot.adapters.messages import t
from bot.adapters.slack import render
from bot.adapters.slack.target import SlackTarget
from bot.intake import Intake, Rejected
from commands.access import identity
from commands.model import Event
from commands.registry import Registry

SOURCE = "slack"
log = logging.getLogger("chatops.slack")

Respond = Callable[..., Awaitable[Any]]
REPLAY_WINDOW = 310.0  # Slack's signatures are honoured 5 minutes (and a little clock skew)
REPLAY_MEMORY = 100_000
_encode = msgspec.json.Encoder().encode


def command_event(command: dict[str, Any]) -> Event:
    """A slash command: `/ask what changed?` in channel C → Event(command="ask", text="what changed?")."""
    target = SlackTarget(command["channel_id"], None, command["user_id"])
    return Event(
        source=SOURCE,
        user=identity.slack(str(command.get("team_id") or ""), command["user_id"]),
        user_name=command.get("user_name"),
        conversation=target.conversation(),
        text=command.get("text", ""),
        command=command["command"].lstrip("/"),
        raw={k: v for k, v in command.items() if k not in ("token", "response_url", "trigger_id")},
    )


def message_event(registry: Registry, event: dict[str, Any], *, threaded: bool, team: str | None = None) -> Event:
    """A mention or DM: the text after the mention is a command line or a question for /ask.

    A mention is answered in its thread (a new thread under it when it was not in one); a DM inline.
    `team` is the envelope's `team_id`, used when the event itself names no team.
    """
    # in a shared (Slack Connect) channel `user_team` is the asker's own workspace, `team` the channel's
    home = event.get("user_team") or event.get("team") or team or ""
    thread = event.get("thread_ts") or (event.get("ts") if threaded else None)
    target = SlackTarget(event["channel"], thread, event.get("user"))
    return Event(
        source=SOURCE,
        user=identity.slack(str(home), event.get("user", "")),
        conversation=target.conversation(),
        text=mention_line(registry, event.get("text", "")),
        raw={k: event.get(k) for k in ("type", "channel", "user", "ts", "thread_ts", "text")},
    )


def action_event(body: dict[str, Any], action: dict[str, Any]) -> Event:
    """A button click → `/{action} {value}`, answered in the thread of the message that had the button."""
    name = str(action.get("action_id", "")).split("#", 1)[0]
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
    thread = message.get("thread_ts") or container.get("message_ts") or message.get("ts")
    if container.get("is_ephemeral"):
        thread = None  # an ephemeral message cannot carry a thread
    user = (body.get("user") or {}).get("id", "")
    team = (body.get("user") or {}).get("team_id") or (body.get("team") or {}).get("id") or ""
    value = action.get("value") or ""
    return Event(
        source=SOURCE,
        user=identity.slack(str(team), user),
        user_name=(body.get("user") or {}).get("username"),
        conversation=SlackTarget(channel, thread, user).conversation(),
        text=f"/{name} {value}".strip(),
        trigger="button",
        raw={"action_id": action.get("action_id"), "value": value, "message_ts": container.get("message_ts")},
    )


def build_bolt_app(client: AsyncWebClient, signing_secret: str, intake: Intake, registry: Registry) -> AsyncApp:
    app = AsyncApp(client=client, signing_secret=signing_secret, process_before_response=True, name="chatops")

    @app.command(re.compile(r"^/.+"))
    async def on_command(ack: Callable[..., Awaitable[None]], command: dict[str, Any], request: AsyncBoltRequest) -> None:
        # Socket Mode, and any slash command the HTTP fast path (SlashCommands) passed on
        await ack(**await answer_command(intake, command, replay_key(_signature(request), "bolt")))

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        await _submit_message(intake, client, message_event(registry, event, threaded=True, team=body.get("team_id")), body)

    @app.event("message")
    async def on_message(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        # Only direct messages from people; channel messages arrive as app_mention, edits/bots are ignored.
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        await _submit_message(intake, client, message_event(registry, event, threaded=False, team=body.get("team_id")), body)

    @app.event(re.compile(r".*"))
    async def ignore_other_events() -> None:
        """The dispatch table's default: any other event is acknowledged and ignored (no retries)."""

    @app.action(re.compile(r".+"))
    async def on_action(
        ack: Callable[..., Awaitable[None]], body: dict[str, Any], action: dict[str, Any], respond: Respond,
        request: AsyncBoltRequest,
    ) -> None:
        if action.get("type") != "button":
            await ack()
            return
        # trigger_id is unique per click and signed; without one, the request's own signature
        trigger = body.get("trigger_id")
        key = f"slack:action:{trigger}" if trigger else replay_key(_signature(request), "action")
        key = key or f"slack:action:{action.get('action_ts')}"
        result = await intake.submit(action_event(body, action), idempotency_key=key)
        await ack()
        if isinstance(result, Rejected):
            await respond(replace_original=False, **_ephemeral(result))

    return app


def replay_key(signature: str | None, path: str = "v0") -> str | None:
    """The idempotency key of a signed request: its `v0=` HMAC, one per (timestamp, body). `path` keeps
    the fast path's keys apart from Bolt's listener: one deployment sends a given request down one path
    only (the fast path, when wired, takes every signed slash command), and a test may compare both."""
    return f"slack:{path}:{signature.removeprefix('v0=')[:64]}" if signature else None


def _signature(request: AsyncBoltRequest) -> str | None:
    """The verified request's `X-Slack-Signature` (None in Socket Mode, where nothing is signed)."""
    values = request.headers.get("x-slack-signature") or []
    return values[0] if values else None


async def answer_command(intake: Intake, command: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    """Store the command's Execution, then say what the acknowledgement says (the body of Slack's ack).

    `key` is the request's replay key: a replay gets the first one's execution id back, nothing new."""
    event = command_event(command)
    result = await intake.submit(event, idempotency_key=key)
    if isinstance(result, Rejected):
        return _ephemeral(result)
    line = f"/{event.command} {event.text}".strip()
    text = t("accepted", result.locale, line=line[:200], id=result.execution_id)
    return {"response_type": "ephemeral", "text": render.neutralize(text)}


class SlashCommands:
    """Slash commands over HTTP, answered without Bolt's dispatch.

    A slash command is the one Slack request whose answer the bot computes itself (store, then ack), and
    it is the busiest: Bolt's request building, middleware chain and listener matching cost more server
    CPU than storing the Execution (docs/decisions.md). This path checks the same v0 signature with the
    same slack_sdk verifier Bolt uses, parses the form as Bolt does and answers with the body Bolt's
    `ack()` would send. It takes only what is certainly a signed slash command; anything else (events,
    buttons, `ssl_check`, a bad or missing signature) returns None and goes through Bolt, which answers
    and logs it as before.
    """

    def __init__(self, signing_secret: str, intake: Intake) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._intake = intake
        # Replays of a signed command (Slack's 5-minute window) are answered from memory: a unique key on
        # the insert cost the busiest path ~15 % (docs/benchmarks.md, session 8). One `web` process sees
        # every command; with several, a replay routed to another one would run again (docs/decisions.md).
        self._answered: dict[str, tuple[float, bytes]] = {}

    async def answer(
        self, body: bytes, content_type: str | None, timestamp: str | None, signature: str | None
    ) -> tuple[int, bytes] | None:
        """(status, JSON body) for a signed slash command; None for anything Bolt should handle."""
        if not body.startswith(b"command=") and b"&command=" not in body:
            return None
        if not (content_type or "").startswith("application/x-www-form-urlencoded"):
            return None
        try:
            if not self._verifier.is_valid(body, timestamp, signature):
                return None
            form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        except (ValueError, TypeError):  # a timestamp that is not a number, a body that is not UTF-8, a non-ASCII header
            return None
        if "ssl_check" in form:
            return None
        missing = [k for k in ("channel_id", "user_id") if not form.get(k)]
        if missing or not form.get("command", "").startswith("/"):
            reason = f"slash command without {', '.join(missing) or 'a /command'}"
            log.warning("slack: signed request refused: %s", reason)
            return 400, _encode({"error": reason})
        key = signature or ""
        now = time.monotonic()
        seen = self._answered.get(key)
        if seen is not None and seen[0] > now:
            return 200, seen[1]  # the first answer again: nothing new runs
        answer = _encode(await answer_command(self._intake, form))
        if key:
            if len(self._answered) >= REPLAY_MEMORY:
                self._forget(now)
            self._answered[key] = (now + REPLAY_WINDOW, answer)
        return 200, answer

    def _forget(self, now: float) -> None:
        """Drop expired answers; if a flood left none expired, the oldest half (insertion order)."""
        live = {k: v for k, v in self._answered.items() if v[0] > now}
        if len(live) >= REPLAY_MEMORY:
            live = dict(list(live.items())[len(live) // 2:])
        self._answered = live


async def _submit_message(intake: Intake, client: AsyncWebClient, event: Event, body: dict[str, Any]) -> None:
    result = await intake.submit(event, idempotency_key=f"slack:{body.get('event_id')}" if body.get("event_id") else None)
    if isinstance(result, Rejected):
        target = SlackTarget.of(event.conversation)
        payload = render.messages(result.reply)[0]
        if target.user:
            await client.chat_postEphemeral(channel=target.channel, user=target.user, thread_ts=target.thread_ts, **payload)


def _ephemeral(result: Rejected) -> dict[str, Any]:
    payload = render.messages(result.reply)[0]
    return {"response_type": "ephemeral", "text": payload["text"], "blocks": payload["blocks"]}
