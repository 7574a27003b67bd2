"""`chatops bench spine`: no-op executions through enqueue → claim → run → complete → deliver.

Producers submit events through the same intake chat adapters use (one committed row each) while
one worker (in this process) claims, runs `/noop`, delivers to the console adapter (into /dev/null) and
completes them. Also times `chatops say "/help"` as a fresh process, the one-shot path operators script.
"""
from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import scratch_database
from bench.util import commit, percentiles
from bot.adapters.console import ConsoleOutbound
from bot.app import open_bot
from bot.settings import load_settings
from bot.storage.reads import timings
from commands.model import Conversation, Event

TIME_LIMIT_S = 120.0


async def _one_database(url: str, n: int, data_dir: Path) -> dict[str, Any]:
    settings = load_settings(
        env_file=None,
        core={"database_url": url, "data_dir": data_dir, "worker_concurrency": 32, "poll_interval": 0.05},
    )
    with open(os.devnull, "w") as devnull:
        async with open_bot(settings, outbounds=[ConsoleOutbound(data_dir, out=devnull)]) as bot:
            stop = asyncio.Event()
            worker = bot.worker()
            task = asyncio.create_task(worker.run(stop))
            event = Event(source="console", user="bench", conversation=Conversation("console", "bench"), text="/noop")
            producers = 8
            started = time.perf_counter()
            deadline = started + TIME_LIMIT_S

            async def produce(count: int) -> None:
                for _ in range(count):
                    if time.perf_counter() > deadline:
                        return
                    await bot.intake.submit(event)

            await asyncio.gather(*(produce(n // producers) for _ in range(producers)))
            submitted = (n // producers) * producers
            while worker.finished < submitted and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - started
            stop.set()
            await task
            rows = await timings(bot.store.engine)
    done = [r for r in rows if r.status == "COMPLETED"]
    latencies = [(r.finished_at - r.created_at) * 1000 for r in done if r.finished_at is not None]
    return {
        "executions": submitted,
        "completed": len(done),
        "seconds": round(elapsed, 3),
        "throughput_per_s": round(len(done) / elapsed, 1),
        "latency_ms": percentiles(latencies),
    }


def _say_help_wall_s(data_dir: Path, runs: int = 5) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "say", "/help"], cwd=data_dir, env=env, check=True,
            stdout=subprocess.DEVNULL, timeout=60,
        )
        times.append(time.perf_counter() - t0)
    return {"p50": round(statistics.median(times), 3), "max": round(max(times), 3)}


async def bench(n: int | None, database_urls: list[str] | None) -> dict[str, Any]:
    n = n or 2000
    result: dict[str, Any] = {
        "bench": "spine",
        "commit": commit(),
        "worker_processes": 1,
        "worker_concurrency": 32,
        "load_average_1m_before": round(os.getloadavg()[0], 2),
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        urls = list(database_urls or [])
        if not urls:
            urls.append(f"sqlite:///{tmpdir / 'bench.db'}")
            if os.environ.get("TEST_DATABASE_URL"):
                urls.append(os.environ["TEST_DATABASE_URL"])
        for url in urls:
            key = "postgresql" if url.startswith("postgres") else "sqlite"
            async with scratch_database(url) as scratch:  # a fresh database: the bench never empties yours
                result[key] = await _one_database(scratch, n, tmpdir / "data")
        result["say_help_wall_s"] = await asyncio.to_thread(_say_help_wall_s, tmpdir)
    return result
