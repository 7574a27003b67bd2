"""The GitHub provider mounted in the hub: with only GITHUB_TOKEN and GITHUB_API_URL set (no MCP
settings) the bot starts the hub, `/mcp list` shows the github.* tools, `/mcp call` and an /ask from a
GitHub trigger read the fake GitHub API through the real githubkit client."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.adapters.console import ConsoleOutbound
from bot.app import Bot, open_bot
from bot.intake import Accepted
from bot.storage.models import Status
from commands.model import Conversation, Event
from pool.fake import Behavior, FakeLLM
from providers.github.provider import READ_ONLY_TOOLS
from tests.fakes.github import FakeGitHub
from tests.scenarios.github_env import HELLO, seed


@pytest.fixture
async def fake_github() -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub() as fake:
        seed(fake)
        yield fake


@pytest.fixture
async def gh_bot(make_settings, db_url: str, console: ConsoleOutbound, fake_llm: FakeLLM, fake_github: FakeGitHub
                 ) -> AsyncIterator[Bot]:
    settings = make_settings(
        core={"database_url": db_url, "poll_interval": 0.05},
        llm={"openai_base_url": fake_llm.url, "llm_timeout": 5},
        github={"github_token": "ghp_test", "github_api_url": fake_github.url},
    )
    assert not settings.mcp.configured()
    async with open_bot(settings, outbounds=[console]) as bot:
        yield bot


async def run(bot: Bot, text: str, trigger: str = "console") -> dict:
    stop = asyncio.Event()
    task = asyncio.create_task(bot.worker().run(stop))
    try:
        event = Event(source="console", user="console:alice", conversation=Conversation("console", "t"), text=text, trigger=trigger)
        result = await bot.intake.submit(event)
        assert isinstance(result, Accepted), result
        return await bot.store.wait_finished(result.execution_id, timeout=20)
    finally:
        stop.set()
        await task


async def test_mcp_list_shows_the_github_tools(gh_bot: Bot, transcript) -> None:
    row = await run(gh_bot, "/mcp list github")
    assert row["status"] == Status.COMPLETED, row
    out = transcript.getvalue()
    assert "github (in-process, up)" in out
    for name in READ_ONLY_TOOLS:  # every tool is listed, none marked as writing
        assert f"• `{name}` —" in out
    assert "` ✎" not in out
    assert {t.name for t in gh_bot.services.mcp.list_tools(read_only=True)} == set(READ_ONLY_TOOLS)


async def test_mcp_call_reads_a_repository_from_the_fake(gh_bot: Bot, fake_github: FakeGitHub, transcript) -> None:
    row = await run(gh_bot, f"/mcp call github.repos.get repo={HELLO}")
    assert row["status"] == Status.COMPLETED, row
    out = transcript.getvalue()
    assert f'"full_name": "{HELLO}"' in out and '"default_branch": "master"' in out
    assert "github · github.repos.get" in out
    assert any(r["path"] == f"/repos/{HELLO}" for r in fake_github.requests)


async def test_a_github_triggered_ask_reads_issues_through_the_tool_loop(gh_bot: Bot, fake_llm: FakeLLM, transcript) -> None:
    call = {"name": "github__issues__get", "arguments": {"repo": HELLO, "number": 1}}
    fake_llm.behavior = Behavior(tool_calls=(call,))
    row = await run(gh_bot, "/ask what is issue 1 about?", trigger="github")
    assert row["status"] == Status.COMPLETED, row
    assert "Spelling error in the README file" in transcript.getvalue()
    assert row["tool_transcript"][0]["tool"] == "github.issues.get" and row["tool_transcript"][0]["ok"] is True
