"""The bot with its Slack and Discord adapters wired as in `chatops run`, against fakes on 127.0.0.1.

`chat` gives: the bot on a fresh database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), the
fake Slack Web API and fake Discord, the bot's own HTTP app (Bolt at /slack/events) reached through
httpx's ASGI transport, the discord.py gateway client connected to the fake gateway, and a worker.
"""
from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import Bot, open_bot
from bot.http import build_http_app
from pool.fake import FakeLLM
from tests.fakes.discord import APP_ID, TOKEN, FakeDiscord, snowflake
from tests.fakes.slack import SIGNING_SECRET, FakeSlack, signed_headers

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"  # byte-exact copies of ../shared/fixtures


def fixture_bytes(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


def fixture_json(path: str) -> dict[str, Any]:
    return json.loads(fixture_bytes(path))


@dataclass
class Chat:
    bot: Bot
    http: httpx.AsyncClient
    slack: FakeSlack
    discord: FakeDiscord

    async def slack_post(self, body: bytes | str, *, content_type: str = "application/x-www-form-urlencoded",
                         headers: dict[str, str] | None = None) -> httpx.Response:
        data = body.encode() if isinstance(body, str) else body
        return await self.http.post("/slack/events", content=data,
                                    headers=headers if headers is not None else signed_headers(data, content_type=content_type))

    async def executions(self) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from bot.storage.store import EXEC

        async with self.bot.store.engine.connect() as conn:
            return [dict(r) for r in (await conn.execute(select(EXEC).order_by(EXEC.c.id))).mappings().all()]

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        await chat_wait(predicate, timeout)

    def interaction(self, path: str, **changes: Any) -> dict[str, Any]:
        """A Discord fixture with a fresh interaction id (tokens are honoured for 15 minutes)."""
        data = copy.deepcopy(fixture_json(path))
        data["id"] = snowflake()
        data["application_id"] = APP_ID
        data.update(changes)
        return data


async def chat_wait(predicate: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        await asyncio.sleep(0.01)


@pytest.fixture
def chat_policy() -> str:
    """The policy the adapter tests run under: DMs on, so each platform's DM path is exercised; a module
    overrides this fixture to test the gate's own defaults (tests/adapters/test_gate.py)."""
    return "[access]\ndms = true\n"


@pytest.fixture
async def chat(make_settings: Any, db_url: str, fake_llm: FakeLLM, chat_policy: str, tmp_path: Path) -> AsyncIterator[Chat]:
    policy = tmp_path / "policy.toml"
    policy.write_text(chat_policy, encoding="utf-8")
    async with FakeSlack() as slack, FakeDiscord() as discord_fake:
        settings = make_settings(
            core={"database_url": db_url, "lease_seconds": 5, "poll_interval": 0.05, "policy_file": str(policy)},
            llm={"openai_base_url": fake_llm.url, "llm_timeout": 2},
            slack={"slack_bot_token": "xoxb-fake", "slack_signing_secret": SIGNING_SECRET, "slack_api_url": slack.api_url},
            discord={"discord_token": TOKEN, "discord_api_url": discord_fake.api_url,
                     "discord_gateway_url": discord_fake.gateway_url, "discord_guild_ids": "400000000000000004"},
        )
        stop = asyncio.Event()
        async with open_bot(settings, receive=True, options={"discord": {"guild_ready_timeout": 0.01}}) as bot:
            app = build_http_app(bot)
            worker = bot.worker()
            task = asyncio.create_task(worker.run(stop))
            gateway = bot.opened["discord"].inbound["gateway"]
            await chat_wait(gateway.is_ready)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as http:
                try:
                    yield Chat(bot, http, slack, discord_fake)
                finally:
                    stop.set()
                    await task
