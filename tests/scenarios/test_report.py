"""/report and /status through the spine: Event → Execution → worker → Reply with PNGs on the console."""
from __future__ import annotations

import asyncio
import io
import re
import time
from pathlib import Path

from matplotlib import image as mpimg

from bot.app import Bot
from bot.intake import Accepted
from bot.storage.models import Status
from commands.model import Conversation, Event
from tests.fakes.health import execution_rows, insert_executions


async def run_line(bot: Bot, line: str, timeout: float = 30, locale: str | None = None) -> dict:
    stop = asyncio.Event()
    task = asyncio.create_task(bot.worker().run(stop))
    try:
        event = Event(source="console", user="console:alice", conversation=Conversation("console", "t"), text=line, locale=locale)
        result = await bot.intake.submit(event)
        assert isinstance(result, Accepted), result
        return await bot.store.wait_finished(result.execution_id, timeout=timeout)
    finally:
        stop.set()
        await task


async def test_report_posts_a_summary_and_four_charts_written_as_pngs(bot: Bot, transcript) -> None:
    now = time.time()
    await insert_executions(bot.store.engine, execution_rows(2000, now, hours=24))
    await bot.services.reports.tick()  # one health sample for the system chart
    row = await run_line(bot, "/report 24h")
    assert row["status"] == Status.COMPLETED, row["error"]
    out = transcript.getvalue()
    assert "*Report: last 24h*" in out
    assert re.search(r"executions\s+2000 \(9\d\.\d% ok, \d+ failed\)", out)
    assert "gpt-4o-mini" in out and "By model" in out
    paths = re.findall(r"\[image: [^\]]+\] (\S+\.png)", out)
    assert len(paths) == 4
    for p in paths:
        img = mpimg.imread(io.BytesIO(Path(p).read_bytes()), format="png")
        assert img.shape[:2] == (360, 800)
        assert img[..., :3].std() > 0.05  # not a blank canvas


async def test_report_in_japanese_and_with_no_data(bot: Bot, transcript) -> None:
    row = await run_line(bot, "/report 1h", locale="ja")
    assert row["status"] == Status.COMPLETED, row["error"]
    out = transcript.getvalue()
    assert "*レポート: 直近 1h*" in out and "この期間の実行はありません。" in out
    assert "[image: CPU とメモリ使用率（%）]" in out and "executions" not in out


async def test_report_with_no_data(bot: Bot, transcript) -> None:
    row = await run_line(bot, "/report 1h")
    assert row["status"] == Status.COMPLETED, row["error"]
    assert "No executions in this window." in transcript.getvalue()


async def test_report_in_japanese_with_data(bot: Bot, transcript) -> None:
    await insert_executions(bot.store.engine, execution_rows(2000, time.time(), hours=24))
    row = await run_line(bot, "/report 24h", locale="ja")
    assert row["status"] == Status.COMPLETED, row["error"]
    out = transcript.getvalue()
    assert "*レポート: 直近 24h*" in out and "*モデル別*" in out
    assert re.search(r"実行\s+2000 件（成功率 9\d\.\d%、失敗 \d+ 件）", out)
    assert re.search(r"トークン\s+入力 \d+、出力 \d+", out)
    assert "executions" not in out and "By model" not in out


async def test_report_rejects_an_unknown_window_with_usage(bot: Bot) -> None:
    from bot.intake import Rejected

    result = await bot.intake.submit(Event(source="console", user="console:a", conversation=Conversation("console", "t"), text="/report 2w"))
    assert isinstance(result, Rejected)
    assert "1h|24h|7d" in result.reply.plain_text()


async def test_status_shows_system_and_active_alerts(bot: Bot, transcript) -> None:
    row = await run_line(bot, "/status")
    assert row["status"] == Status.COMPLETED
    out = transcript.getvalue()
    assert re.search(r"system\s+CPU \d+%, memory \d+%, disk \d+%", out)
    assert re.search(r"alerts\s+No active alerts\.", out)
    await run_line(bot, "/status", locale="ja")
    out = transcript.getvalue()
    assert re.search(r"システム\s+CPU \d+%、メモリ \d+%、ディスク \d+%", out)
    assert re.search(r"アラート\s+現在アラートはありません。", out)
