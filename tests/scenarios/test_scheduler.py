"""The scheduler: one leader at a time, the hourly report as an Execution per target that a restart
never doubles, delivered by the worker through the console, and the health job on a real APScheduler."""
from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.adapters.console import ConsoleOutbound
from bot.app import open_bot
from bot.scheduler import Scheduler, hour_slot
from bot.storage.models import Status
from bot.storage.store import EXEC
from commands.registry import SCHEDULED
from reports.tables import SAMPLE
from tests.fakes.health import ManualClock


async def report_rows(bot) -> list[dict]:
    async with bot.store.engine.connect() as conn:
        rows = (await conn.execute(select(EXEC).where(EXEC.c.kind == "report").order_by(EXEC.c.id))).mappings().all()
    return [dict(r) for r in rows]


async def test_hourly_report_is_one_execution_per_target_and_a_restart_does_not_double_it(make_settings, db_url, console, transcript) -> None:
    settings = make_settings(core={"database_url": db_url, "report_channel": "console,console:ops", "poll_interval": 0.05})
    top_of_hour = dt.datetime(2026, 11, 23, 10, 0, 20, tzinfo=ZoneInfo("UTC")).timestamp()
    clock = ManualClock(top_of_hour)
    async with open_bot(settings, outbounds=[console]) as bot:
        first = Scheduler(bot, clock=clock)
        assert await first.leadership.check()
        assert await first.hourly_report() == 2
        assert await first.hourly_report() == 0  # the same slot again: nothing new
        await first.stop()

        second = Scheduler(bot, clock=clock)  # a restart within the same hour
        await second.leadership.check()
        await second.catch_up()
        rows = await report_rows(bot)
        assert [r["idempotency_key"] for r in rows] == ["report:2026-11-23T10:console:stdout", "report:2026-11-23T10:console:ops"]
        assert {r["priority"] for r in rows} == {SCHEDULED} and {r["trigger"] for r in rows} == {"schedule"}

        # the worker runs them through /report and the console prints both
        stop = asyncio.Event()
        task = asyncio.create_task(bot.worker().run(stop))
        try:
            for r in rows:
                done = await bot.store.wait_finished(r["id"], timeout=30)
                assert done["status"] == Status.COMPLETED, done["error"]
        finally:
            stop.set()
            await task
        assert transcript.getvalue().count("*Report: last 1h*") == 2
        assert transcript.getvalue().count("[image: ") == 8

        clock.advance(3600)  # next hour: a new slot
        assert await second.hourly_report() == 2
        await second.stop()


async def test_a_missed_slot_is_caught_up_at_start_within_its_grace(make_settings, db_url, console) -> None:
    settings = make_settings(core={"database_url": db_url, "report_channel": "console"})
    clock = ManualClock(dt.datetime(2026, 11, 23, 11, 5, tzinfo=ZoneInfo("UTC")).timestamp())
    async with open_bot(settings, outbounds=[console]) as bot:
        s = Scheduler(bot, clock=clock)
        await s.leadership.check()
        await s.catch_up()
        await s.catch_up()
        assert [r["idempotency_key"] for r in await report_rows(bot)] == ["report:2026-11-23T11:console:stdout"]
        clock.now += 3600 + 20 * 60  # 12:25: too late for the 12:00 slot
        await s.catch_up()
        assert len(await report_rows(bot)) == 1
        await s.stop()


async def test_only_one_process_leads_and_another_takes_over_when_it_stops(make_settings, db_url, console) -> None:
    settings = make_settings(core={"database_url": db_url})
    async with open_bot(settings, outbounds=[console]) as a, open_bot(settings, outbounds=[console]) as b:
        sa, sb = Scheduler(a), Scheduler(b)
        assert await sa.leadership.check() is True
        assert await sb.leadership.check() is False
        assert await sa.leadership.check() is True  # renewal keeps it
        await sa.stop()
        assert await sb.leadership.check() is True
        await sb.stop()


async def test_the_health_job_runs_on_apscheduler_in_the_loop(make_settings, db_url) -> None:
    out = ConsoleOutbound(make_settings().core.data_dir)
    settings = make_settings(core={"database_url": db_url}, reports={"health_interval": 0.5})
    async with open_bot(settings, outbounds=[out]) as bot:
        s = Scheduler(bot)
        await s.start()
        try:
            for _ in range(60):  # bounded: at most 6 s
                if s.monitor.ticks >= 3:
                    break
                await asyncio.sleep(0.1)
        finally:
            await s.stop()
        assert s.monitor.ticks >= 3
        async with bot.store.engine.connect() as conn:
            n = (await conn.execute(select(func.count(func.distinct(SAMPLE.c.ts))))).scalar()
        assert n >= 3
        assert hour_slot(0, ZoneInfo("Asia/Tokyo")) == "1970-01-01T09"


async def test_retention_forgets_old_delivery_ids_and_button_lines_only(make_settings, db_url, console) -> None:
    import time

    from bot.scheduler import BUTTON_DAYS, DELIVERY_DAYS
    from bot.storage.github import DUPLICATE, STORED, IncomingDelivery

    settings = make_settings(core={"database_url": db_url}, github={"github_webhook_secret": "s3cret"})
    now = time.time()
    clock = ManualClock(now)
    async with open_bot(settings, outbounds=[console]) as bot:
        gh = bot.store.github
        assert await gh.store_deliveries([IncomingDelivery("d-1", "ping", None, "o/r", "")]) == [STORED]
        await bot.store.remember_buttons({"~k1": "/mcp confirm x"})
        s = Scheduler(bot, clock=clock)

        clock.now = now + (DELIVERY_DAYS - 1) * 86400  # still inside both windows
        await s.purge()
        assert await gh.store_deliveries([IncomingDelivery("d-1", "ping", None, "o/r", "")]) == [DUPLICATE]
        assert await bot.store.button_line("~k1") == "/mcp confirm x"

        clock.now = now + (DELIVERY_DAYS + 1) * 86400  # the delivery id has aged out, the button not yet
        await s.purge()
        assert await gh.delivery("d-1") is None
        assert await bot.store.button_line("~k1") == "/mcp confirm x"

        clock.now = now + (BUTTON_DAYS + 1) * 86400
        await s.purge()
        assert await bot.store.button_line("~k1") is None
        await s.stop()


async def test_a_button_posted_again_counts_its_retention_from_then(make_settings, db_url, console) -> None:
    from bot.storage.store import BUTTONS

    async def stored_at(bot) -> float:
        async with bot.store.engine.connect() as conn:
            return (await conn.execute(select(BUTTONS.c.created_at).where(BUTTONS.c.key == "~k2"))).scalar_one()

    async with open_bot(make_settings(core={"database_url": db_url}), outbounds=[console]) as bot:
        await bot.store.remember_buttons({"~k2": "/mcp confirm y"})
        first = await stored_at(bot)
        await asyncio.sleep(0.02)
        await bot.store.remember_buttons({"~k2": "/mcp confirm y"})
        assert await stored_at(bot) > first
        assert await bot.store.purge_buttons(first + 0.01) == 0  # the re-post keeps it
