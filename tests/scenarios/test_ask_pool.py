"""/ask and /status pool end to end: console adapter → Execution → worker → pool → fake LLM → streamed reply."""
from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleOutbound
from bot.app import Bot, open_bot
from bot.intake import Accepted
from bot.storage.models import Status
from commands.model import Conversation, Event
from pool.fake import Behavior, FakeLLM

CONFIG = """
[[deployment]]
name = "fake"
kind = "openai"
base_url = "{url}"
model = "gpt-4o-mini"
price_in = 1000.0
price_out = 2000.0

[[deployment]]
name = "fake-claude"
kind = "anthropic"
base_url = "{root}"
key = "sk-ant-test"
model = "claude-3-5-haiku-latest"

[aliases]
default = ["fake"]
smart = ["fake-claude", "fake"]

[budgets]
user = {{ "console:mallory" = 0.0, "console:carol" = 5.0 }}
"""


class Recording(io.StringIO):
    """Stands in for the terminal: remembers each write, so progressive printing is visible."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, s: str) -> int:
        self.writes.append(s)
        return super().write(s)


@pytest.fixture
def terminal() -> Recording:
    return Recording()


@pytest.fixture
async def pool_bot(make_settings, db_url: str, terminal: Recording, fake_llm: FakeLLM, tmp_path: Path) -> AsyncIterator[Bot]:  # type: ignore[no-untyped-def]
    config = tmp_path / "llm.toml"
    config.write_text(CONFIG.format(url=fake_llm.url, root=fake_llm.root))
    settings = make_settings(
        core={"database_url": db_url, "lease_seconds": 5, "poll_interval": 0.05},
        llm={"enable_llm_pool": True, "llm_pool_size": 1, "llm_pool_queue": 0, "llm_config_file": config, "llm_timeout": 2},
    )
    async with open_bot(settings, outbounds=[ConsoleOutbound(tmp_path / "data", out=terminal)]) as b:
        yield b


async def run(bot: Bot, *texts: str, user: str = "console:alice", locale: str | None = None) -> list[dict]:
    stop = asyncio.Event()
    task = asyncio.create_task(bot.worker().run(stop))
    try:
        ids = []
        for text in texts:
            event = Event(source="console", user=user if ":" in user else f"console:{user}", conversation=Conversation("console", "t"), text=text, locale=locale)
            result = await bot.intake.submit(event)
            assert isinstance(result, Accepted), result
            ids.append(result.execution_id)
        return [await bot.store.wait_finished(i, timeout=10) for i in ids]
    finally:
        stop.set()
        await task


async def test_ask_streams_the_answer_and_the_final_message_names_model_and_cost(
    pool_bot: Bot, fake_llm: FakeLLM, terminal: Recording
) -> None:
    fake_llm.behavior = Behavior(reply="leases expire unless renewed", chunk_delay=0.01)
    [row] = await run(pool_bot, "/ask what is a lease?")
    assert row["status"] == Status.COMPLETED
    # printed progressively: the words arrived one write at a time, then the footer
    assert terminal.writes[:4] == ["leases", " expire", " unless", " renewed"]
    expected_cost = (row["tokens_in"] * 1000.0 + row["tokens_out"] * 2000.0) / 1e6
    assert row["provider"] == "fake" and row["model"] == "gpt-4o-mini" and row["cost"] == pytest.approx(expected_cost)
    assert f"gpt-4o-mini via fake · {row['tokens_in']}+{row['tokens_out']} tokens · ${expected_cost:.4f}" in terminal.getvalue()
    assert terminal.getvalue().count("leases expire unless renewed") == 1
    assert fake_llm.requests[-1]["body"]["stream"] is True


async def test_ask_with_a_model_alias_uses_its_first_candidate(pool_bot: Bot, fake_llm: FakeLLM, terminal: Recording) -> None:
    [row] = await run(pool_bot, "/ask --model smart hello")
    assert row["status"] == Status.COMPLETED and row["provider"] == "fake-claude"
    assert fake_llm.requests[-1]["dialect"] == "anthropic"
    assert "echo: hello" in terminal.getvalue()


async def test_ask_with_an_unknown_model_lists_the_known_ones(pool_bot: Bot, terminal: Recording) -> None:
    [row] = await run(pool_bot, "/ask --model huge hello")
    assert row["status"] == Status.FAILED
    assert "Unknown model `huge`. Known: default, fake, fake-claude, smart." in terminal.getvalue()


async def test_a_full_pool_answers_busy_at_once(pool_bot: Bot, fake_llm: FakeLLM, terminal: Recording) -> None:
    fake_llm.script.append(Behavior(latency=1.0))
    first, second = await run(pool_bot, "/ask slow one", "/ask quick one")
    assert first["status"] == Status.COMPLETED
    assert second["status"] == Status.FAILED and second["finished_at"] < first["finished_at"]
    assert "All LLM workers are busy and this bot keeps no queue." in terminal.getvalue()


async def test_a_user_over_budget_is_refused_naming_the_budget(pool_bot: Bot, fake_llm: FakeLLM, terminal: Recording) -> None:
    [row] = await run(pool_bot, "/ask hello", user="console:mallory")
    assert row["status"] == Status.FAILED and not fake_llm.requests
    assert "The LLM budget `user:console:mallory` is used up for today" in terminal.getvalue()


async def test_status_pool_shows_each_deployment(pool_bot: Bot, fake_llm: FakeLLM, terminal: Recording) -> None:
    await run(pool_bot, "/ask hello")
    [row] = await run(pool_bot, "/status pool")
    assert row["status"] == Status.COMPLETED
    out = terminal.getvalue()
    assert "slots 0/1 busy, 0 queued (limit 0)" in out
    line = next(s for s in out.splitlines() if s.startswith("fake (openai:gpt-4o-mini)"))
    assert "closed" in line and "0/10" in line and "0.0%" in line
    assert "fake-claude (anthropic:claude-3-5-haiku-latest)" in out
    assert "openai/gpt-4o-mini: 1 requests" in out


async def test_status_pool_in_japanese(pool_bot: Bot, fake_llm: FakeLLM, terminal: Recording) -> None:
    await run(pool_bot, "/ask hello")
    [row] = await run(pool_bot, "/status pool", locale="ja")
    assert row["status"] == Status.COMPLETED
    out = terminal.getvalue()
    assert "*LLM プール*" in out and "スロット使用中 0/1、待機 0 件（上限 0）" in out
    header = next(s for s in out.splitlines() if s.startswith("デプロイ"))
    assert header.split() == ["デプロイ", "状態", "実行中", "待機", "p50/p95", "ms", "エラー率", "本日のトークン", "本日のコスト"]
    line = next(s for s in out.splitlines() if s.startswith("fake (openai:gpt-4o-mini)"))
    assert "クローズ" in line and "0/10" in line
    assert "*起動以降の累計（プロバイダー/モデル別）*" in out and "openai/gpt-4o-mini: 1 件、" in out


async def test_with_the_pool_disabled_ask_still_streams_and_status_says_so(bot: Bot, transcript) -> None:  # type: ignore[no-untyped-def]
    rows = [*(await run(bot, "/ask hi there")), *(await run(bot, "/status pool"))]
    assert [r["status"] for r in rows] == [Status.COMPLETED, Status.COMPLETED]
    assert "echo: hi there" in transcript.getvalue()
    assert "The LLM pool is off (ENABLE_LLM_POOL=false): requests go straight to openai." in transcript.getvalue()
    await run(bot, "/status pool", locale="ja")
    assert "LLM プールは無効です（ENABLE_LLM_POOL=false）。リクエストは openai に直接送られます。" in transcript.getvalue()


async def test_the_pool_is_visible_at_metrics_while_the_bot_runs(pool_bot: Bot) -> None:
    from prometheus_client import REGISTRY, generate_latest

    await run(pool_bot, "/ask hello")
    text = generate_latest(REGISTRY).decode()
    assert 'chatops_llm_in_flight{deployment="fake",kind="openai",model="gpt-4o-mini"} 0.0' in text
    assert 'chatops_llm_tokens_total{direction="out",kind="openai",model="gpt-4o-mini"}' in text


async def _spent_earlier_today(bot: Bot, user: str, cost: float) -> None:
    """An /ask of `user` that finished earlier today: in another process, or before a restart."""
    from sqlalchemy import insert

    from bot.storage.store import EXEC

    now = time.time()
    async with bot.store.engine.begin() as conn:
        await conn.execute(insert(EXEC).values(
            kind="ask", trigger="console", source="console", requester=user, conversation={"platform": "console", "channel": "t"},
            text="/ask earlier", args={}, locale="en", priority=0, status=Status.COMPLETED, attempts=1, max_attempts=3,
            available_at=now, provider="fake", model="gpt-4o-mini", tokens_in=10, tokens_out=10, cost=cost,
            created_at=now - 5, finished_at=now,
        ))


async def test_the_days_spending_survives_a_restart_and_is_shared_by_worker_processes(
    make_settings, db_url: str, fake_llm: FakeLLM, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    from bot.budget_sync import sync_once

    config = tmp_path / "llm.toml"
    config.write_text(CONFIG.format(url=fake_llm.url, root=fake_llm.root))
    settings = make_settings(
        core={"database_url": db_url, "lease_seconds": 5, "poll_interval": 0.05},
        llm={"enable_llm_pool": True, "llm_config_file": config, "llm_timeout": 2},
    )
    out = Recording()
    async with open_bot(settings, outbounds=[ConsoleOutbound(tmp_path / "data", out=out)]) as first:
        await _spent_earlier_today(first, "console:carol", 4.0)
    async with open_bot(settings, outbounds=[ConsoleOutbound(tmp_path / "data", out=out)]) as bot:  # restarted
        assert bot.services.llm.budgets.spent[("user", "console:carol")] == pytest.approx(4.0)
        await _spent_earlier_today(bot, "console:carol", 1.0)  # another worker process spent the rest
        await sync_once(bot.services.llm, bot.store)
        assert bot.services.llm.budgets.spent[("user", "console:carol")] == pytest.approx(5.0)
        [refused, answered] = [*(await run(bot, "/ask one more?", user="carol")), *(await run(bot, "/ask hi", user="dave"))]
    assert refused["status"] == Status.FAILED and "user:console:carol" in out.getvalue()
    assert answered["status"] == Status.COMPLETED
