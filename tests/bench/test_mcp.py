"""`chatops bench mcp` runs to the end with no failed call (figures are checked by eye in docs)."""
from __future__ import annotations

from bench.mcp import bench


async def test_bench_runs_every_part_without_errors() -> None:
    result = await bench(n=20, database_urls=None)
    assert result["in_process_overhead_ms"]["errors"] == 0 and result["in_process_overhead_ms"]["calls"] == 20
    assert result["stdio_round_trip_ms"]["errors"] == 0 and result["stdio_round_trip_ms"]["p50"] > 0
    burst = result["concurrent_100"]
    assert burst["calls"] == 100 and burst["errors"] == 0 and len(burst["providers"]) == 3
