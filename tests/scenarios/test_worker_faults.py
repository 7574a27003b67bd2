"""Faults around the worker: LLM failures, hangs, broken delivery, a retry that must not pay twice."""
from __future__ import annotations

import asyncio
import io

import pytest

from bot.adapters.console import ConsoleOutbound
from bot.app import Bot, open_bot
from bot.intake import Accepted
from bot.storage.models import Status
from bot.storage.store import Claim
from pool.fake import Behavior, FakeLLM
from tests.scenarios.test_spine import console_event, run_one


@pytest.mark.parametrize(
    ("behavior", "error_part", "user_part"),
    [
        (Behavior(status=500), "server error 500", "server error 500"),
        (Behavior(status=429, retry_after=7), "rate limited (429)", "rate limited"),
        (Behavior(malformed=True), "the stream carried no openai events", "the stream carried no openai events"),
        (Behavior(hang=True), "no answer within 2s", "no answer within 2s"),
        (Behavior(status=401), "API key was refused", "API key was refused"),
    ],
)
async def test_llm_faults_fail_the_execution_with_a_reply_naming_the_provider(
    bot: Bot, fake_llm: FakeLLM, transcript, behavior: Behavior, error_part: str, user_part: str
) -> None:
    fake_llm.behavior = behavior
    row = await run_one(bot, "/ask are you there?")
    assert row["status"] == Status.FAILED
    assert "openai" in row["error"] and error_part in row["error"]
    out = transcript.getvalue()
    assert "The LLM provider `openai` failed" in out and user_part in out


async def test_unreachable_llm_names_the_provider_and_address(make_settings, sqlite_url, console, transcript) -> None:
    settings = make_settings(core={"database_url": sqlite_url, "poll_interval": 0.05}, llm={"openai_base_url": "http://127.0.0.1:9/v1"})
    async with open_bot(settings, outbounds=[console]) as bot:
        row = await run_one(bot, "/ask hello")
    assert row["status"] == Status.FAILED
    assert "The LLM provider `openai` failed: cannot reach http://127.0.0.1:9/v1" in transcript.getvalue()


async def test_ask_without_llm_says_which_setting_to_give(make_settings, sqlite_url, console, transcript) -> None:
    async with open_bot(make_settings(core={"database_url": sqlite_url, "poll_interval": 0.05}), outbounds=[console]) as bot:
        row = await run_one(bot, "/ask hello")
    assert row["status"] == Status.FAILED
    assert "No LLM is configured: set OPENAI_BASE_URL" in transcript.getvalue()


async def test_broken_delivery_is_retried_without_running_the_handler_again(
    make_settings, db_url: str, fake_llm: FakeLLM, tmp_path
) -> None:
    settings = make_settings(
        core={"database_url": db_url, "poll_interval": 0.05, "lease_seconds": 5},
        llm={"openai_base_url": fake_llm.url},
    )
    broken_stream = io.StringIO()
    broken_stream.close()  # writing raises: the platform is "down"
    broken = ConsoleOutbound(tmp_path / "d1", out=broken_stream)
    async with open_bot(settings, outbounds=[broken]) as bot:
        result = await bot.intake.submit(console_event("/ask deliver me"))
        assert isinstance(result, Accepted)
        stop = asyncio.Event()
        task = asyncio.create_task(bot.worker().run(stop))
        for _ in range(200):
            row = await bot.store.get(result.execution_id)
            if row["status"] == Status.PENDING and row["reply"] is not None:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await task
    assert row["attempts"] == 1 and "delivery to console:test failed" in row["error"]

    good_out = io.StringIO()
    async with open_bot(settings, outbounds=[ConsoleOutbound(tmp_path / "d2", out=good_out)]) as bot:
        stop = asyncio.Event()
        task = asyncio.create_task(bot.worker().run(stop))
        row = await bot.store.wait_finished(result.execution_id, timeout=10)
        stop.set()
        await task
    assert row["status"] == Status.COMPLETED and row["attempts"] == 2
    assert good_out.getvalue().count("echo: deliver me") == 1
    assert len(fake_llm.requests) == 1  # the answer was kept, not asked for again
    assert row["tokens_in"] > 0


async def test_an_execution_delivered_before_a_crash_is_not_posted_again(bot: Bot, transcript) -> None:
    result = await bot.intake.submit(console_event("/noop"))
    eid = result.execution_id
    # a worker claimed it, posted the final reply and recorded it, then died before completing the row
    await bot.store.claim(Claim("dead"), 1, lease_seconds=0.05)
    await bot.store.record_delivery(eid, f"{eid}:final", "console", "m1")
    await asyncio.sleep(0.1)
    stop = asyncio.Event()
    task = asyncio.create_task(bot.worker().run(stop))
    row = await bot.store.wait_finished(eid, timeout=10)
    stop.set()
    await task
    assert row["status"] == Status.COMPLETED and row["attempts"] == 2
    assert transcript.getvalue() == ""


async def test_worker_runs_executions_concurrently_up_to_its_bound(bot: Bot) -> None:
    ids = [(await bot.intake.submit(console_event("/noop 0.3"))).execution_id for _ in range(6)]
    stop = asyncio.Event()
    worker = bot.worker(concurrency=3)
    task = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.15)
    _, running, _ = await bot.store.counts(since=0)
    assert running == 3
    rows = [await bot.store.wait_finished(i, timeout=10) for i in ids]
    stop.set()
    await task
    assert all(r["status"] == Status.COMPLETED for r in rows)
