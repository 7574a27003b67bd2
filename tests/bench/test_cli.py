"""`chatops bench` as installed: the CLI finds the top-level `bench` package from any directory."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def chatops_bench(*args: str) -> subprocess.CompletedProcess[str]:
    # the working directory is the test's tmp_path (tests/conftest.py): `bench` comes from the installation
    return subprocess.run([sys.executable, "-m", "bot", "bench", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MPLBACKEND": "Agg"})


def test_bench_report_prints_one_json_object_with_its_figures() -> None:
    out = chatops_bench("report", "--n", "300", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert {k: result[k] for k in ("executions", "charts", "runs")} == {"executions": 300, "charts": 4, "runs": 5}
    sqlite = result["sqlite"]
    assert set(sqlite) == {"report_24h_end_to_end_s", "setup_s", "report_end_to_end_s", "aggregation_only_s",
                           "charts_in_reply", "png_bytes_total"}
    assert sqlite["charts_in_reply"] == 4 and sqlite["png_bytes_total"] > 0 and sqlite["setup_s"] > 0


def test_an_unknown_bench_exits_2_naming_the_known_ones() -> None:
    out = chatops_bench("nope")
    assert out.returncode == 2 and out.stdout == ""
    assert "unknown benchmark 'nope'; known: github, health, mcp, pool, report, slack, spine" in out.stderr
