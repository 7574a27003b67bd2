"""Reply → Slack Web API: chat.postMessage / chat.update / chat.postEphemeral, images by files_upload_v2.

429s are retried by slack_sdk's own `AsyncRateLimitErrorRetryHandler`, which sleeps for `Retry-After`.
`post` returns the `ts` of the first message, the one edited in place; messages after the first (a
reply over Slack's block limit) and images go out only with the final state.
"""
from __future__ import annotations

import logging
from dataclasses import replace

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.messages import t
from bot.adapters.slack import render
from bot.adapters.slack.target import PLATFORM, SlackTarget
from commands.messages import guess_locale
from commands.model import Conversation, Reply, Section

log = logging.getLogger("chatops.slack")
NOT_A_MEMBER = {"not_in_channel", "channel_not_found"}


def web_client(token: str, base_url: str) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3), AsyncConnectionErrorRetryHandler()],
    )


class SlackOutbound:
    platform = PLATFORM
    # chat.update is a Tier 3 method (~50 per minute): about one edit a second per message is safe
    min_edit_interval = 1.2

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.bot_user_id: str | None = None
        self._ready = False

    async def start(self) -> None:
        """auth.test once: learn the bot's user id and report readiness; a failure is logged, not fatal."""
        try:
            resp = await self.client.auth_test()
        except (SlackApiError, OSError) as e:
            log.warning("slack: auth.test failed, outbound not ready: %s", _reason(e))
            return
        self.bot_user_id = resp.get("user_id")
        self._ready = True

    def ready(self) -> bool:
        return self._ready

    async def post(self, conversation: Conversation, reply: Reply, *, final: bool = True) -> str | None:
        target = SlackTarget.of(conversation)
        try:
            return await self._post(target, reply, final)
        except SlackApiError as e:
            if e.response.get("error") not in NOT_A_MEMBER or not target.user or target.channel == target.user:
                raise
        # The bot cannot post there (not invited, or another person's DM): answer the asker in its DM.
        note = t("not_in_channel", conversation.locale or guess_locale(reply.plain_text()), channel=target.channel)
        moved = replace(reply, sections=[Section(note), *reply.sections], ephemeral=False)
        return await self._post(SlackTarget(target.user), moved, final)

    async def _post(self, target: SlackTarget, reply: Reply, final: bool) -> str | None:
        payloads = render.messages(reply)
        if _private(reply) and target.user:
            for p in payloads:
                await self.client.chat_postEphemeral(
                    channel=target.channel, user=target.user, thread_ts=target.thread_ts, **p
                )
            return None  # an ephemeral message cannot be edited
        first = await self.client.chat_postMessage(
            channel=target.channel, thread_ts=target.thread_ts, unfurl_links=False, unfurl_media=False, **payloads[0]
        )
        ts = str(first["ts"])
        if final:
            await self._rest(target, payloads[1:], reply, ts)
        # a message moved to a DM lives in another channel: the ref says which, for chat.update
        return ts if first.get("channel") in (None, target.channel) else f"{first['channel']}:{ts}"

    async def update(self, conversation: Conversation, ref: str, reply: Reply, *, final: bool = True) -> None:
        target = SlackTarget.of(conversation)
        if ":" in ref:  # moved to the asker's DM by `post`
            channel, ref = ref.split(":", 1)
            target = SlackTarget(channel, None, target.user)
            conversation = target.conversation()
        if _private(reply) and target.user and final:
            # the live message was public progress; the answer itself is only for the asker
            await self.client.chat_delete(channel=target.channel, ts=ref)
            await self.post(conversation, reply, final=True)
            return
        payloads = render.messages(reply)
        await self.client.chat_update(channel=target.channel, ts=ref, **payloads[0])
        if final:
            await self._rest(target, payloads[1:], reply, ref)

    async def _rest(self, target: SlackTarget, payloads: list[dict], reply: Reply, ts: str) -> None:
        """Continuation messages and images, in the asker's thread (or under the first message)."""
        thread = target.thread_ts or ts
        for p in payloads:
            await self.client.chat_postMessage(channel=target.channel, thread_ts=thread, unfurl_links=False,
                                               unfurl_media=False, **p)
        for image in reply.images:
            await self.client.files_upload_v2(
                channel=target.channel,
                file=image.png,
                filename=image.filename,
                title=image.alt or image.filename,
                alt_txt=image.alt or None,
                thread_ts=target.thread_ts,
            )

    async def aclose(self) -> None:
        session = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()


def _private(reply: Reply) -> bool:
    """Ephemeral replies, and failures: an error goes back only to the person who asked."""
    return reply.ephemeral or reply.error


def _reason(e: Exception) -> str:
    if isinstance(e, SlackApiError):
        return str(e.response.get("error", "unknown error"))
    return f"{type(e).__name__}: {e}"
