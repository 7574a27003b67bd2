"""Health samples in the database: one narrow row per metric per tick, 24 h by default.

A narrow table (ts, metric, value) indexed on (metric, ts) lets one SQL statement produce the
min/avg/max of any metric per bucket, which is what charts and the history API need.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from reports.sampler import Sample
from reports.tables import SAMPLE, floor_nonneg


@dataclass(frozen=True, slots=True)
class Bucket:
    start: float
    min: float
    avg: float
    max: float
    count: int


class SampleStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.latest: Sample | None = None  # the last sample written by this process

    async def add(self, sample: Sample) -> None:
        self.latest = sample
        rows = [{"ts": sample.ts, "metric": k, "value": v} for k, v in sample.values.items()]
        if not rows:
            return
        async with self.engine.begin() as conn:
            await conn.execute(insert(SAMPLE), rows)

    async def add_many(self, rows: list[dict[str, Any]]) -> None:
        """Bulk insert of {"ts", "metric", "value"} rows (benchmarks, imports)."""
        async with self.engine.begin() as conn:
            await conn.execute(insert(SAMPLE), rows)

    async def last(self) -> Sample | None:
        """The newest sample in the database (written by whichever process runs the health check)."""
        async with self.engine.connect() as conn:
            ts = (await conn.execute(select(func.max(SAMPLE.c.ts)))).scalar()
            if ts is None:
                return None
            rows = (await conn.execute(select(SAMPLE.c.metric, SAMPLE.c.value).where(SAMPLE.c.ts == ts))).all()
        return Sample(float(ts), {m: float(v) for m, v in rows})

    async def history(self, metric: str, since: float, until: float, step: float) -> list[Bucket]:
        """min/avg/max of `metric` per `step` seconds between `since` and `until`, oldest first."""
        bucket = floor_nonneg(SAMPLE.c.ts / step)
        stmt = (
            select(bucket, func.min(SAMPLE.c.value), func.avg(SAMPLE.c.value), func.max(SAMPLE.c.value), func.count())
            .where(SAMPLE.c.metric == metric, SAMPLE.c.ts >= since, SAMPLE.c.ts < until)
            .group_by(bucket)
            .order_by(bucket)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [Bucket(float(b) * step, float(lo), float(avg), float(hi), int(n)) for b, lo, avg, hi, n in rows]

    async def summary(self, metrics: list[str], since: float, until: float) -> dict[str, Bucket]:
        """min/avg/max of each metric over the whole window."""
        stmt = (
            select(SAMPLE.c.metric, func.min(SAMPLE.c.value), func.avg(SAMPLE.c.value), func.max(SAMPLE.c.value), func.count())
            .where(SAMPLE.c.metric.in_(metrics), SAMPLE.c.ts >= since, SAMPLE.c.ts < until)
            .group_by(SAMPLE.c.metric)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return {m: Bucket(since, float(lo), float(avg), float(hi), int(n)) for m, lo, avg, hi, n in rows}

    async def metrics(self, since: float) -> list[str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(SAMPLE.c.metric).where(SAMPLE.c.ts >= since).distinct())
            return sorted(r for (r,) in rows.all())

    async def purge(self, older_than: float) -> int:
        async with self.engine.begin() as conn:
            res = await conn.execute(delete(SAMPLE).where(SAMPLE.c.ts < older_than))
            return int(res.rowcount or 0)
