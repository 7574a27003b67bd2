"""Slack Socket Mode (SLACK_APP_TOKEN): the same listeners over a WebSocket, acked on the socket."""
from __future__ import annotations

import asyncio
import urllib.parse
from typing import Any

from bot.app import open_bot
from bot.storage.models import Status
from tests.adapters.conftest import chat_wait, fixture_bytes
from tests.fakes.slack import FakeSlack


async def test_slash_command_over_socket_mode_is_stored_acked_and_answered(make_settings: Any, db_url: str) -> None:
    async with FakeSlack() as slack:
        settings = make_settings(
            core={"database_url": db_url, "poll_interval": 0.05},
            slack={"slack_bot_token": "xoxb-fake", "slack_app_token": "xapp-fake", "slack_api_url": slack.api_url},
        )
        stop = asyncio.Event()
        async with open_bot(settings, receive=True) as bot:
            assert bot.routes == []  # no signing secret: no HTTP endpoint, Socket Mode only
            task = asyncio.create_task(bot.worker().run(stop))
            try:
                command = dict(urllib.parse.parse_qsl(fixture_bytes("slack/slash_command.empty_text.form.txt").decode()))
                await slack.send_envelope("slash_commands", command)
                await chat_wait(lambda: slack.socket_acks)
                [ack] = slack.socket_acks
                assert ack["envelope_id"] == "env-1" and "/status" in ack["payload"]["text"]
                [row] = [r for r in [await bot.store.get(1)] if r]
                assert row["kind"] == "status" and row["source"] == "slack"
                assert (await bot.store.wait_finished(row["id"], timeout=10))["status"] == Status.COMPLETED
                [posted] = slack.of("chat.postMessage")
                assert posted["channel"] == command["channel_id"]
            finally:
                stop.set()
                await task
        assert any(c.method == "apps.connections.open" and c.headers["Authorization"] == "Bearer xapp-fake" for c in slack.calls)
