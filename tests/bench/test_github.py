"""`chatops bench github` runs end to end (short phases) and every acknowledged delivery has its row."""
from __future__ import annotations

import pytest

from bench.github import bench


@pytest.mark.slow
async def test_bench_github_reports_figures_and_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATOPS_BENCH_SECONDS", "0.5")
    monkeypatch.setenv("CHATOPS_BENCH_CONCURRENCY", "8")
    monkeypatch.setenv("CHATOPS_BENCH_BODIES", "0")
    monkeypatch.setenv("CHATOPS_BENCH_ROUNDS", "1")
    result = (await bench(n=400, database_urls=None))["sqlite"]
    hook = result["webhook"]
    assert hook["requests"] > 0 and hook["statuses"] == {202: hook["requests"]}
    assert result["lost"] == 0 and result["execution_rows"] >= hook["requests"]
    assert result["bare"]["throughput_per_s"] > 0 and 0 < result["efficiency_vs_bare"]
    assert {"p50", "p99", "max"} <= set(hook["ack_latency_ms"]) and hook["server_cpu_ms_per_request"] > 0
    assert "uvicorn" in result["server_stack"] and result["group_commit"]["flushes"] >= 1
