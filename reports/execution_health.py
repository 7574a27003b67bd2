"""Health figures over recent Executions, as a sampler source named "executions".

Error rate and p95 latency over the last 15 minutes, throughput of the last hour against the trailing
24 h average, LLM cost since local midnight, and the queue. Recomputed at most every `refresh` seconds
so that a 5 s health tick does not scan the table each time.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from reports.tables import EXECUTION as E

WINDOW_S = 900.0
BASELINE_HOURS = 24
MIN_BASELINE_PER_HOUR = 5.0  # below this, a "drop" is noise and is not reported
MIN_FOR_RATE = 10  # an error rate over fewer finished executions is noise (1 failure of 3 is not 33 %)


def day_start(now: float, zone: ZoneInfo) -> float:
    local = dt.datetime.fromtimestamp(now, zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


class ExecutionHealth:
    def __init__(
        self, engine: AsyncEngine, zone: ZoneInfo, clock: Callable[[], float] = time.time, refresh: float = 30.0,
    ) -> None:
        self.engine, self.zone, self.clock, self.refresh = engine, zone, clock, refresh
        self._cached: tuple[float, dict[str, Any]] | None = None

    async def __call__(self) -> dict[str, Any]:
        now = self.clock()
        if self._cached is not None and now - self._cached[0] < self.refresh:
            return self._cached[1]
        data = await self.compute(now)
        self._cached = (now, data)
        return data

    async def compute(self, now: float) -> dict[str, Any]:
        finished = E.c.status.in_(("COMPLETED", "FAILED"))
        recent = (
            select(func.count(), func.sum(case((E.c.status == "FAILED", 1), else_=0)))
            .where(E.c.created_at >= now - WINDOW_S, finished)
        )
        latencies = (
            select(E.c.latency_ms)
            .where(E.c.created_at >= now - WINDOW_S, E.c.latency_ms.is_not(None))
            .order_by(E.c.latency_ms)
        )
        hour = now - 3600
        base_since = hour - BASELINE_HOURS * 3600
        volume = select(
            func.sum(case((E.c.created_at >= hour, 1), else_=0)),
            func.sum(case((E.c.created_at < hour, 1), else_=0)),
            func.min(E.c.created_at),
        ).where(E.c.created_at >= base_since)
        cost = select(func.coalesce(func.sum(E.c.cost), 0.0)).where(E.c.created_at >= day_start(now, self.zone))
        queue = select(
            func.sum(case((E.c.status == "PENDING", 1), else_=0)), func.sum(case((E.c.status == "RUNNING", 1), else_=0))
        ).where(E.c.status.in_(("PENDING", "RUNNING")))
        async with self.engine.connect() as conn:
            n, failed = (await conn.execute(recent)).one()
            lat = [float(v) for (v,) in (await conn.execute(latencies)).all()]
            last_hour, before, oldest = (await conn.execute(volume)).one()
            cost_today = float((await conn.execute(cost)).scalar() or 0.0)
            pending, running = (await conn.execute(queue)).one()
        out: dict[str, Any] = {
            "finished_15m": int(n or 0),
            "cost_today": round(cost_today, 6),
            "queue_depth": int(pending or 0),
            "running": int(running or 0),
            "last_hour": int(last_hour or 0),
        }
        if n and n >= MIN_FOR_RATE:
            out["error_rate_percent"] = 100.0 * int(failed or 0) / int(n)
        if lat:
            out["latency_p95_s"] = lat[max(0, -(-95 * len(lat) // 100) - 1)] / 1000.0
        if oldest is not None and oldest < hour:
            hours = min(BASELINE_HOURS, (hour - float(oldest)) / 3600)
            baseline = int(before or 0) / max(hours, 1.0)
            out["baseline_per_hour"] = round(baseline, 2)
            if baseline >= MIN_BASELINE_PER_HOUR:
                out["throughput_drop_percent"] = max(0.0, 100.0 * (1 - int(last_hour or 0) / baseline))
        return out
