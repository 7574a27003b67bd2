"""Event → Execution → worker → Reply, end to end through the console adapter and the fake LLM."""
from __future__ import annotations

import asyncio

from bot.app import Bot
from bot.intake import Accepted, Rejected
from bot.storage.models import Status
from commands.model import Conversation, Event
from pool.fake import Behavior, FakeLLM


def console_event(text: str, channel: str = "test", locale: str | None = None) -> Event:
    return Event(source="console", user="console:alice", conversation=Conversation("console", channel), text=text, locale=locale)


async def run_one(bot: Bot, text: str, timeout: float = 10, locale: str | None = None) -> dict:
    stop = asyncio.Event()
    worker = bot.worker()
    task = asyncio.create_task(worker.run(stop))
    try:
        result = await bot.intake.submit(console_event(text, locale=locale))
        assert isinstance(result, Accepted), result
        return await bot.store.wait_finished(result.execution_id, timeout=timeout)
    finally:
        stop.set()
        await task


async def test_ask_is_answered_by_the_llm_and_recorded(bot: Bot, fake_llm: FakeLLM, transcript) -> None:
    row = await run_one(bot, "/ask what is a lease?")
    assert row["status"] == Status.COMPLETED
    assert "echo: what is a lease?" in transcript.getvalue()
    assert transcript.getvalue().count("echo: what is a lease?") == 1
    assert row["provider"] == "openai" and row["tokens_in"] > 0 and row["tokens_out"] > 0
    assert row["attempts"] == 1 and row["finished_at"] >= row["started_at"]
    assert len(fake_llm.requests) == 1
    deliveries = await bot.store.deliveries(row["id"])
    # /ask streams (issue 3): the live message is posted once, then finalized in place
    assert list(deliveries) == [f"{row['id']}:live", f"{row['id']}:final"]


async def test_llm_server_error_fails_the_execution_naming_the_provider(bot: Bot, fake_llm: FakeLLM, transcript) -> None:
    fake_llm.behavior = Behavior(status=503)
    row = await run_one(bot, "/ask hello")
    assert row["status"] == Status.FAILED
    assert "openai" in row["error"] and "503" in row["error"]
    assert "The LLM provider `openai` failed: server error 503" in transcript.getvalue()


async def test_unknown_command_is_rejected_with_close_matches_and_nothing_stored(bot: Bot) -> None:
    result = await bot.intake.submit(console_event("/stauts"))
    assert isinstance(result, Rejected)
    assert "/status" in result.reply.plain_text()
    pending, running, recent = await bot.store.counts(since=0)
    assert (pending, running, recent) == (0, 0, {})


async def test_progress_posts_once_and_the_final_reply_edits_the_same_message(bot: Bot, transcript) -> None:
    row = await run_one(bot, "/noop 0.05")
    assert row["status"] == Status.COMPLETED
    out = transcript.getvalue()
    assert out.startswith(f"noop {row['id']}: waiting 0.05s")
    assert out.rstrip().endswith(f"noop {row['id']}")
    deliveries = await bot.store.deliveries(row["id"])
    assert set(deliveries) == {f"{row['id']}:live", f"{row['id']}:final"}
    assert deliveries[f"{row['id']}:live"] == deliveries[f"{row['id']}:final"]  # edited, not posted twice


async def test_status_reports_queue_database_and_process(bot: Bot, transcript) -> None:
    row = await run_one(bot, "/status")
    assert row["status"] == Status.COMPLETED
    out = transcript.getvalue()
    for label in ("uptime", "version", "database", "queue", "last hour", "process", "LLM"):
        assert label in out
    assert f"database   {bot.store.backend}" in out and "RSS" in out


async def test_japanese_question_gets_japanese_usage_and_errors(make_settings, sqlite_url, console, transcript) -> None:
    from bot.app import open_bot

    async with open_bot(make_settings(core={"database_url": sqlite_url, "poll_interval": 0.05}), outbounds=[console]) as b:
        row = await run_one(b, "/ask 今日の予定は？")
        rejected = await b.intake.submit(console_event("/しらない"))
        bad_usage = await b.intake.submit(console_event("/report 一週間"))
    assert row["locale"] == "ja" and "LLM が設定されていません" in transcript.getvalue()
    assert isinstance(rejected, Rejected) and "というコマンドはありません" in rejected.reply.plain_text()
    assert isinstance(bad_usage, Rejected)
    assert "window は次のいずれかを指定してください: 1h, 24h, 7d" in bad_usage.reply.plain_text()
    assert "使い方: `/report [<1h|24h|7d>]`" in bad_usage.reply.plain_text()


async def test_help_and_status_in_a_japanese_conversation(bot: Bot, transcript) -> None:
    for line in ("/help", "/help alerts", "/status"):
        row = await run_one(bot, line, locale="ja")
        assert row["status"] == Status.COMPLETED, row["error"]
    out = transcript.getvalue()
    assert "*コマンド一覧*" in out and "LLM に質問します。回答は順次表示されます。" in out
    assert "• `minutes`: ミュートする分数（0 で解除）" in out
    assert "*ステータス*" in out and "稼働時間" in out and "直近1時間の実行" in out and "データベース" in out
    assert "Ask the LLM a question" not in out and "uptime" not in out
