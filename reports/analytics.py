"""Analytics over Execution rows, aggregated in SQL so that 100 000 rows cost two grouped scans.

Latency percentiles come from a log histogram built in SQL (`floor(ln(ms + 1) * 8)`: buckets 13 %
wide, so p50/p95 are within ±6.5 %), which runs alike on SQLite (math functions) and PostgreSQL and
merges across any grouping. Hours are `floor(created_at / 3600)` on both databases.
"""
from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Executable, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from reports.tables import EXECUTION as E
from reports.tables import floor_nonneg

BUCKETS_PER_E = 8  # histogram resolution: 8 buckets per factor e


def _bucket_value(b: int) -> float:
    return math.exp((b + 0.5) / BUCKETS_PER_E) - 1.0


def percentile(hist: dict[int, int], p: float) -> float | None:
    """Nearest-rank percentile of a {bucket: count} histogram, as the bucket's middle (ms)."""
    n = sum(hist.values())
    if n == 0:
        return None
    rank, seen = math.ceil(p * n), 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= rank:
            return _bucket_value(b)
    return _bucket_value(max(hist))


@dataclass(slots=True)
class Stat:
    key: str
    count: int = 0
    succeeded: int = 0
    failed: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    hist: dict[int, int] = field(default_factory=dict)

    @property
    def finished(self) -> int:
        return self.succeeded + self.failed

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.finished if self.finished else None

    @property
    def p50_ms(self) -> float | None:
        return percentile(self.hist, 0.50)

    @property
    def p95_ms(self) -> float | None:
        return percentile(self.hist, 0.95)

    @property
    def cost_per_execution(self) -> float:
        return self.cost / self.count if self.count else 0.0

    def add(self, status: str, n: int, lb: int | None, tin: int, tout: int, cost: float) -> None:
        self.count += n
        self.succeeded += n if status == "COMPLETED" else 0
        self.failed += n if status == "FAILED" else 0
        self.tokens_in += tin
        self.tokens_out += tout
        self.cost += cost
        if lb is not None:
            self.hist[lb] = self.hist.get(lb, 0) + n


@dataclass(slots=True)
class HourPoint:
    start: float
    by_status: dict[str, int]
    hist: dict[int, int]

    @property
    def count(self) -> int:
        return sum(self.by_status.values())

    @property
    def failed(self) -> int:
        return self.by_status.get("FAILED", 0)

    @property
    def p50_ms(self) -> float | None:
        return percentile(self.hist, 0.50)

    @property
    def p95_ms(self) -> float | None:
        return percentile(self.hist, 0.95)


@dataclass(slots=True)
class Analytics:
    since: float
    until: float
    total: Stat
    by_command: list[Stat]
    by_provider: list[Stat]
    by_model: list[Stat]
    by_command_model: dict[tuple[str, str], Stat]
    hourly: list[HourPoint]


def _sorted(stats: Iterable[Stat]) -> list[Stat]:
    return sorted(stats, key=lambda s: (-s.count, s.key))


FINISHED = ("COMPLETED", "FAILED")


async def analyze(engine: AsyncEngine, since: float, until: float, series_since: float | None = None) -> Analytics:
    """Figures per command/provider/model over [since, until), and the hourly series from `series_since`.

    Only finished rows count (in-flight ones, the running report among them, have no outcome yet). The
    status filter is applied in Python on the grouped rows: in SQL it would steer the planner to the
    status index instead of the time range.
    """
    series_since = since if series_since is None else min(series_since, since)
    lb = floor_nonneg(func.ln(E.c.latency_ms + 1.0) * BUCKETS_PER_E)
    hour = floor_nonneg(E.c.created_at / 3600.0)
    hourly_q = (
        select(hour, E.c.status, lb, func.count())
        .where(E.c.created_at >= series_since, E.c.created_at < until)
        .group_by(hour, E.c.status, lb)
    )
    dims_q = (
        select(
            E.c.kind, E.c.provider, E.c.model, E.c.status, lb, func.count(),
            func.coalesce(func.sum(E.c.tokens_in), 0), func.coalesce(func.sum(E.c.tokens_out), 0),
            func.coalesce(func.sum(E.c.cost), 0.0),
        )
        .where(E.c.created_at >= since, E.c.created_at < until)
        .group_by(E.c.kind, E.c.provider, E.c.model, E.c.status, lb)
    )

    async def fetch(stmt: Executable) -> Sequence[Sequence[Any]]:
        async with engine.connect() as conn:
            return (await conn.execute(stmt)).all()

    # two connections: SQLite (WAL) and PostgreSQL can scan both at once when a core is free
    hourly_rows, dim_rows = await asyncio.gather(fetch(hourly_q), fetch(dims_q))

    total = Stat("all")
    cmd: dict[str, Stat] = {}
    prov: dict[str, Stat] = {}
    model: dict[str, Stat] = {}
    cmd_model: dict[tuple[str, str], Stat] = {}
    for kind, provider, mdl, status, b, n, tin, tout, cost in dim_rows:
        if status not in FINISHED:
            continue
        b = None if b is None else int(b)
        args = (status, int(n), b, int(tin), int(tout), float(cost))
        total.add(*args)
        cmd.setdefault(kind, Stat(kind)).add(*args)
        if provider:
            prov.setdefault(provider, Stat(provider)).add(*args)
        if mdl:
            model.setdefault(mdl, Stat(mdl)).add(*args)
            cmd_model.setdefault((kind, mdl), Stat(f"{kind}/{mdl}")).add(*args)

    first, last = math.floor(series_since / 3600), math.ceil(until / 3600)
    by_hour: dict[int, HourPoint] = {h: HourPoint(h * 3600.0, {}, {}) for h in range(first, last)}
    for h, status, b, n in hourly_rows:
        if status not in FINISHED:
            continue
        point = by_hour.setdefault(int(h), HourPoint(int(h) * 3600.0, {}, {}))
        point.by_status[status] = point.by_status.get(status, 0) + int(n)
        if b is not None:
            point.hist[int(b)] = point.hist.get(int(b), 0) + int(n)
    return Analytics(
        since, until, total, _sorted(cmd.values()), _sorted(prov.values()), _sorted(model.values()), cmd_model,
        [by_hour[h] for h in sorted(by_hour)],
    )


def status_series(hourly: list[HourPoint]) -> dict[str, list[int]]:
    statuses = sorted({s for p in hourly for s in p.by_status})
    out: dict[str, list[int]] = defaultdict(list)
    for s in statuses:
        out[s] = [p.by_status.get(s, 0) for p in hourly]
    return dict(out)
