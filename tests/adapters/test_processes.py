"""`chatops web` receives from Slack and Discord; a separate `chatops worker` process delivers the answers.

Real processes on real sockets: the Discord interaction token travels in the stored conversation, so
the worker finishes the deferred response although another process received the interaction.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import urllib.parse
from pathlib import Path

import httpx
import pytest

from tests.adapters.conftest import FIXTURES, chat_wait
from tests.fakes.discord import APP_ID, TOKEN, FakeDiscord, snowflake
from tests.fakes.slack import SIGNING_SECRET, FakeSlack, signed_headers

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start(mode: str, env: dict[str, str], *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", mode, *extra, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)


async def stop(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    out, _ = await asyncio.wait_for(proc.communicate(), 20)
    return proc.returncode or 0, out.decode(errors="replace")


async def test_web_receives_and_a_separate_worker_delivers_on_both_platforms(tmp_path: Path) -> None:
    async with FakeSlack() as slack, FakeDiscord() as discord_fake:
        port = free_port()
        env = {
            **os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "LOG_LEVEL": "WARNING",
            "SLACK_BOT_TOKEN": "xoxb-fake", "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.api_url,
            "DISCORD_TOKEN": TOKEN, "DISCORD_API_URL": discord_fake.api_url, "DISCORD_GATEWAY_URL": discord_fake.gateway_url,
            "DISCORD_GUILD_IDS": "400000000000000004",
        }
        web = await start("web", env, "--port", str(port))
        worker = None
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                for _ in range(300):
                    try:
                        if (await client.get("/ready")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise AssertionError((await stop(web))[1])
                body = (FIXTURES / "slack/slash_command.empty_text.form.txt").read_bytes()
                resp = await client.post("/slack/events", content=body, headers=signed_headers(body))
                assert resp.status_code == 200 and "/status" in resp.json()["text"]

            data = {**json.loads((FIXTURES / "discord/application_command.json").read_text()),  # in the allowed guild
                    "id": snowflake(), "application_id": APP_ID}
            data["data"] = {"id": "3", "name": "status", "type": 1}
            await discord_fake.dispatch("INTERACTION_CREATE", data)
            await chat_wait(lambda: discord_fake.of("POST", f"/interactions/{data['id']}/"))
            assert slack.of("chat.postMessage") == []  # nothing delivered: `web` runs no worker

            worker = await start("worker", env)
            await chat_wait(lambda: slack.of("chat.postMessage"), timeout=30)
            await chat_wait(lambda: discord_fake.of("PATCH", f"/webhooks/{APP_ID}/{data['token']}/messages/@original"), timeout=30)
            [edit] = discord_fake.of("PATCH", f"/webhooks/{APP_ID}/")
            assert edit.json["embeds"][0]["fields"][0]["name"] == "uptime"
            channel = urllib.parse.parse_qs(body.decode())["channel_id"][0]
            assert slack.of("chat.postMessage")[0]["channel"] == channel
        finally:
            codes = [await stop(web)] + ([await stop(worker)] if worker else [])
        for code, out in codes:
            assert code == 0, out
            assert "xoxb-fake" not in out and TOKEN not in out and data["token"] not in out  # no secret in logs
