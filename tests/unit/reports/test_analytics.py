"""Analytics in SQL match the same figures computed in Python from the rows; insights carry figures."""
from __future__ import annotations

import math
import statistics

from bot.storage.engine import create_engine
from bot.storage.migrate import upgrade
from reports.analytics import analyze, percentile
from reports.insights import anomalies, recommendations
from tests.fakes.health import execution_rows, insert_executions

NOW = 1_800_003_600.0


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(p * len(ordered)) - 1]


async def test_per_model_and_hourly_figures_match_the_rows(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await upgrade(engine)
        rows = execution_rows(3000, NOW, hours=24)
        await insert_executions(engine, rows)
        a = await analyze(engine, NOW - 86400, NOW)
    finally:
        await engine.dispose()
    assert a.total.count == 3000
    by_model = {s.key: s for s in a.by_model}
    for model in ("gpt-4o", "gpt-4o-mini", "claude-haiku"):
        mine = [r for r in rows if r["model"] == model]
        s = by_model[model]
        assert s.count == len(mine)
        assert s.failed == sum(r["status"] == "FAILED" for r in mine)
        assert math.isclose(s.cost, sum(r["cost"] for r in mine), rel_tol=1e-9)
        assert s.tokens_in == 100 * len(mine)
        for p, got in ((0.5, s.p50_ms), (0.95, s.p95_ms)):
            exact = nearest_rank([r["latency_ms"] for r in mine], p)
            assert abs(got - exact) / exact < 0.07  # log-histogram buckets are 13 % wide
    assert {s.key for s in a.by_command} == {"ask", "review", "report"}
    assert len(a.hourly) in (24, 25)
    assert sum(p.count for p in a.hourly) == 3000
    busiest = max(a.hourly, key=lambda p: p.count)
    in_hour = [r for r in rows if math.floor(r["created_at"] / 3600) * 3600 == busiest.start]
    assert busiest.count == len(in_hour)


def test_percentile_of_an_empty_histogram_is_none() -> None:
    assert percentile({}, 0.95) is None


async def test_insights_name_the_cheaper_model_and_a_failing_provider(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    rows = execution_rows(600, NOW, hours=6)
    for r in rows:  # claude fails a third of the time
        if r["provider"] == "anthropic" and r["created_at"] % 3 < 1:
            r["status"], r["error"] = "FAILED", "boom"
    try:
        await upgrade(engine)
        await insert_executions(engine, rows)
        a = await analyze(engine, NOW - 6 * 3600, NOW)
    finally:
        await engine.dispose()
    recs = recommendations(a)
    kinds = {f.kind for f in recs}
    assert "cheaper_model" in kinds and "provider_errors" in kinds
    cheap = next(f for f in recs if f.kind == "cheaper_model")
    assert cheap.figures["model"] == "gpt-4o-mini" and cheap.figures["instead_of"] == "gpt-4o"
    bad = next(f for f in recs if f.kind == "provider_errors")
    assert bad.figures["provider"] == "anthropic" and bad.figures["failed"] > 20


def test_anomalies_flag_an_error_spike_and_a_throughput_drop() -> None:
    from reports.analytics import HourPoint

    hours = [HourPoint(3600.0 * i, {"COMPLETED": 100}, {50: 100}) for i in range(10)]
    hours.append(HourPoint(36000.0, {"COMPLETED": 20, "FAILED": 10}, {70: 30}))
    found = {f.kind: f for f in anomalies(hours)}
    assert found["error_rate"].figures["failed"] == 10
    assert found["throughput_drop"].figures["baseline_per_hour"] == statistics.fmean([100] * 10)
    assert "latency_p95" in found
