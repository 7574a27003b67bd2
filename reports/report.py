"""The report: summary figures, anomalies, recommendations and four charts for one window.

SQL does the aggregation (two grouped scans plus the sample history); the four charts render in the
reports thread pool concurrently with each other.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from reports import charts
from reports.analytics import Analytics, analyze, status_series
from reports.insights import Finding, anomalies, recommendations
from reports.offload import blocking
from reports.sample_store import Bucket, SampleStore

CHART_POINTS = 240  # resolution of the CPU/memory chart, whatever the window


@dataclass(frozen=True, slots=True)
class ReportData:
    window: str
    since: float
    until: float
    zone: ZoneInfo
    analytics: Analytics
    system: dict[str, Bucket]  # min/avg/max of system metrics over the window
    anomalies: list[Finding]
    recommendations: list[Finding]
    charts: list[charts.Chart]


async def build_report(
    engine: AsyncEngine, samples: SampleStore, seconds: float, now: float, zone: ZoneInfo, locale: str,
    *, window: str = "", with_charts: bool = True,
) -> ReportData:
    since = now - seconds
    # the hourly series covers at least a day, so the charts show a trend even for a 1 h summary;
    # the per-command/model figures (and the cost chart) cover the report's own window
    series_since = min(since, now - 86400)
    step = max(5.0, seconds / CHART_POINTS)
    a, cpu, mem, system = await asyncio.gather(
        analyze(engine, since, now, series_since),
        samples.history("system.cpu_percent", series_since, now, max(step, (now - series_since) / CHART_POINTS)),
        samples.history("system.memory_percent", series_since, now, max(step, (now - series_since) / CHART_POINTS)),
        samples.summary(
            ["system.cpu_percent", "system.memory_percent", "system.disk_percent", "executions.queue_depth", "pool.size"],
            since, now,
        ),
    )
    found = anomalies(a.hourly, locale=locale)
    pool_size = system["pool.size"].max if "pool.size" in system else None
    recs = recommendations(a, system.get("executions.queue_depth"), pool_size, locale=locale)
    rendered: list[charts.Chart] = []
    if with_charts:
        rendered = await render_charts(a, cpu, mem, zone, locale, now - series_since)
    return ReportData(window, since, now, zone, a, system, found, recs, rendered)


async def render_charts(
    a: Analytics, cpu: list[Bucket], mem: list[Bucket], zone: ZoneInfo, locale: str, span: float,
) -> list[charts.Chart]:
    starts = [p.start for p in a.hourly]
    costs = {s.key: s.cost for s in a.by_model if s.cost > 0}
    jobs = [
        blocking(charts.executions_chart, starts, status_series(a.hourly), zone, locale),
        blocking(charts.latency_chart, starts, [p.p50_ms for p in a.hourly], [p.p95_ms for p in a.hourly], zone, locale),
        blocking(charts.cost_chart, costs, locale),
        blocking(
            charts.system_chart,
            ([b.start for b in cpu], [b.avg for b in cpu]), ([b.start for b in mem], [b.avg for b in mem]), zone, locale, span,
        ),
    ]
    return list(await asyncio.gather(*jobs))
