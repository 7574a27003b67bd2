"""`chatops bench slack`: signed slash commands against the bot's own HTTP app vs an ack-only Bolt app.

Both apps are served by uvicorn on 127.0.0.1 in this process, with the same Bolt version, signing
secret and Web API stand-in (Bolt's lazy auth.test). They are loaded in turn, `ROUNDS` times each
(CHATOPS_BENCH_ROUNDS, default 5: a 2-core machine drifts by ±20 % between 10-second runs), and the
round with the median efficiency is reported first; every round is listed. The load generator runs in a
separate process (aiohttp, `CONCURRENCY` requests in flight for `SECONDS`, bounded by `n`), so the
server's CPU is not shared with it. A third app, the same bot without the permission gate, is loaded
in the same rounds: `gate_cost` is what the gate takes from the acknowledgement path. After the runs the
Execution rows are counted: every command acknowledged with 200 must have its row
(`acked_without_execution` must be 0).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from typing import Any

CONCURRENCY = 50
SECONDS = 10.0
ROUNDS = int(os.environ.get("CHATOPS_BENCH_ROUNDS", "5"))
SECRET = "bench-signing-secret"
UNREFUSING = "user=1000000000/60s,channel=1000000000/60s,github=1000000000/60s"


@contextlib.asynccontextmanager
async def web_api() -> AsyncIterator[str]:
    """A minimal Slack Web API stand-in: Bolt calls auth.test once before the first listener runs."""
    from aiohttp import web

    async def api(request: web.Request) -> web.Response:
        if request.match_info["method"] == "users.info":  # the gate asks once per person and TTL: a member
            return web.json_response({"ok": True, "user": {"id": "UBENCH", "team_id": "TBENCH", "is_restricted": False}})
        return web.json_response({"ok": True, "user_id": "UBENCH", "bot_id": "BBENCH", "team_id": "TBENCH", "ts": "1.0"})

    app = web.Application()
    app.router.add_post("/api/{method}", api)
    app.router.add_get("/api/{method}", api)  # slack_sdk sends users.info as GET
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/api/"
    finally:
        await runner.cleanup()


def ack_only_app(api_url: str) -> Any:
    from slack_bolt.async_app import AsyncApp
    from starlette.applications import Starlette

    from bot.adapters.slack.http import slack_route
    from bot.adapters.slack.outbound import web_client

    app = AsyncApp(client=web_client("xoxb-bench", api_url), signing_secret=SECRET, process_before_response=True)

    @app.command(re.compile(r"^/.+"))
    async def ack_only(ack: Any) -> None:
        await ack()

    return Starlette(routes=[slack_route(app)])


async def load(url: str, n: int, seconds: float, concurrency: int, run_id: str) -> dict[str, Any]:
    """Run the load generator process and return its JSON result."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.slack", "--load", url, str(n), str(seconds), str(concurrency), run_id,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=seconds + 60)
    return json.loads(out)


async def measured_load(url: str, n: int, seconds: float, run_id: str) -> dict[str, Any]:
    """The load run plus this (server) process's CPU time over it, per acknowledged request."""
    cpu = time.process_time()
    result = await load(url, n, seconds, CONCURRENCY, run_id)
    result["server_cpu_ms_per_request"] = (time.process_time() - cpu) * 1000 / max(result["ok"], 1)
    return result


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    lat = sorted(result["latencies_ms"])
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [lat[0] if lat else 0.0] * 99
    return {
        "requests": result["sent"], "acked_200": result["ok"], "errors": result["sent"] - result["ok"],
        "throughput_per_s": round(result["ok"] / result["elapsed_s"], 1),
        "ack_latency_ms": {"p50": round(q[49], 2), "p99": round(q[98], 2), "max": round(lat[-1], 2) if lat else 0.0},
        "server_cpu_ms_per_request": round(result["server_cpu_ms_per_request"], 3),
    }


async def _run_one(database_url: str, n: int, seconds: float) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    from bot.app import open_bot
    from bot.heap import freeze_startup_heap
    from bot.http import build_http_app
    from bot.server import HttpServer
    from bot.settings import load_settings
    from bot.storage.bulk import delete_with_text_prefix
    from bot.storage.reads import texts_starting_with

    async with web_api() as api_url:
        settings = load_settings(
            env_file=None,
            # one benchmark user sends thousands a second: limits that count every request but never refuse
            core={"database_url": database_url, "rate_limits": UNREFUSING},
            slack={"slack_bot_token": "xoxb-bench", "slack_signing_secret": SECRET, "slack_api_url": api_url},
        )
        # the same bot without the permission gate, to state what the gate costs (issue 13: < 5 %)
        async with open_bot(settings, receive=True) as bot, open_bot(settings, receive=True, gate=False) as ungated:
            baseline_app, bot_app, ungated_app = ack_only_app(api_url), build_http_app(bot), build_http_app(ungated)
            freeze_startup_heap()  # all apps run on a frozen start-up heap, as `chatops run` does
            async with (
                HttpServer(baseline_app, "127.0.0.1", 0) as base_server,
                HttpServer(bot_app, "127.0.0.1", 0) as bot_server,
                HttpServer(ungated_app, "127.0.0.1", 0) as ungated_server,
            ):
                rounds, acked = [], set()
                for r in range(ROUNDS):  # alternated, so that a drift in the machine's load hits all alike
                    base_url = f"http://127.0.0.1:{base_server.port}/slack/events"
                    baseline = _summary(await measured_load(base_url, n, seconds, "ack"))
                    raw = await measured_load(f"http://127.0.0.1:{bot_server.port}/slack/events", n, seconds, f"{run_id}-{r}")
                    acked |= set(raw["acked"])
                    ours = _summary(raw)
                    raw = await measured_load(f"http://127.0.0.1:{ungated_server.port}/slack/events", n, seconds,
                                              f"{run_id}-u{r}")
                    acked |= set(raw["acked"])
                    no_gate = _summary(raw)
                    rounds.append({
                        "bot": ours, "ack_only_bolt": baseline, "bot_without_gate": no_gate,
                        "efficiency_vs_ack_only": round(ours["throughput_per_s"] / max(baseline["throughput_per_s"], 1e-9), 3),
                        "gate_cost": round(1 - ours["throughput_per_s"] / max(no_gate["throughput_per_s"], 1e-9), 3),
                    })
            # only this run's rows (the database may be shared), removed again once counted
            mine = await texts_starting_with(bot.store.engine, f"bench {run_id}-")
            stored, texts = len(mine), set(mine)
            await delete_with_text_prefix(bot.store.engine, f"bench {run_id}-")
    median = sorted(rounds, key=lambda r: r["efficiency_vs_ack_only"])[len(rounds) // 2]
    return {
        **median,  # the round with the median efficiency; every round is listed under "rounds"
        # less sensitive to other load on the machine than req/s: what storing adds per command
        "storing_cpu_ms_per_request": round(
            statistics.median(
                r["bot"]["server_cpu_ms_per_request"] - r["ack_only_bolt"]["server_cpu_ms_per_request"] for r in rounds
            ),
            3,
        ),
        # what the permission gate adds: throughput lost and CPU per command, beside the bot without it
        "gate_cost": {
            "throughput_median": statistics.median(r["gate_cost"] for r in rounds),
            "cpu_ms_per_request_median": round(statistics.median(
                r["bot"]["server_cpu_ms_per_request"] - r["bot_without_gate"]["server_cpu_ms_per_request"] for r in rounds
            ), 3),
            "ack_p50_ms_median": round(statistics.median(
                r["bot"]["ack_latency_ms"]["p50"] - r["bot_without_gate"]["ack_latency_ms"]["p50"] for r in rounds), 2),
        },
        "rounds": rounds,
        "executions_stored": stored,
        "acked_without_execution": len(acked - texts),
    }


async def bench(n: int | None, database_urls: list[str] | None) -> dict[str, Any]:
    from bot.storage.engine import backend_name, create_engine

    limit = n or 200_000
    results: dict[str, Any] = {"concurrency": CONCURRENCY, "duration_s": SECONDS}
    with tempfile.TemporaryDirectory() as tmp:
        for url in database_urls or [f"sqlite:///{os.path.join(tmp, 'bench.db')}"]:
            engine = create_engine(url)
            name = backend_name(engine)
            await engine.dispose()
            results[name] = await _run_one(url, limit, SECONDS)
    return results


# -- the load generator (a separate process) -----------------------------------------------------
async def _generate(url: str, n: int, seconds: float, concurrency: int, run_id: str) -> dict[str, Any]:
    import aiohttp
    from slack_sdk.signature import SignatureVerifier

    signer = SignatureVerifier(SECRET)
    latencies: list[float] = []
    acked: list[str] = []
    counter = iter(range(n))
    sent = 0
    deadline = time.monotonic() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal sent
        for i in counter:
            if time.monotonic() > deadline:
                return
            text = f"bench {run_id} {i}"
            body = urllib.parse.urlencode({
                "command": "/ask", "text": text, "team_id": "TBENCH", "channel_id": "CBENCH", "user_id": "UBENCH",
                "user_name": "bench", "api_app_id": "ABENCH", "trigger_id": f"t{i}", "response_url": "http://127.0.0.1:9/",
            })
            ts = str(int(time.time()))
            signature = signer.generate_signature(timestamp=ts, body=body)
            assert signature is not None  # None only without a timestamp
            headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
                       "Content-Type": "application/x-www-form-urlencoded"}
            t0 = time.perf_counter()
            sent += 1
            try:
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    ok = resp.status == 200
            except aiohttp.ClientError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - t0) * 1000)
                acked.append(text)

    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return {"sent": sent, "ok": len(acked), "elapsed_s": time.monotonic() - started, "latencies_ms": latencies, "acked": acked}


if __name__ == "__main__" and len(sys.argv) == 7 and sys.argv[1] == "--load":
    _url, _n, _s, _c, _run = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    print(json.dumps(asyncio.run(_generate(_url, _n, _s, _c, _run))))
