"""GitHub work calls the LLM as its caller: charged to the repository and the GitHub login that triggered it,
queued at GitHub priority behind interactive work, on the `review` alias when the configuration has one."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import Bot, open_bot
from bot.intake import Accepted
from bot.storage.models import Status
from commands.model import Conversation, Event
from pool.fake import Behavior, FakeLLM
from tests.fakes.github import FakeGitHub, fixture
from tests.scenarios.github_env import (
    HELLO,
    LLM_JSON,
    client_for,
    deliver,
    executions,
    github_settings,
    running_worker,
    seed,
    settle,
)

DEPLOYMENTS = """
[[deployment]]
name = "general"
kind = "openai"
base_url = "{url}"
model = "gpt-general"
price_in = 1.0
price_out = 2.0

[[deployment]]
name = "reviewer"
kind = "openai"
base_url = "{url}"
model = "gpt-reviewer"
price_in = 1.0
price_out = 2.0
"""
REVIEW_ALIAS = '\n[aliases]\ndefault = ["general"]\nreview = ["reviewer"]\n'
NO_REVIEW_ALIAS = '\n[aliases]\ndefault = ["general"]\n'



@pytest.fixture
async def fake_github() -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub(bot_login="chatops-bot") as fake:
        seed(fake)
        yield fake


@pytest.fixture
def github_bot(make_settings, db_url: str, console, fake_llm: FakeLLM, fake_github: FakeGitHub, tmp_path: Path):  # type: ignore[no-untyped-def]
    """`async with github_bot(toml_tail, **llm_settings) as bot`: the bot on LLM_CONFIG_FILE = the two
    fake deployments plus `toml_tail` (aliases, budgets)."""
    fake_llm.behavior = Behavior(reply=LLM_JSON)

    def make(tail: str, **llm: Any):  # type: ignore[no-untyped-def]
        config = tmp_path / "llm.toml"
        config.write_text(DEPLOYMENTS.format(url=fake_llm.url) + tail)
        settings = make_settings(
            core={"database_url": db_url, "lease_seconds": 5, "poll_interval": 0.05, "retry_delay": 0.2},
            llm={"llm_config_file": config, "llm_timeout": 10, **llm}, **github_settings(fake_github),
        )
        return open_bot(settings, outbounds=[console], receive=True)

    return make


async def chat(bot: Bot, text: str, user: str = "console:alice") -> int:
    accepted = await bot.intake.submit(Event("console", user if ":" in user else f"console:{user}", Conversation("console", "t"), text))
    assert isinstance(accepted, Accepted), accepted
    return accepted.execution_id


async def until(check: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def models_asked(fake: FakeLLM) -> list[str]:
    return [r["body"]["model"] for r in fake.requests]


@pytest.mark.parametrize("pooled", [True, False], ids=["pool", "direct"])
async def test_a_review_on_a_repository_without_budget_is_refused_naming_the_budget(
    github_bot, fake_llm: FakeLLM, fake_github: FakeGitHub, transcript, pooled: bool  # type: ignore[no-untyped-def]
) -> None:
    tail = REVIEW_ALIAS + f'\n[budgets]\nrepo = {{ "{HELLO}" = 0.0 }}\n'
    async with github_bot(tail, enable_llm_pool=pooled) as bot:
        async with client_for(bot) as client, running_worker(bot):
            resp = await deliver(client, "pull_request", fixture("pull_request.opened.json"))
            assert resp.status_code == 202
            await settle(bot)
            # the same review asked in chat: charged to the PR's repository, though the conversation is the console
            asked = await chat(bot, f"/review {HELLO}#2")
            row = await bot.store.wait_finished(asked, timeout=10)
        webhook = (await executions(bot))[0]
    # refused, not retried (another attempt today meets the same budget), nothing posted, no LLM call made
    assert webhook["kind"] == "github-review" and webhook["status"] == Status.FAILED and webhook["attempts"] == 1
    assert f"The LLM budget `repo:{HELLO}` is used up for today" in webhook["error"]
    assert row["status"] == Status.FAILED and f"repo:{HELLO}" in row["error"]
    assert f"The LLM budget `repo:{HELLO}` is used up for today" in transcript.getvalue()
    assert fake_llm.requests == [] and fake_github.bot_comments(HELLO, 2) == []


async def test_a_review_is_charged_to_the_github_login_that_triggered_it(
    github_bot, fake_llm: FakeLLM, fake_github: FakeGitHub  # type: ignore[no-untyped-def]
) -> None:
    async with github_bot(REVIEW_ALIAS + '\n[budgets]\nuser = { "github:Codertocat" = 0.0 }\n') as bot:  # the fixture's sender
        async with client_for(bot) as client, running_worker(bot):
            await deliver(client, "pull_request", fixture("pull_request.opened.json"))
            await settle(bot)
        [row] = await executions(bot)
    assert row["status"] == Status.FAILED and "`user:github:Codertocat`" in row["error"] and fake_llm.requests == []


async def test_a_review_waits_behind_interactive_ask_work_in_a_full_pool(
    github_bot, fake_llm: FakeLLM, fake_github: FakeGitHub  # type: ignore[no-untyped-def]
) -> None:
    fake_llm.script.append(Behavior(reply="first answer", latency=3.0))  # holds the pool's one slot
    async with github_bot(REVIEW_ALIAS, enable_llm_pool=True, llm_pool_size=1, llm_pool_queue=10) as bot:
        slots = bot.services.llm.slots  # type: ignore[union-attr]
        async with client_for(bot) as client, running_worker(bot):
            first = await chat(bot, "/ask first question")
            await until(lambda: len(fake_llm.requests) == 1, "the first /ask to reach the LLM")
            await deliver(client, "pull_request", fixture("pull_request.opened.json"))
            await until(lambda: slots.waiting == 1, "the review to queue for the slot")
            second = await chat(bot, "/ask second question")  # asked after the review
            await until(lambda: slots.waiting == 2, "the second /ask to queue for the slot")
            assert len(fake_llm.requests) == 1, "the slow first answer ended before both waited: no ordering seen"
            await settle(bot, timeout=20)
        rows = {r["id"]: r for r in await executions(bot)}
    review = next(r for r in rows.values() if r["kind"] == "github-review")
    assert {r["status"] for r in rows.values()} == {Status.COMPLETED}
    # the slot went to the interactive /ask first, though the review had waited longer
    asked = [r["body"]["messages"][-1]["content"] for r in fake_llm.requests]
    assert asked[:2] == ["first question", "second question"] and HELLO in asked[2]
    assert rows[second]["finished_at"] <= review["finished_at"] and rows[first]["finished_at"] <= rows[second]["finished_at"]
    assert models_asked(fake_llm) == ["gpt-general", "gpt-general", "gpt-reviewer"]


@pytest.mark.parametrize("pooled", [True, False], ids=["pool", "direct"])
async def test_the_review_alias_picks_its_deployment_and_triage_the_default(
    github_bot, fake_llm: FakeLLM, fake_github: FakeGitHub, pooled: bool  # type: ignore[no-untyped-def]
) -> None:
    async with github_bot(REVIEW_ALIAS, enable_llm_pool=pooled) as bot:
        async with client_for(bot) as client, running_worker(bot):
            await deliver(client, "pull_request", fixture("pull_request.opened.json"))
            await settle(bot)
            await deliver(client, "issues", fixture("issues.opened.json"))
            await settle(bot)
        rows = await executions(bot)
    assert [(r["kind"], r["status"], r["provider"]) for r in rows] == [
        ("github-review", Status.COMPLETED, "reviewer"), ("github-triage", Status.COMPLETED, "general"),
    ]
    assert models_asked(fake_llm) == ["gpt-reviewer", "gpt-general"]
    assert len(fake_github.bot_comments(HELLO, 2)) == 1


async def test_a_config_without_the_review_alias_reviews_on_the_default(
    github_bot, fake_llm: FakeLLM, fake_github: FakeGitHub  # type: ignore[no-untyped-def]
) -> None:
    async with github_bot(NO_REVIEW_ALIAS, enable_llm_pool=True) as bot:
        async with client_for(bot) as client, running_worker(bot):
            await deliver(client, "pull_request", fixture("pull_request.opened.json"))
            await settle(bot)
        [row] = await executions(bot)
    assert row["status"] == Status.COMPLETED and row["provider"] == "general"
    assert models_asked(fake_llm) == ["gpt-general"]
    assert "Adds a welcome line to the README." in fake_github.bot_comments(HELLO, 2)[0]["body"]
