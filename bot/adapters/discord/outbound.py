"""Reply → Discord REST through discord.py's `HTTPClient` (auth, rate-limit buckets, 429 retries).

A deferred slash command is finished by editing the interaction's original response; a button click
gets a follow-up; a mention gets a reply (one only for the asker, such as a data tool's rows, goes to
the author's DMs: a channel message cannot be ephemeral); anything else, or an interaction whose token
expired, is a channel message. `post` returns `w:<id>` for messages owned by the interaction webhook and `<id>` for
channel messages, so `update` edits through the same route that created the message.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import discord
from discord.http import HTTPClient, Route

from bot.adapters.discord import render
from bot.adapters.discord.target import PLATFORM, DiscordTarget
from commands.messages import guess_locale
from commands.model import Conversation, Reply

log = logging.getLogger("chatops.discord")
EPHEMERAL = 1 << 6
ORIGINAL = "@original"


def point_at(api_url: str, gateway_url: str | None) -> None:
    """discord.py reads its endpoints from class attributes (ECOSYSTEM §2): set them from settings."""
    import yarl

    discord.http.Route.BASE = api_url.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


# A long button's line is stored again (its retention refreshed) at most this often while it is posted, so
# the retention job (90 days) never forgets the line of a button still in use.
REMEMBER_FOR = 86400.0


class ButtonStore(Protocol):
    async def remember_buttons(self, lines: dict[str, str]) -> None: ...


class DiscordOutbound:
    platform = PLATFORM
    # message edits share a per-channel bucket of about 5 per 5 seconds
    min_edit_interval = 1.0

    def __init__(
        self, token: str, http: HTTPClient | None = None, clock: Callable[[], float] = time.monotonic, *,
        button_store: ButtonStore | None = None, gateway: discord.Client | None = None,
    ) -> None:
        self._token = token
        self.http = http or HTTPClient(asyncio.get_running_loop())
        self._ready = False
        self.gateway = gateway  # when this process also runs the gateway, readiness includes it
        # where command lines of over-long buttons are kept (the bot's Store)
        self.button_store = button_store
        self._remembered: dict[str, float] = {}  # key → when this process last stored it
        self._clock = clock
        self._dms: dict[str, str] = {}  # user id → DM channel id

    async def start(self) -> None:
        try:
            await self.http.static_login(self._token)
        except (discord.HTTPException, discord.LoginFailure, OSError) as e:
            log.warning("discord: login failed, outbound not ready: %s", e)
            return
        self._ready = True

    def ready(self) -> bool:
        if self.gateway is not None and (self.gateway.is_closed() or not self.gateway.is_ready()):
            return False
        return self._ready

    async def aclose(self) -> None:
        await self.http.close()

    # -- the Outbound protocol ----------------------------------------------------------------------
    async def post(self, conversation: Conversation, reply: Reply, *, final: bool = True) -> str | None:
        target = DiscordTarget.of(conversation)
        if target.webhook_usable():
            try:
                return await self._post(target, reply, final, webhook=True)
            except discord.NotFound:
                # the interaction was never acknowledged in time, or was deleted: answer in the channel
                log.warning("discord: interaction %s is gone; answering in the channel", target.interaction_id)
        return await self._post(target, reply, final, webhook=False)

    async def _render(self, reply: Reply) -> list[render.Message]:
        now = self._clock()
        long = {
            k: v for k, v in render.long_buttons(reply).items()
            if now - self._remembered.get(k, -REMEMBER_FOR) >= REMEMBER_FOR
        }
        if long and self.button_store is not None:  # a reply edited in place keeps its buttons: store once a day
            await self.button_store.remember_buttons(long)
            self._remembered.update(dict.fromkeys(long, now))
        # the note on a long answer follows the answer's language, as Slack's not-in-channel note does
        return render.messages(reply, guess_locale(reply.plain_text()), store_long=self.button_store is not None)

    async def _post(self, target: DiscordTarget, reply: Reply, final: bool, *, webhook: bool) -> str | None:
        msgs = await self._render(reply)
        if webhook and _private(reply) and final:
            if target.kind == "i":
                await self._webhook("DELETE", target, ORIGINAL)
            for m in msgs:
                await self._webhook("POST", target, None, m, flags=EPHEMERAL)
            return None
        if not webhook and _private(reply) and final and target.kind == "m" and target.user:
            dm = await self._dm(target.user)
            for m in msgs:
                await self._channel("POST", dm, None, m)
            return None
        if webhook and target.kind == "i":
            await self._webhook("PATCH", target, ORIGINAL, msgs[0])
            ref = f"w:{ORIGINAL}"
        elif webhook:
            sent = await self._webhook("POST", target, None, msgs[0])
            ref = f"w:{sent['id']}"
        else:
            if target.kind == "m" and target.message_id:
                msgs[0].payload["message_reference"] = {"message_id": target.message_id, "fail_if_not_exists": False}
            sent = await self._channel("POST", target.channel, None, msgs[0])
            ref = str(sent["id"])
        if final:
            await self._rest(target, msgs[1:], webhook)
        return ref

    async def update(self, conversation: Conversation, ref: str, reply: Reply, *, final: bool = True) -> None:
        target = DiscordTarget.of(conversation)
        msgs = await self._render(reply)
        on_webhook = ref.startswith("w:")
        if on_webhook and not target.webhook_usable():
            # the token expired while the answer was being written: the rest goes to the channel
            await self.post(DiscordTarget(target.channel).conversation(), reply, final=final)
            return
        if on_webhook and _private(reply) and final:
            await self._webhook("DELETE", target, ref[2:])
            await self.post(conversation, reply, final=True)
            return
        if not on_webhook and _private(reply) and final and target.kind == "m" and target.user:
            # the progress shown in the channel was public; the answer itself is only for the asker
            await self.http.request(Route("DELETE", "/channels/{channel_id}/messages/{message_id}",
                                          channel_id=target.channel, message_id=ref))
            await self.post(conversation, reply, final=True)
            return
        if on_webhook:
            await self._webhook("PATCH", target, ref[2:], msgs[0])
        else:
            await self._channel("PATCH", target.channel, ref, msgs[0])
        if final:
            await self._rest(target, msgs[1:], on_webhook)

    async def _rest(self, target: DiscordTarget, msgs: list[render.Message], webhook: bool) -> None:
        for m in msgs:
            if webhook:
                await self._webhook("POST", target, None, m)
            else:
                await self._channel("POST", target.channel, None, m)

    # -- REST -------------------------------------------------------------------------------------------
    async def _dm(self, user: str) -> str:
        """The DM channel with `user` (Discord answers with the existing one when there is one)."""
        channel = self._dms.get(user)
        if channel is None:
            channel = self._dms[user] = str((await self.http.start_private_message(int(user)))["id"])
        return channel

    async def _channel(self, method: str, channel: str, message_id: str | None, m: render.Message) -> dict[str, Any]:
        if message_id is None:
            route = Route(method, "/channels/{channel_id}/messages", channel_id=channel)
        else:
            route = Route(method, "/channels/{channel_id}/messages/{message_id}", channel_id=channel, message_id=message_id)
        return await self._send(route, m)

    async def _webhook(
        self, method: str, target: DiscordTarget, message_id: str | None, m: render.Message | None = None, *, flags: int = 0
    ) -> dict[str, Any]:
        ids = {"webhook_id": target.application_id, "webhook_token": target.token}
        if message_id is None:
            route = Route(method, "/webhooks/{webhook_id}/{webhook_token}", **ids)
            params = {"wait": "true"}
        else:
            route = Route(method, "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", message_id=message_id, **ids)
            params = {}
        if m is None:
            await self.http.request(route, params=params)
            return {}
        if flags:
            m.payload["flags"] = flags
        return await self._send(route, m, params=params)

    async def _send(self, route: Route, m: render.Message, **kwargs: Any) -> dict[str, Any]:
        if not m.files:
            return await self.http.request(route, json=m.payload, **kwargs) or {}
        form: list[dict[str, Any]] = [{"name": "payload_json", "value": json.dumps(m.payload)}]
        for i, (name, data) in enumerate(m.files):
            form.append({"name": f"files[{i}]", "value": data, "filename": name, "content_type": "application/octet-stream"})
        return await self.http.request(route, form=form, **kwargs) or {}


def _private(reply: Reply) -> bool:
    """Ephemeral replies, and failures: an error goes back only to the person who asked."""
    return reply.ephemeral or reply.error
