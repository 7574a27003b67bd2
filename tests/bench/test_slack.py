"""`chatops bench slack` end to end, bounded to a few hundred requests: every ack has its Execution."""
from __future__ import annotations

import pytest

from bench.slack import bench

pytestmark = pytest.mark.slow


async def test_bench_counts_every_acknowledged_command_as_stored(db_url: str) -> None:
    result = await bench(n=300, database_urls=[db_url])
    [backend] = [k for k in result if k in ("sqlite", "postgresql")]
    run = result[backend]
    assert run["rounds"] and all(r["bot"]["acked_200"] == r["bot"]["requests"] == 300 for r in run["rounds"])
    assert all(r["ack_only_bolt"]["acked_200"] == 300 for r in run["rounds"])
    assert all(r["bot_without_gate"]["acked_200"] == 300 for r in run["rounds"])
    # both bots store: the gated one and the one without the gate that measures the gate's cost
    assert run["executions_stored"] == 2 * 300 * len(run["rounds"]) and run["acked_without_execution"] == 0
    assert set(run["gate_cost"]) == {"throughput_median", "cpu_ms_per_request_median", "ack_p50_ms_median"}
    assert run["bot"]["ack_latency_ms"]["p50"] <= run["bot"]["ack_latency_ms"]["p99"]
    assert 0 < run["efficiency_vs_ack_only"]
