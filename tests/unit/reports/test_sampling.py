"""Sampling: real psutil readings, flattening of source data, a failing source, retention and history."""
from __future__ import annotations

import time

from sqlalchemy import inspect as sa_inspect

from bot.storage.engine import create_engine
from bot.storage.migrate import upgrade
from reports.execution_health import ExecutionHealth
from reports.sample_store import SampleStore
from reports.sampler import Sampler, SystemProbe, flatten
from reports.tables import metadata
from tests.fakes.health import ManualClock, execution_rows, insert_executions


async def test_system_probe_reads_the_machine_and_this_process() -> None:
    sampler = Sampler(SystemProbe().read)
    s = await sampler.sample()
    for key in ("system.cpu_percent", "system.memory_percent", "system.disk_percent", "system.load1",
                "system.net_sent_bytes_per_s", "process.cpu_percent", "process.rss_bytes", "process.threads", "process.open_files"):
        assert key in s.values, key
    assert 0 < s.values["system.memory_percent"] < 100 and s.values["process.threads"] >= 1
    assert s.values["process.open_files"] >= 3


def test_flatten_maps_booleans_states_and_keeps_other_text() -> None:
    values: dict[str, float] = {}
    text: dict[str, str] = {}
    flatten("pool", {"active_workers": 4, "healthy": True, "breakers": {"a": "open", "b": "half_open", "c": "closed"}, "note": "hi"}, values, text)
    assert values == {"pool.active_workers": 4.0, "pool.healthy": 1.0, "pool.breakers.a": 1.0, "pool.breakers.b": 0.5, "pool.breakers.c": 0.0}
    assert text["pool.note"] == "hi" and text["pool.breakers.a"] == "open"


async def test_a_failing_source_is_recorded_not_fatal() -> None:
    def broken() -> dict:
        raise ConnectionError("mcp hub down")

    async def fine() -> dict:
        return {"up": "up"}

    s = await Sampler(None, {"mcp": broken, "github": fine}).sample()
    assert s.values["health.mcp_ok"] == 0.0 and s.values["health.github_ok"] == 1.0 and s.values["github.up"] == 1.0
    assert "mcp hub down" in s.text["health.mcp_error"]


async def test_samples_history_aggregates_and_retention(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        await upgrade(engine)
        store = SampleStore(engine)
        t0 = 1_800_000_000.0
        await store.add_many([{"ts": t0 + i * 5, "metric": "system.cpu_percent", "value": float(i)} for i in range(24)])
        buckets = await store.history("system.cpu_percent", t0, t0 + 120, 60)
        assert [(b.min, b.avg, b.max, b.count) for b in buckets] == [(0, 5.5, 11, 12), (12, 17.5, 23, 12)]
        assert (await store.last()).values == {"system.cpu_percent": 23.0}
        assert await store.purge(t0 + 60) == 12
        assert len(await store.history("system.cpu_percent", t0, t0 + 120, 60)) == 1
    finally:
        await engine.dispose()


async def test_execution_health_figures(sqlite_url: str) -> None:
    from zoneinfo import ZoneInfo

    engine = create_engine(sqlite_url)
    now = time.time()
    rows = execution_rows(400, now, hours=1)
    try:
        await upgrade(engine)
        await insert_executions(engine, rows)
        clock = ManualClock(now)
        data = await ExecutionHealth(engine, ZoneInfo("UTC"), clock)()
    finally:
        await engine.dispose()
    recent = [r for r in rows if r["created_at"] >= now - 900]
    assert data["finished_15m"] == len(recent)
    assert abs(data["error_rate_percent"] - 100 * sum(r["status"] == "FAILED" for r in recent) / len(recent)) < 1e-9
    assert data["last_hour"] == 400 and "throughput_drop_percent" not in data  # no history before the hour


async def test_reports_tables_match_the_migrated_schema(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            def columns(sync):  # type: ignore[no-untyped-def]
                insp = sa_inspect(sync)
                return {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names()}

            found = await conn.run_sync(columns)
    finally:
        await engine.dispose()
    for table in metadata.tables.values():
        assert {c.name for c in table.columns} == found[table.name], table.name
    assert {"scheduler_slot", "scheduler_lease"} <= set(found)


def test_system_probe_read_at_once_still_measures_cpu() -> None:
    """Readings on other threads than the priming one, the first straight after start-up (`chatops say
    "/status"`), show the CPU spent, not 0 % (psutil 7 keeps cpu_percent's previous reading per thread)."""
    import threading

    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(1000))

    worker = threading.Thread(target=spin)
    worker.start()
    try:
        probe = SystemProbe()
        readings: list[dict] = []
        for _ in range(2):  # as the health job reads: on a thread of an executor, not the one that primed
            reader = threading.Thread(target=lambda: readings.append(probe.read()))
            reader.start()
            reader.join()
    finally:
        stop.set()
        worker.join()
    for reading in readings:
        assert reading["process"]["cpu_percent"] > 10
        assert 10 < reading["system"]["cpu_percent"] <= 100
