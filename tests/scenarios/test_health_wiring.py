"""The pool and the MCP hub as health sources, end to end: /ask through the worker against the fake LLM
opens a breaker or exceeds a budget, a health tick samples what `open_bot` registered, the default
rules fire, and the notice reaches the console adapter. Plus /status showing every part in one reply."""
from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleOutbound
from bot.alerting import AlertNotifier, routes
from bot.app import Bot, open_bot
from bot.health_sources import register_health_sources
from bot.health_tick import HealthMonitor
from bot.intake import Accepted
from commands.model import Conversation, Event
from pool.fake import Behavior, FakeLLM
from reports.sampler import Sampler
from reports.service import ReportsService
from tests.fakes.health import ManualClock, ScriptedProbe

CONFIG = """
[[deployment]]
name = "flaky"
kind = "openai"
base_url = "{url}"
model = "gpt-4o-mini"
max_concurrency = 2
price_in = 1.0
price_out = 2.0

[[deployment]]
name = "steady"
kind = "anthropic"
base_url = "{root}"
key = "sk-ant-test"
model = "claude-3-5-haiku-latest"
max_concurrency = 1
price_in = 1.0
price_out = 2.0

[aliases]
default = ["flaky"]
smart = ["steady"]

[budgets]
user = {{ "console:mallory" = 0.000001 }}
"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def breaker_cooldown() -> float:
    return 600.0  # a test overrides it with @pytest.mark.parametrize("breaker_cooldown", […])


@pytest.fixture
async def wired(  # type: ignore[no-untyped-def]
    breaker_cooldown: float, make_settings, db_url: str, console: ConsoleOutbound, fake_llm: FakeLLM, tmp_path: Path
) -> AsyncIterator[Bot]:
    llm = tmp_path / "llm.toml"
    llm.write_text(CONFIG.format(url=fake_llm.url, root=fake_llm.root))
    mcp = tmp_path / "mcp.toml"
    mcp.write_text(f'[[servers]]\nname = "gone"\nurl = "http://127.0.0.1:{closed_port()}/mcp"\n')
    settings = make_settings(
        core={"database_url": db_url, "alert_channel": "console", "lease_seconds": 5, "poll_interval": 0.05},
        llm={"enable_llm_pool": True, "llm_pool_size": 5, "llm_retries": 0,
             "llm_breaker_cooldown": breaker_cooldown,
             "llm_config_file": llm, "llm_timeout": 2},
        mcp={"mcp_servers": str(mcp)},
    )
    async with open_bot(settings, outbounds=[console]) as b:
        yield b


async def run(bot: Bot, *texts: str, user: str = "console:alice", locale: str | None = None) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(bot.worker().run(stop))
    try:
        for text in texts:  # one after the other: each failure counts against the breaker in order
            event = Event(source="console", user=user if ":" in user else f"console:{user}", conversation=Conversation("console", "t"), text=text, locale=locale)
            result = await bot.intake.submit(event)
            assert isinstance(result, Accepted), result
            await bot.store.wait_finished(result.execution_id, timeout=10)
    finally:
        stop.set()
        await task


def monitor(bot: Bot, svc: ReportsService) -> HealthMonitor:
    targets = routes(list(svc.alerts.rules.values()), bot.settings.core.alert_channel)
    return HealthMonitor(svc, AlertNotifier(bot.outbounds, svc.alerts.store, targets, bot.settings.reports.zone))


async def open_the_breaker(bot: Bot, fake_llm: FakeLLM) -> None:
    fake_llm.behavior = Behavior(status=500)
    await run(bot, "/ask one", "/ask two", "/ask three")
    states = {d.name: d.state for d in bot.services.llm.status().deployments}  # type: ignore[union-attr]
    assert states == {"flaky": "open", "steady": "closed"}


async def test_failing_asks_open_the_breaker_and_the_next_tick_alerts_on_the_console(
    wired: Bot, fake_llm: FakeLLM, transcript
) -> None:  # type: ignore[no-untyped-def]
    svc = wired.services.reports
    assert svc is not None and {"pool", "providers"} <= set(svc.sampler.source_names())
    await open_the_breaker(wired, fake_llm)
    before = len(transcript.getvalue())
    result = await monitor(wired, svc).tick()  # the bot's own service: real probe, real clock
    v = result.sample.values
    assert v["pool.breakers.flaky"] == 1.0 and v["pool.breakers.steady"] == 0.0
    assert v["pool.size"] == 5 and v["pool.active_workers"] == 1  # only steady's one seat is usable
    assert v["pool.queue_depth"] == 0 and v["pool.in_flight"] == 0 and v["health.pool_ok"] == 1.0
    # the unreachable MCP server is in the sample, by name
    assert result.sample.text["providers.servers.gone"] == "down" and v["providers.up.gone"] == 0.0
    assert v["providers.down_count"] == 1
    out = transcript.getvalue()[before:]
    assert "FIRING [warning] · breaker_open" in out and "circuit breaker open: flaky" in out
    assert "steady" not in out


async def test_workers_low_and_provider_down_fire_after_their_durations(
    wired: Bot, fake_llm: FakeLLM, transcript
) -> None:  # type: ignore[no-untyped-def]
    await open_the_breaker(wired, fake_llm)
    clock = ManualClock()
    svc = ReportsService(wired.settings.reports, wired.store.engine, sampler=Sampler(ScriptedProbe().read, clock=clock), clock=clock)
    source = register_health_sources(svc, wired.services.llm, wired.services.mcp)
    assert source is not None
    mon = monitor(wired, svc)
    before = len(transcript.getvalue())
    try:
        await mon.tick()
        first = transcript.getvalue()[before:]
        assert "breaker_open" in first and "workers_low" not in first and "provider_down" not in first  # pending
        clock.advance(61)
        await mon.tick()
    finally:
        await source.aclose()
    out = transcript.getvalue()[before:]
    assert "FIRING [critical] · workers_low" in out and "1 active LLM workers (< 3)" in out
    assert "FIRING [warning] · provider_down" in out and "MCP server down: gone" in out


@pytest.mark.parametrize("breaker_cooldown", [2.0])
async def test_ticks_probe_a_cooled_down_circuit_and_the_alert_resolves_without_traffic(
    wired: Bot, fake_llm: FakeLLM, transcript
) -> None:  # type: ignore[no-untyped-def]
    svc = wired.services.reports
    assert svc is not None
    mon = monitor(wired, svc)
    await open_the_breaker(wired, fake_llm)
    before = len(transcript.getvalue())
    await mon.tick()
    assert "FIRING [warning] · breaker_open" in transcript.getvalue()[before:]
    fake_llm.behavior = Behavior()  # the provider recovers
    asked = len(fake_llm.requests)
    states: list[str] = []
    for _ in range(60):  # bounded: 60 ticks, 0.1 s apart
        await asyncio.sleep(0.1)
        result = await mon.tick()
        states.append(result.sample.text["pool.breakers.flaky"])
        if states[-1] == "closed":
            break
    assert states[-1] == "closed"
    assert [r["body"].get("max_tokens") for r in fake_llm.requests[asked:]] == [1]  # one probe, no user traffic
    assert "RESOLVED · breaker_open" in transcript.getvalue()[before:]


async def test_an_ask_over_budget_reaches_the_alerts(wired: Bot, fake_llm: FakeLLM, transcript) -> None:  # type: ignore[no-untyped-def]
    svc = wired.services.reports
    assert svc is not None
    await run(wired, "/ask spend it all", user="console:mallory")
    assert "The LLM budget `user:console:mallory` is used up for today" in transcript.getvalue()
    assert fake_llm.requests == []  # refused before any provider was called
    before = len(transcript.getvalue())
    result = await monitor(wired, svc).tick()
    assert result.sample.values["pool.budget_exceeded.user:console:mallory"] == 1.0
    out = transcript.getvalue()[before:]
    assert "FIRING [warning] · budget_exceeded" in out and "LLM budget exceeded today: user:console:mallory" in out
    await run(wired, "/ask fine")  # another user's budget is untouched: no second budget alert
    assert "echo: fine" in transcript.getvalue()
    before = len(transcript.getvalue())
    await monitor(wired, svc).tick()
    assert "budget_exceeded" not in transcript.getvalue()[before:]


async def test_status_shows_system_pool_providers_and_active_alerts(wired: Bot, fake_llm: FakeLLM, transcript) -> None:  # type: ignore[no-untyped-def]
    svc = wired.services.reports
    assert svc is not None
    await open_the_breaker(wired, fake_llm)
    await monitor(wired, svc).tick()
    before = len(transcript.getvalue())
    await run(wired, "/status")
    out = transcript.getvalue()[before:]
    lines = {line.split(None, 1)[0]: line for line in out.splitlines() if line.strip()}
    assert "CPU" in lines["system"] and "memory" in lines["system"]
    assert "0/5 slots busy, 0 queued, 2 deployments (open: flaky)" in lines["pool"] and "/status pool" in lines["pool"]
    assert "gone down (0 tools" in lines["MCP"]
    assert "breaker_open[flaky]" in lines["alerts"]


async def test_status_in_a_japanese_conversation_has_japanese_labels_and_lines(wired: Bot, fake_llm: FakeLLM, transcript) -> None:  # type: ignore[no-untyped-def]
    svc = wired.services.reports
    assert svc is not None
    await open_the_breaker(wired, fake_llm)
    await monitor(wired, svc).tick()
    before = len(transcript.getvalue())
    await run(wired, "/status", locale="ja-JP")
    out = transcript.getvalue()[before:]
    lines = {line.split(None, 1)[0]: line for line in out.splitlines() if line.strip()}
    assert "*ステータス*" in lines
    assert {"稼働時間", "バージョン", "データベース", "キュー", "直近1時間の実行", "プロセス", "LLM", "プール", "MCP", "システム", "アラート"} <= set(lines)
    assert "待機 0 件、実行中 1 件" in lines["キュー"]  # the /status itself is running
    assert "失敗 3 件" in lines["直近1時間の実行"]  # the three failing asks that opened the breaker
    assert "スレッド" in lines["プロセス"]
    assert "スロット使用中 0/5、待機 0 件、デプロイ 2 件（オープン: flaky）" in lines["プール"] and "詳細は `/status pool`" in lines["プール"]
    assert "gone 停止（ツール 0 個" in lines["MCP"] and "db 未設定" in lines["MCP"]
    assert "メモリ" in lines["システム"] and "breaker_open[flaky]" in lines["アラート"]
    for english in ("uptime", "queue", "last hour", "slots busy", "threads", "not configured", "memory"):
        assert english not in out
