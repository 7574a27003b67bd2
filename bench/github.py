"""`chatops bench github --json`: signed `pull_request.opened` deliveries against the bot's HTTP app.

The server is the real app (`open_bot` + `build_http_app` + the GitHub routes) on uvicorn, 127.0.0.1, in
a child process so that its CPU is measured alone. The same server also serves a bare endpoint (reads
the body, answers 202) that sets the ceiling in the same run. The load generator keeps 50 keep-alive
HTTP/1.1 connections busy with pre-built requests (raw asyncio streams: a few µs of client CPU each, so
the client is not what limits the figures) for a fixed time per phase, bounded in count too. Afterwards
every acknowledged delivery id is looked up in the database: `lost` counts acks without a row.

Environment knobs: CHATOPS_BENCH_SECONDS (default 10 per phase), CHATOPS_BENCH_CONCURRENCY (50),
CHATOPS_BENCH_ROUNDS (3 alternated bare/webhook rounds; the median round is reported first),
CHATOPS_BENCH_BODIES=0 skips the second run with GITHUB_KEEP_BODIES=true, CHATOPS_BENCH_BODY=<file> sends
another pull_request.opened body instead of the 28 KB fixture.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SECRET = "bench-secret-not-real"
_FIXTURE = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "github" / "pull_request.opened.json"


def payload() -> bytes:
    if os.environ.get("CHATOPS_BENCH_BODY"):  # another pull_request.opened body (e.g. a smaller PR's)
        return Path(os.environ["CHATOPS_BENCH_BODY"]).read_bytes()
    if _FIXTURE.exists():
        return _FIXTURE.read_bytes()
    # a synthetic body of the same shape and size when the shared fixtures are not beside the repo
    pr = {"number": 2, "draft": False, "title": "Update the README", "body": "x" * 2000, "head": {"sha": "ec26c3e5" * 5},
          "html_url": "https://github.com/Codertocat/Hello-World/pull/2", "padding": ["y" * 100] * 240}
    return json.dumps({"action": "opened", "number": 2, "pull_request": pr, "installation": {"id": 1},
                       "repository": {"full_name": "Codertocat/Hello-World"}, "sender": {"login": "Codertocat"}}).encode()


# -- the server (child process) --------------------------------------------------------------------------
async def _serve(db_url: str, keep_bodies: bool) -> None:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from bench.slack import UNREFUSING
    from bot.app import open_bot
    from bot.http import build_http_app
    from bot.server import HttpServer
    from bot.settings import load_settings

    settings = load_settings(None, core={"database_url": db_url, "log_level": "WARNING", "rate_limits": UNREFUSING},
                             github={"github_webhook_secret": SECRET}, github_bot={"github_keep_bodies": keep_bodies})

    async def bare(request: Request) -> Response:
        await request.body()
        return Response(b'{"outcome":"bare"}', status_code=202, media_type="application/json")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with open_bot(settings, receive=True) as bot:
        app = build_http_app(bot, [*bot.routes, Route("/bench/bare", bare, methods=["POST"])])
        from bot.heap import freeze_startup_heap

        freeze_startup_heap()  # as `chatops web` does once assembled
        async with HttpServer(app, "127.0.0.1", 0, log_level="warning") as server:
            print(server.port, flush=True)
            await stop.wait()
        flushes, items = bot.store.delivery_batches
        print(json.dumps({"flushes": flushes, "items": items}), flush=True)


# -- the load generator -----------------------------------------------------------------------------------
def _request(path: str, body: bytes, signature: str, delivery: str) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nX-GitHub-Event: pull_request\r\nX-GitHub-Delivery: {delivery}\r\n"
            f"X-Hub-Signature-256: {signature}\r\nUser-Agent: GitHub-Hookshot/bench\r\n\r\n")
    return head.encode() + body


def _unique(body: bytes, delivery: str) -> tuple[bytes, str, str]:
    """The body with the delivery id inside it, its signature and its SHA-256: the webhook dedupes on the
    body's digest (GitHub's delivery id is not signed), so each benchmark delivery must differ."""
    own = body.rstrip()[:-1] + b',"bench_delivery":"' + delivery.encode() + b'"}'
    return own, "sha256=" + hmac.new(SECRET.encode(), own, hashlib.sha256).hexdigest(), hashlib.sha256(own).hexdigest()


async def _connection(port: int, path: str, body: bytes, deadline: float, budget: list[int],
                      latencies: list[float], acked: list[str], statuses: dict[int, int], prefix: str) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        n = 0
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            n += 1
            delivery = f"{prefix}-{n}"
            own, signature, digest = _unique(body, delivery)
            t0 = time.perf_counter()
            writer.write(_request(path, own, signature, delivery))
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 202:
                acked.append(digest)  # deliveries are stored under the body's digest
    finally:
        writer.close()


def _cpu(pid: int) -> float:
    import psutil

    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


async def _phase(
    pid: int, port: int, path: str, body: bytes, seconds: float, concurrency: int, cap: int, tag: str
) -> dict[str, Any]:
    tag = f"{tag}-{os.urandom(3).hex()}"  # delivery ids unique across runs on one database
    latencies: list[float] = []
    acked: list[str] = []
    statuses: dict[int, int] = {}
    budget = [cap]
    cpu0, t0 = _cpu(pid), time.perf_counter()
    deadline = t0 + seconds
    await asyncio.wait_for(asyncio.gather(*(
        _connection(port, path, body, deadline, budget, latencies, acked, statuses, f"{tag}-{i}")
        for i in range(concurrency)
    )), timeout=seconds + 30)
    elapsed, cpu = time.perf_counter() - t0, _cpu(pid) - cpu0
    lat = sorted(latencies)
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0] if lat else 0.0] * 99
    return {
        "requests": len(lat), "throughput_per_s": round(len(lat) / elapsed, 1), "statuses": statuses,
        "ack_latency_ms": {
            "p50": round(q[49] * 1000, 2), "p99": round(q[98] * 1000, 2), "max": round(lat[-1] * 1000, 2) if lat else 0,
        },
        "server_cpu_ms_per_request": round(cpu * 1000 / max(1, len(lat)), 3), "acked": acked,
    }


async def _lost(db_url: str, acked: list[str]) -> tuple[int, int]:
    from bot.storage.engine import create_engine
    from bot.storage.reads import count_of_kind, stored_delivery_ids

    engine = create_engine(db_url)
    try:
        found = await stored_delivery_ids(engine, acked)
        return len(set(acked) - found), await count_of_kind(engine, "github-review")
    finally:
        await engine.dispose()


async def _one(db_url: str, n: int | None, keep_bodies: bool = False) -> dict[str, Any]:
    import httptools  # noqa: F401  (stated in the result: uvicorn picks httptools when it is installed)
    import starlette
    import uvicorn

    seconds = float(os.environ.get("CHATOPS_BENCH_SECONDS", "10"))
    concurrency = int(os.environ.get("CHATOPS_BENCH_CONCURRENCY", "50"))
    rounds_wanted = int(os.environ.get("CHATOPS_BENCH_ROUNDS", "3"))
    cap = n or 200_000
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.github", "--serve", db_url, "bodies" if keep_bodies else "no-bodies",
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        port = int((await asyncio.wait_for(proc.stdout.readline(), timeout=60)).strip())
        body = payload()
        # JIT-free warm-up: imports, caches
        await _phase(proc.pid, port, "/github/webhook", body, min(1.0, seconds), concurrency, 2000, "warm")
        rounds = []
        for _ in range(rounds_wanted):  # alternated, so that a drift in the machine's load hits both alike
            bare = await _phase(proc.pid, port, "/bench/bare", body, seconds, concurrency, cap, "bare")
            hook = await _phase(proc.pid, port, "/github/webhook", body, seconds, concurrency, cap, "hook")
            rounds.append((bare, hook, round(hook["throughput_per_s"] / max(1e-9, bare["throughput_per_s"]), 3)))
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        tail = await asyncio.wait_for(proc.stdout.read(), timeout=30)
        await proc.wait()
    batches = json.loads(tail.decode().strip().splitlines()[-1]) if tail.strip() else {}
    lost, rows = await _lost(db_url, [d for _, h, _ in rounds for d in h["acked"]])
    for b, h, _ in rounds:
        b.pop("acked")
        h.pop("acked")
    bare, hook, efficiency = sorted(rounds, key=lambda r: r[2])[len(rounds) // 2]  # the median round
    loop = "uvloop" if os.environ.get("CHATOPS_BENCH_LOOP") == "uvloop" else "asyncio"
    return {
        "server_stack": f"uvicorn {uvicorn.__version__} (httptools, {loop} loop, 1 process) + Starlette {starlette.__version__}",
        "raw_bodies_kept": keep_bodies,
        "body_bytes": len(body), "concurrency": concurrency, "seconds_per_phase": seconds,
        "bare": bare, "webhook": hook, "efficiency_vs_bare": efficiency,
        "rounds": [{"bare": b, "webhook": h, "efficiency_vs_bare": e} for b, h, e in rounds],
        "lost": lost, "execution_rows": rows,
        "group_commit": {
            "flushes": batches.get("flushes"),
            "deliveries_per_flush": round(batches["items"] / batches["flushes"], 1) if batches.get("flushes") else None,
        },
    }


async def bench(n: int | None, database_urls: list[str] | None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        urls = database_urls or [f"sqlite:///{tmp}/bench-github.db"]
        for url in urls:
            from bot.storage.engine import backend_name, create_engine

            engine = create_engine(url)
            name = backend_name(engine)
            await engine.dispose()
            results[name] = await _one(url, n, keep_bodies=False)  # the default (GITHUB_KEEP_BODIES=false)
            if os.environ.get("CHATOPS_BENCH_BODIES", "1") == "1":  # the same run with GITHUB_KEEP_BODIES=true
                bodies_url = url.replace(".db", "-b.db") if name == "sqlite" else url
                results[f"{name}_with_bodies"] = await _one(bodies_url, n, keep_bodies=True)
    return results


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--serve":
    # the same loop as `chatops run` (asyncio) unless CHATOPS_BENCH_LOOP=uvloop asks for uvloop
    runner = asyncio.run
    if os.environ.get("CHATOPS_BENCH_LOOP") == "uvloop":
        import uvloop

        runner = uvloop.run
    if os.environ.get("CHATOPS_BENCH_SWITCH"):
        sys.setswitchinterval(float(os.environ["CHATOPS_BENCH_SWITCH"]))
    runner(_serve(sys.argv[2], sys.argv[3] == "bodies"))
