"""`chatops bench health`: CPU per health tick, and 24 h of 5 s samples stored and queried for a chart.

A tick is the scheduled job: psutil probe, the executions source, storing the sample, evaluating the
default alert rules, delivering notices (none fire here) and exporting Prometheus gauges. CPU is the
whole process's (all threads) per tick, from `time.process_time()`.
"""
from __future__ import annotations

import statistics
import time
from typing import Any

from bench.common import databases
from bot.adapters.base import Outbounds
from bot.alerting import AlertNotifier, routes
from bot.health_tick import HealthMonitor
from reports import ReportsService, ReportsSettings

DAY_TICKS = 17_280  # 24 h at 5 s


async def bench(n: int | None, database_urls: list[str] | None) -> dict[str, Any]:
    ticks = n or 200
    out: dict[str, Any] = {"ticks": ticks}
    async with databases(database_urls) as dbs:
        for backend, engine in dbs:
            svc = ReportsService(ReportsSettings(_env_file=None), engine)
            rules = list(svc.alerts.rules.values())
            monitor = HealthMonitor(svc, AlertNotifier(Outbounds([]), svc.alerts.store, routes(rules, None), svc.settings.zone))
            await monitor.tick()  # warm
            walls = []
            cpu0 = time.process_time()
            for _ in range(ticks):  # bounded by `ticks`
                t = time.perf_counter()
                await monitor.tick()
                walls.append(time.perf_counter() - t)
            cpu_ms = (time.process_time() - cpu0) * 1000 / ticks
            sample = await svc.current()
            assert sample is not None  # the ticks above stored samples
            metrics_per_tick = len(sample.values)

            now = time.time()
            names = sorted(sample.values)
            rows = [{"ts": now - i * 5.0, "metric": m, "value": float(i % 100)} for i in range(DAY_TICKS) for m in names]
            t = time.perf_counter()
            await svc.samples.add_many(rows)
            store_s = time.perf_counter() - t
            queries = []
            for _ in range(5):  # bounded
                t = time.perf_counter()
                buckets = await svc.samples.history("system.cpu_percent", now - 86400, now + 1, 86400 / 240)
                queries.append(time.perf_counter() - t)
            assert len(buckets) >= 240
            out[backend] = {
                "cpu_ms_per_tick": round(cpu_ms, 2),
                "tick_wall_ms": {
                    "p50": round(statistics.median(walls) * 1000, 2),
                    "p99": round(sorted(walls)[int(0.99 * len(walls))] * 1000, 2),
                },
                "metrics_per_tick": metrics_per_tick,
                "day_of_samples": {
                    "rows": len(rows), "store_s": round(store_s, 2),
                    "chart_query_ms": {
                        "p50": round(statistics.median(queries) * 1000, 1), "max": round(max(queries) * 1000, 1),
                    },
                },
            }
    return out
