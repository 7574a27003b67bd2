"""`chatops bench mcp`: what the hub adds to a tool call, a stdio round trip, and a burst of concurrent
calls across providers.

- in-process overhead: hub.call_tool() of a no-op tool on an in-process MCP server (validation, MCP
  dispatch in memory, result shaping) — the cost the hub adds to every built-in call;
- stdio round trip: hub.call_tool() of mcp-server-time's get_current_time over stdio (the bot's own db
  provider served by `python -m bot mcp serve db` when mcp-server-time is not installed);
- burst: 100 concurrent calls spread over the no-op, db (SQLite) and stdio servers.
"""
from __future__ import annotations

import asyncio
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from providers import READ_ONLY, Builtin, Hub, McpConfig, MCPSettings, ServerConfig, build_database, new_server


def _echo(settings: MCPSettings, config: McpConfig) -> Builtin:
    server = new_server("echo", "Returns its input.")

    @server.tool(name="echo.ping", annotations=READ_ONLY, description="Return the message.")
    async def ping(message: str) -> dict[str, str]:
        return {"message": message}

    return Builtin("echo", server, frozenset({"echo.ping"}))


def _pcts(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {"p50": round(statistics.median(s), 3), "p90": round(s[int(len(s) * 0.9) - 1], 3),
            "p99": round(s[max(0, int(len(s) * 0.99) - 1)], 3), "max": round(s[-1], 3)}


async def _timed(hub: Hub, tool: str, args: dict[str, Any], n: int, budget_s: float) -> tuple[list[float], int]:
    samples, errors = [], 0
    deadline = time.monotonic() + budget_s
    for _ in range(n):
        t0 = time.perf_counter()
        r = await hub.call_tool(tool, args)
        samples.append((time.perf_counter() - t0) * 1000)
        errors += not r.ok
        if time.monotonic() > deadline:
            break
    return samples, errors


async def bench(n: int | None, database_urls: list[str] | None) -> dict[str, Any]:
    n = n or 300
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        with sqlite3.connect(db) as c:
            c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            c.executemany("INSERT INTO t (v) VALUES (?)", [(f"v{i}",) for i in range(100)])
        db_url = f"sqlite:///{db}"
        time_server = shutil.which("mcp-server-time", path=str(Path(sys.executable).parent)) or shutil.which("mcp-server-time")
        if time_server:
            stdio = ServerConfig(name="time", command=time_server, read_only=True)
            stdio_tool, stdio_args = "time.get_current_time", {"timezone": "UTC"}
        else:
            stdio = ServerConfig(name="dbx", command=sys.executable, args=["-m", "bot", "mcp", "serve", "db"],
                                 env={"MCP_DB_URL": db_url}, read_only=True)
            stdio_tool, stdio_args = "dbx.db.query", {"sql": "SELECT 1"}
        settings = MCPSettings(_env_file=None, mcp_db_url=db_url, mcp_timeout=30)
        async with Hub(settings, factories=[_echo, build_database], config=McpConfig(servers=[stdio])) as hub:
            down = [s.name for s in hub.states() if s.state != "up"]
            if down:
                return {"error": f"servers not up: {down}"}
            for tool, args in (("echo.ping", {"message": "x"}), ("db.query", {"sql": "SELECT 1"}), (stdio_tool, stdio_args)):
                await _timed(hub, tool, args, 20, 10)  # warm-up
            inproc, e1 = await _timed(hub, "echo.ping", {"message": "hello"}, n, 30)
            dbq, e2 = await _timed(hub, "db.query", {"sql": "SELECT id, v FROM t WHERE id < 10"}, n, 30)
            rt, e3 = await _timed(hub, stdio_tool, stdio_args, max(50, n // 3), 60)

            calls = [("echo.ping", {"message": str(i)}) if i % 3 == 0 else
                     ("db.query", {"sql": f"SELECT v FROM t WHERE id = {i}"}) if i % 3 == 1 else (stdio_tool, stdio_args)
                     for i in range(100)]
            t0 = time.perf_counter()
            results = await asyncio.wait_for(asyncio.gather(*(hub.call_tool(t, a) for t, a in calls)), timeout=60)
            burst_ms = (time.perf_counter() - t0) * 1000
    failed = [r for r in results if not r.ok]
    return {
        "in_process_overhead_ms": {**_pcts(inproc), "calls": len(inproc), "errors": e1, "tool": "echo.ping (no-op)"},
        "in_process_db_query_ms": {**_pcts(dbq), "calls": len(dbq), "errors": e2, "backend": "sqlite"},
        "stdio_round_trip_ms": {**_pcts(rt), "calls": len(rt), "errors": e3, "tool": stdio_tool},
        "concurrent_100": {
            "calls": len(results), "errors": len(failed), "wall_ms": round(burst_ms, 1),
            "providers": sorted({r.provider for r in results}),
            "success_rate": round((len(results) - len(failed)) / len(results), 4),
            "first_error": failed[0].error_message if failed else None,
        },
        "targets": {"in_process_p50_ms": 2, "stdio_p50_ms": 10},
    }
