"""The HTTP app: liveness, readiness and Prometheus metrics, over a real uvicorn socket."""
from __future__ import annotations

import httpx
import pytest

from bot.app import Bot
from bot.http import build_http_app, metrics_app
from bot.server import HttpServer
from tests.scenarios.test_spine import run_one


async def test_health_ready_and_metrics_on_a_real_socket(bot: Bot) -> None:
    await run_one(bot, "/noop")
    token = await bot.access.tokens.create("prometheus", "viewer", "console:test")
    async with HttpServer(build_http_app(bot), "127.0.0.1", 0) as server:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            health = await client.get("/health")
            ready = await client.get("/ready")
            metrics = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
            unsigned = await client.get("/metrics")
    assert unsigned.status_code == 401
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "checks": {"database": "ok", "console": "ok"}}
    assert 'chatops_executions_total{kind="noop",status="COMPLETED"}' in metrics.text
    assert "chatops_execution_duration_seconds_bucket" in metrics.text


async def test_ready_is_503_when_the_database_is_gone(bot: Bot) -> None:
    import dataclasses

    from bot.storage.engine import create_engine
    from bot.storage.store import Store

    gone = Store(create_engine("postgresql://nobody@127.0.0.1:1/none"))  # nothing listens on port 1
    bot = dataclasses.replace(bot, spine=dataclasses.replace(bot.spine, store=gone))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_http_app(bot)), base_url="http://bot") as client:
        ready = await client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "unreachable: OSError", "console": "ok"} or ready.json()["checks"][
        "database"
    ].startswith("unreachable")
    await bot.store.engine.dispose()


async def test_the_separate_metrics_listener_answers_only_metrics_without_a_token(bot: Bot) -> None:
    await run_one(bot, "/noop")
    async with HttpServer(metrics_app(), "127.0.0.1", 0) as server:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            metrics = await client.get("/metrics")
            page = await client.get("/")
    assert metrics.status_code == 200 and "chatops_executions_total" in metrics.text
    assert page.status_code == 404


async def test_port_in_use_is_one_clear_error(bot: Bot) -> None:
    async with HttpServer(build_http_app(bot), "127.0.0.1", 0) as first:
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{first.port}"):
            async with HttpServer(build_http_app(bot), "127.0.0.1", first.port):
                pass
