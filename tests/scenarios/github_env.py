"""Shared set-up of the GitHub scenarios: the fake GitHub API seeded with the fixtures' repositories,
the bot wired to it and to the fake LLM, its HTTP app over ASGITransport, and a running worker."""
from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import select

from bot.app import Bot
from bot.http import build_http_app
from bot.storage.store import EXEC
from tests.fakes.github import SECRET, FakeGitHub, headers

HELLO = "Codertocat/Hello-World"
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
BEFORE = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
DIFF = (
    "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1,2 @@\n Hello-World\n+Welcome!\n"
    "diff --git a/package-lock.json b/package-lock.json\n--- a/package-lock.json\n+++ b/package-lock.json\n@@ -1 +1 @@\n-{}\n+{\"a\": 1}\n"
    "diff --git a/logo.png b/logo.png\nBinary files a/logo.png and b/logo.png differ\n"
)
LLM_JSON = json.dumps({
    "summary": "Adds a welcome line to the README.",
    "risks": ["The README now greets in one language only."],
    "suggestions": [{"file": "README.md", "line": 2, "text": "End the welcome line with the project name."}],
    "labels": ["documentation", "not-a-label"],
    "duplicates": [7, 999],
})


def seed(fake: FakeGitHub) -> None:
    hello = fake.repo(HELLO, default_branch="master")
    hello.labels = [{"name": n, "description": ""} for n in ("bug", "enhancement", "documentation")]
    hello.add_pull(2, "Update the README with new information.", DIFF, body="This is a pretty simple change.", head_sha=HEAD)
    hello.add_issue(1, "Spelling error in the README file", "It looks like you accidently spelled 'commit' with two 't's.")
    hello.add_issue(7, "Spelling error in README file", "commmit")


def github_settings(fake: FakeGitHub, **bot: Any) -> dict[str, dict[str, Any]]:
    return {
        "github": {"github_webhook_secret": SECRET, "github_token": "ghp_test", "github_api_url": fake.url},
        "github_bot": {"github_bot_handle": "chatops-bot", **bot},
    }


def client_for(bot: Bot) -> httpx.AsyncClient:
    """The bot's HTTP app; the bot must be opened with `receive=True` to serve the webhook."""
    assert any(getattr(r, "path", None) == "/github/webhook" for r in bot.routes), "open_bot(..., receive=True)"
    app = build_http_app(bot)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot")


async def deliver(client: httpx.AsyncClient, event: str, body: bytes, **kw: Any) -> httpx.Response:
    return await client.post("/github/webhook", content=body, headers=headers(event, body, **kw))


@contextlib.asynccontextmanager
async def running_worker(bot: Bot) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(bot.worker().run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def settle(bot: Bot, timeout: float = 15.0) -> None:
    """Wait until no execution is pending or running."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        pending, running, _ = await bot.store.counts(since=0)
        if pending == 0 and running == 0:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"executions still open after {timeout}s: {pending} pending, {running} running")
        await asyncio.sleep(0.05)


async def executions(bot: Bot) -> list[dict[str, Any]]:
    async with bot.store.engine.connect() as conn:
        return [dict(r) for r in (await conn.execute(select(EXEC).order_by(EXEC.c.id))).mappings().all()]
