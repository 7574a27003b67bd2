"""`chatops bench pool`: the LLM pool against a raw aiohttp client, on one fake LLM in another process.

The fake answers after a fixed 100 ms. At each concurrency (10, 50, 200; pool size to match) the raw
client and the pool each send `n` requests, in alternating rounds (raw then pool, pool then raw, …) so a
change in the machine's load hits both alike; efficiency and overhead are taken over all n requests of each
side (per-round medians are reported beside them). Then two deployments, one failing 30 % with 500s, for the
success rate; then the idle RSS of a process holding a pool of four deployments (one per dialect); then
the pool's own overhead around an in-memory client (`pool_own_overhead_us`), which no network or
neighbour's load blurs.
Every loop is bounded by count and by time.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp

from pool import ChatClient, Completion, Deployment, LLMPool, Message, PoolConfig, StreamEvent, make_client

LATENCY = 0.1
CONCURRENCY = (10, 50, 200)
RUN_LIMIT_S = 120.0
ROUNDS = 4  # raw and pool alternate, n / ROUNDS requests each per round
MESSAGES = [Message("system", "You are terse."), Message("user", "What is a lease in a job queue?")]


def _cpu_split() -> tuple[set[int], set[int]] | None:
    """(fake's CPUs, bench's CPUs): on a multi-core Linux box the fake gets the last CPU to itself, so at
    saturation the two clients are compared on their own speed, not on how much CPU they take from the
    server. None where affinity is not available (the figures are then noisier at concurrency 200)."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    return ({cpus[-1]}, set(cpus[:-1])) if len(cpus) >= 2 else None


@contextlib.asynccontextmanager
async def fake_process(*extra: str, cpus: set[int] | None = None) -> AsyncIterator[str]:
    """`python -m pool.fake` in its own process; yields its OpenAI base URL."""
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pool.fake", "--latency", str(LATENCY), *extra, stdout=asyncio.subprocess.PIPE,
        preexec_fn=pin,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        yield line.decode().strip()
    finally:
        proc.terminate()
        await proc.wait()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def _drive(call: Callable[[], Awaitable[bool]], concurrency: int, n: int) -> dict[str, Any]:
    """Run `n` calls with `concurrency` workers; wall time, process CPU, latencies, successes."""
    latencies: list[float] = []
    ok = 0
    left = n

    async def worker() -> None:
        nonlocal left, ok
        while left > 0:
            left -= 1
            t0 = time.perf_counter()
            good = await call()
            latencies.append((time.perf_counter() - t0) * 1000)
            ok += good

    cpu0, t0 = time.process_time(), time.perf_counter()
    async with asyncio.timeout(RUN_LIMIT_S):
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"n": len(latencies), "wall": wall, "cpu": cpu, "latencies": latencies, "ok": ok}


def _raw_caller(session: aiohttp.ClientSession, url: str) -> Callable[[], Awaitable[bool]]:
    body = {"model": "fake-model", "messages": [{"role": m.role, "content": m.content} for m in MESSAGES], "max_tokens": 256}

    async def call() -> bool:
        async with session.post(url, data=json.dumps(body), headers={"Content-Type": "application/json"}) as resp:
            data = json.loads(await resp.read())
        return bool(data["choices"][0]["message"]["content"])

    return call


def _pool(deployments: list[Deployment], size: int) -> LLMPool:
    clients: dict[str, ChatClient] = {d.name: make_client(d, max_tokens=256) for d in deployments}
    config = PoolConfig(tuple(deployments), {"default": tuple(d.name for d in deployments)})
    return LLMPool(config, clients, size=size, queue=size, deadline=30, retries=2, max_tokens=256)


def _pool_caller(pool: LLMPool) -> Callable[[], Awaitable[bool]]:
    async def call() -> bool:
        try:
            return bool((await pool.complete(MESSAGES)).text)
        except Exception:
            return False

    return call


def _merge(runs: list[dict[str, Any]]) -> dict[str, Any]:
    n = sum(r["n"] for r in runs)
    wall = sum(r["wall"] for r in runs)
    lat = [x for r in runs for x in r["latencies"]]
    return {
        "requests": n,
        "throughput_per_s": round(n / wall, 1),
        "latency_ms": {"p50": round(_pct(lat, 0.5), 2), "p99": round(_pct(lat, 0.99), 2)},
        "cpu_ms_per_request": round(sum(r["cpu"] for r in runs) * 1000 / n, 3),
        "success_rate": round(sum(r["ok"] for r in runs) / n, 4),
        "_lat": lat,
    }


async def compare(url: str, concurrency: int, n: int) -> dict[str, Any]:
    dep = Deployment("fake", "openai", "fake-model", url, None, max_concurrency=concurrency, timeout=30)
    pool = _pool([dep], concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    raw_runs, pool_runs = [], []
    async with aiohttp.ClientSession(connector=connector) as session:
        raw_call, pool_call = _raw_caller(session, url + "/chat/completions"), _pool_caller(pool)
        # warm both: connections opened, code paths imported
        await _drive(raw_call, concurrency, concurrency)
        await _drive(pool_call, concurrency, concurrency)
        part = max(concurrency, n // ROUNDS)
        for i in range(ROUNDS):  # who goes first alternates: no side always meets a server fresh from a burst
            if i % 2:
                pool_runs.append(await _drive(pool_call, concurrency, part))
                raw_runs.append(await _drive(raw_call, concurrency, part))
            else:
                raw_runs.append(await _drive(raw_call, concurrency, part))
                pool_runs.append(await _drive(pool_call, concurrency, part))
    await pool.aclose()
    raw, pooled = _merge(raw_runs), _merge(pool_runs)
    raw_lat, pool_lat = raw.pop("_lat"), pooled.pop("_lat")
    pairs = list(zip(raw_runs, pool_runs, strict=True))  # each round appends one run to each side
    # the definitions: over all n requests of each side; the per-round medians show how much noise moved them
    ratio = statistics.median((p["n"] / p["wall"]) / (r["n"] / r["wall"]) for r, p in pairs)
    d50 = statistics.median(_pct(p["latencies"], 0.5) - _pct(r["latencies"], 0.5) for r, p in pairs)
    return {
        "concurrency": concurrency,
        "pool_size": concurrency,
        "rounds": ROUNDS,
        "raw": raw,
        "pool": pooled,
        "efficiency": round(pooled["throughput_per_s"] / raw["throughput_per_s"], 3),
        "overhead_ms": {
            "p50": round(_pct(pool_lat, 0.5) - _pct(raw_lat, 0.5), 2),
            "p99": round(_pct(pool_lat, 0.99) - _pct(raw_lat, 0.99), 2),
        },
        "per_round_median": {"efficiency": round(ratio, 3), "overhead_ms_p50": round(d50, 2)},
        "cpu_ratio_pool_to_raw": round(pooled["cpu_ms_per_request"] / raw["cpu_ms_per_request"], 2),
        "ideal_fraction": round(pooled["throughput_per_s"] / (concurrency / LATENCY), 3),
    }


async def failing_pair(good_url: str, bad_url: str, n: int, concurrency: int = 50) -> dict[str, Any]:
    deps = [
        Deployment("flaky", "openai", "fake-model", bad_url, None, max_concurrency=concurrency, timeout=30),
        Deployment("steady", "openai", "fake-model", good_url, None, max_concurrency=concurrency, timeout=30),
    ]
    pool = _pool(deps, concurrency)
    run = await _drive(_pool_caller(pool), concurrency, n)
    status = pool.status()
    await pool.aclose()
    return {
        "requests": run["n"],
        "concurrency": concurrency,
        "success_rate": round(run["ok"] / run["n"], 4),
        "throughput_per_s": round(run["n"] / run["wall"], 1),
        "flaky_error_rate_last_500": round(status.deployments[0].error_rate, 3),
        "flaky_breaker": status.deployments[0].state,
    }


class _Instant:
    """A ChatClient that answers at once from memory: what is left of a request's time is the pool's own."""

    name = "instant"

    async def complete(self, messages: Any, **kw: Any) -> Completion:
        return Completion("ok", "instant", "gpt-4o-mini", 12, 3, 0.0)

    async def stream(self, messages: Any, **kw: Any) -> AsyncGenerator[StreamEvent, None]:
        yield await self.complete(messages)  # not measured: a ChatClient streams too

    async def aclose(self) -> None:
        return None


async def own_overhead(n: int = 20000) -> dict[str, float]:
    """The pool's own latency per request (µs), free of network and machine noise: the pool around an
    instant client, minus the instant client alone, at p50 and p99, one request at a time."""
    dep = Deployment("instant", "openai", "gpt-4o-mini", None, None, max_concurrency=10)
    pool = LLMPool(PoolConfig((dep,), {"default": ("instant",)}), {"instant": _Instant()}, size=10)
    client = _Instant()

    async def timed(call: Callable[[], Awaitable[Any]]) -> list[float]:
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            await call()
            out.append((time.perf_counter() - t0) * 1e6)
        return out

    async with asyncio.timeout(RUN_LIMIT_S):
        base = await timed(lambda: client.complete(MESSAGES))
        pooled = await timed(lambda: pool.complete(MESSAGES))
    return {
        "p50": round(_pct(pooled, 0.5) - _pct(base, 0.5), 1),
        "p99": round(_pct(pooled, 0.99) - _pct(base, 0.99), 1),
        "requests": n,
    }


_IDLE_SCRIPT = """
import asyncio, json, sys, psutil
from pool import Completion, Deployment, LLMPool, Message, PoolConfig, make_client
url, root = sys.argv[1], sys.argv[2]
deps = [Deployment("openai", "openai", "m", url), Deployment("anthropic", "anthropic", "m", root),
        Deployment("gemini", "gemini", "m", root), Deployment("ollama", "ollama", "m", root)]
async def main():
    before = psutil.Process().memory_info().rss
    pool = LLMPool(PoolConfig(tuple(deps), {d.name: (d.name,) for d in deps}),
                   {d.name: make_client(d) for d in deps}, size=5)
    for d in deps:  # one request each, so every shared session and connection exists
        await pool.complete([Message("user", "hi")], model=d.name)
    await asyncio.sleep(0.2)
    print(json.dumps({"rss_mb": psutil.Process().memory_info().rss / 2**20, "imports_mb": before / 2**20}))
    await pool.aclose()
asyncio.run(main())
"""


async def idle_rss(url: str) -> dict[str, float]:
    root = url.rsplit("/v1", 1)[0]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _IDLE_SCRIPT, url, root, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    data = json.loads(out.decode().strip().splitlines()[-1])
    return {"rss_mb": round(data["rss_mb"], 1), "rss_before_pool_mb": round(data["imports_mb"], 1)}


async def bench(n: int | None, database_urls: list[str] | None) -> dict[str, Any]:
    n = n or 2000
    result: dict[str, Any] = {"requests_per_run": n, "fake_latency_ms": LATENCY * 1000}
    split = _cpu_split()
    mine = os.sched_getaffinity(0) if split else None
    result["cpu_pinning"] = {"fake": sorted(split[0]), "bench": sorted(split[1])} if split else None
    try:
        if split:
            os.sched_setaffinity(0, split[1])
        async with fake_process(cpus=split[0] if split else None) as url:
            for c in CONCURRENCY:
                result[f"concurrency_{c}"] = await compare(url, c, n)
            result["idle_rss_4_deployments"] = await idle_rss(url)
            async with fake_process("--fail-rate", "0.3") as bad_url:
                result["two_deployments_one_failing_30pct"] = await failing_pair(url, bad_url, n)
    finally:
        if mine:
            os.sched_setaffinity(0, mine)
    worst = [result[f"concurrency_{c}"] for c in CONCURRENCY]
    result["efficiency"] = min(r["efficiency"] for r in worst)
    result["overhead_ms"] = {
        "p50": max(r["overhead_ms"]["p50"] for r in worst), "p99": max(r["overhead_ms"]["p99"] for r in worst)
    }
    result["cpu_ms_per_request"] = {
        "pool": max(r["pool"]["cpu_ms_per_request"] for r in worst), "raw": max(r["raw"]["cpu_ms_per_request"] for r in worst)
    }
    result["success_rate"] = result["two_deployments_one_failing_30pct"]["success_rate"]
    result["pool_own_overhead_us"] = await own_overhead()
    return result
