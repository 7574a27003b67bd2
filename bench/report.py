"""`chatops bench report`: the hourly report (summary + 4 charts) over N executions (default 100 000).

Executions spread over 24 h and 24 h of 5 s CPU/memory samples are inserted into a throwaway SQLite
database (or the given ones) first; the timed part is what the scheduled /report does: SQL
aggregation, sample history, four charts, and rendering the Reply.
"""
from __future__ import annotations

import statistics
import time
from typing import Any

from sqlalchemy import text

from bench.common import databases, execution_rows
from bot.storage.bulk import load_executions
from commands.report import render_report
from reports import ReportsService, ReportsSettings, SampleStore

RUNS = 5


async def bench(n: int | None, database_urls: list[str] | None) -> dict[str, Any]:
    n = n or 100_000
    now = time.time()
    rows = execution_rows(n, now, hours=24)
    samples = [
        {"ts": now - i * 5.0, "metric": m, "value": v}
        for i in range(17_280)
        for m, v in (("system.cpu_percent", 20 + (i % 50)), ("system.memory_percent", 55 + (i % 7)))
    ]
    out: dict[str, Any] = {"executions": n, "charts": 4, "runs": RUNS}
    async with databases(database_urls) as dbs:
        for backend, engine in dbs:
            t0 = time.perf_counter()
            await load_executions(engine, rows)
            for i in range(0, len(samples), 10_000):
                await SampleStore(engine).add_many(samples[i:i + 10_000])
            async with engine.begin() as conn:  # planner statistics, as autovacuum/analyze keep them in service
                await conn.execute(text("ANALYZE"))
            setup = time.perf_counter() - t0
            svc = ReportsService(ReportsSettings(_env_file=None), engine)
            await svc.report("1h", "ja")  # warm: fonts, imports, first connection
            totals, sql = [], []
            pngs = 0
            for _ in range(RUNS):  # bounded: RUNS iterations
                t = time.perf_counter()
                data = await svc.report("1h", "ja", charts=False)
                sql.append(time.perf_counter() - t)
                t = time.perf_counter()
                data = await svc.report("1h", "ja")
                reply = render_report(data, "ja")
                totals.append(time.perf_counter() - t)
                pngs = len(reply.images)
                assert data.analytics.hourly and pngs == 4
            day = []
            for _ in range(2):  # bounded: the on-demand /report 24h, whose table scans all rows
                t = time.perf_counter()
                render_report(await svc.report("24h", "ja"), "ja")
                day.append(time.perf_counter() - t)
            out[backend] = {
                "report_24h_end_to_end_s": {"min": round(min(day), 3)},
                "setup_s": round(setup, 2),
                "report_end_to_end_s": {"p50": round(statistics.median(totals), 3), "max": round(max(totals), 3)},
                "aggregation_only_s": {"p50": round(statistics.median(sql), 3)},
                "charts_in_reply": pngs,
                "png_bytes_total": sum(len(i.png) for i in reply.images),
            }
    return out
