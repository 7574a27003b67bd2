"""The HTTP status surface through the real Starlette app (httpx ASGI transport), responses validated."""
from __future__ import annotations

import contextlib
import io
import time
from collections.abc import AsyncIterator

import httpx
from matplotlib import image as mpimg
from pydantic import BaseModel, ConfigDict

from bot.app import Bot
from bot.http import build_http_app
from tests.fakes.health import execution_rows, insert_executions


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlertOut(Strict):
    rule: str
    severity: str
    state: str
    target: str
    value: float | None
    since: float | None
    acked_by: str | None
    silenced_until: float | None


class Current(Strict):
    ts: float | None
    values: dict[str, float]
    text: dict[str, str]
    alerts: list[AlertOut]


class Point(Strict):
    t: float
    min: float
    avg: float
    max: float
    n: int


class History(Strict):
    window: str
    step_s: float
    since: float
    until: float
    series: dict[str, list[Point]]


class WorkerOut(Strict):
    owner: str
    running: int
    lease_expires_at: float | None
    alive: bool


class Workers(Strict):
    instance: str
    queue: dict[str, int]
    workers: list[WorkerOut]
    pool: dict[str, float]
    sources: list[str]


@contextlib.asynccontextmanager
async def client(bot: Bot) -> AsyncIterator[httpx.AsyncClient]:
    """Signed in as a viewer: the surfaces are closed without a token (tests/scenarios/test_web_auth.py)."""
    token = await bot.access.tokens.create(f"viewer-{time.monotonic_ns()}", "viewer", "console:test")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_http_app(bot)), base_url="http://bot",
                                 headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


async def test_current_history_and_workers_return_valid_json(bot: Bot) -> None:
    svc = bot.services.reports
    for _ in range(3):
        await svc.tick()
    async with client(bot) as c:
        cur = Current.model_validate((await c.get("/api/metrics/current")).json())
        assert 0 <= cur.values["system.cpu_percent"] <= 100 and cur.values["process.rss_bytes"] > 0
        assert cur.values["health.executions_ok"] == 1.0
        hist = History.model_validate((await c.get("/api/metrics/history", params={"window": "1h"})).json())
        assert set(hist.series) == {"system.cpu_percent", "system.memory_percent"}
        assert sum(p.n for p in hist.series["system.memory_percent"]) == 3
        one = History.model_validate((await c.get("/api/metrics/history?window=24h&metric=process.threads")).json())
        assert one.series["process.threads"][0].min >= 1
        w = Workers.model_validate((await c.get("/api/workers/status")).json())
        assert w.instance == bot.instance and w.queue == {"pending": 0, "running": 0}
        assert "executions" in w.sources


async def test_bad_parameters_get_a_400_that_names_the_choices(bot: Bot) -> None:
    async with client(bot) as c:
        r = await c.get("/api/metrics/history", params={"window": "2y"})
        assert r.status_code == 400 and "1h, 24h, 7d" in r.json()["error"]
        r = await c.get("/api/metrics/history", params={"metric": "x; drop table"})
        assert r.status_code == 400
        r = await c.get("/charts/nope.png")
        assert r.status_code == 400 and "executions" in r.json()["error"]


async def test_status_page_and_its_charts(bot: Bot) -> None:
    from bot.scheduler import Scheduler

    await insert_executions(bot.store.engine, execution_rows(500, time.time(), hours=24))
    await Scheduler(bot).monitor.tick()  # the health job: sample, rules, Prometheus gauges
    async with client(bot) as c:
        page = await c.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert '<meta http-equiv="refresh"' in page.text
        srcs = [f"/charts/{n}.png?window=24h" for n in ("executions", "latency", "cost", "system")]
        for src in srcs:
            assert f"src='{src}'" in page.text
            r = await c.get(src)
            assert r.status_code == 200 and r.headers["content-type"] == "image/png"
            img = mpimg.imread(io.BytesIO(r.content), format="png")
            assert img.shape[:2] == (360, 800) and img[..., :3].std() > 0.05
        metrics = await c.get("/metrics")
        assert 'chatops_health_sample{metric="system.cpu_percent"}' in metrics.text
        assert 'chatops_health_ticks_total{result="ok"}' in metrics.text
