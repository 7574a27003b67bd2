"""Alert lifecycle end to end: injected probe and clock → rules → notices → the real console adapter,
with /alerts ack|silence going through the spine (Event → Execution → worker → Reply)."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.adapters.console import ConsoleOutbound
from bot.alerting import AlertNotifier, routes
from bot.app import Bot, open_bot
from bot.health_tick import HealthMonitor
from bot.intake import Accepted
from commands.alerts import render_notice
from commands.model import Conversation, Event
from reports.sampler import Sampler
from reports.service import ReportsService
from reports.tables import ALERT_GROUP
from tests.fakes.health import ManualClock, ScriptedProbe

RULES = """
[[rule]]
name = "cpu_high"
expr = "system.cpu_percent >= 90"
for = "30s"
severity = "critical"
kind = "cpu"
repeat = "10m"

[[rule]]
name = "cpu_warm"
expr = "system.cpu_percent >= 70"
for = "30s"
severity = "warning"
kind = "cpu"
repeat = "10m"

[[rule]]
name = "breaker_open"
metric = "pool.breakers.*"
op = ">="
threshold = 1
severity = "warning"
summary = "circuit breaker open: {target}"
"""


class Harness:
    def __init__(self, bot: Bot, transcript, clock: ManualClock, probe: ScriptedProbe) -> None:
        self.bot, self.transcript, self.clock, self.probe = bot, transcript, clock, probe
        self.breakers: dict[str, str] = {}
        self.monitor = self.restart()
        self.mark = 0

    def restart(self) -> HealthMonitor:
        """A fresh service and notifier over the same database, as after a process restart."""
        sampler = Sampler(self.probe.read, {"pool": lambda: {"breakers": dict(self.breakers)}}, clock=self.clock)
        settings = self.bot.settings
        svc = ReportsService(settings.reports, self.bot.store.engine, sampler=sampler, clock=self.clock)
        targets = routes(list(svc.alerts.rules.values()), settings.core.alert_channel)
        self.monitor = HealthMonitor(svc, AlertNotifier(self.bot.outbounds, svc.alerts.store, targets, settings.reports.zone))
        return self.monitor

    async def tick(self, at: float) -> str:
        """Move the clock to t0 + `at`, run one health check, return what the console printed since the last call."""
        self.clock.now = T0 + at
        await self.monitor.tick()
        return self.new_output()

    def new_output(self) -> str:
        text = self.transcript.getvalue()
        out, self.mark = text[self.mark:], len(text)
        return out

    async def command(self, line: str, user: str = "console:alice") -> str:
        stop = asyncio.Event()
        worker = self.bot.worker()
        task = asyncio.create_task(worker.run(stop))
        try:
            event = Event(source="console", user=user if ":" in user else f"console:{user}", conversation=Conversation("console", "ops"), text=line)
            result = await self.bot.intake.submit(event)
            assert isinstance(result, Accepted), result
            await self.bot.store.wait_finished(result.execution_id, timeout=10)
        finally:
            stop.set()
            await task
        return self.new_output()

    async def refs(self, rule: str) -> dict:
        async with self.bot.store.engine.connect() as conn:
            row = (await conn.execute(select(ALERT_GROUP.c.refs).where(ALERT_GROUP.c.rule == rule))).first()
        return dict(row[0]) if row else {}


T0 = 1_800_000_000.0


@pytest.fixture
async def harness(make_settings, db_url: str, console: ConsoleOutbound, transcript, tmp_path: Path) -> AsyncIterator[Harness]:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    settings = make_settings(
        core={"database_url": db_url, "alert_channel": "console", "poll_interval": 0.05},
        reports={"alert_rules_file": str(rules)},
    )
    async with open_bot(settings, outbounds=[console]) as bot:
        yield Harness(bot, transcript, ManualClock(T0), ScriptedProbe())


async def test_alert_waits_for_its_duration_fires_once_and_survives_a_restart(harness: Harness) -> None:
    h = harness
    assert await h.tick(0) == ""
    h.probe.set(cpu_percent=95)
    assert await h.tick(5) == ""  # pending
    assert await h.tick(20) == ""  # still pending: 15 s < 30 s
    out = await h.tick(36)
    assert "FIRING [critical] · cpu_high" in out and "system.cpu_percent = 95 (>= 90)" in out and "reminder every 10m" in out
    assert "[Ack]  [Silence 1h]" in out
    assert "cpu_warm" not in out  # the warning of the same kind is inhibited by the critical
    ref = await h.refs("cpu_high")
    assert list(ref) == ["console:stdout"]
    assert await h.tick(41) == "" and await h.tick(46) == ""  # dedup: no second message

    h.restart()
    assert await h.tick(51) == ""  # the restarted process neither re-sends nor forgets
    listing = await h.command("/alerts list")
    assert "`cpu_high` firing" in listing and "`cpu_warm` inhibited" in listing

    out = await h.tick(36 + 600)
    assert "STILL FIRING [critical] · cpu_high" in out  # reminder at the repeat interval
    assert await h.refs("cpu_high") == ref  # reminders do not replace the message being updated


async def test_ack_from_chat_updates_the_message_and_stops_reminders_until_resolved(harness: Harness) -> None:
    h = harness
    h.probe.set(cpu_percent=97)
    await h.tick(0)
    h.clock.now = T0 + 30
    result = await h.monitor.tick()
    assert "FIRING" in h.new_output()
    ref = await h.refs("cpu_high")

    # a click on the message's Ack button comes back as the Event text `/{action} {value}`
    reply = render_notice(result.notices[0], h.bot.settings.reports.zone)
    ack = next(b for b in reply.buttons if b.label == "Ack")
    out = await h.command(f"/{ack.action} {ack.value}", user="console:bob")
    assert "Acknowledged `cpu_high` (bob)" in out
    out = await h.tick(35)
    assert "FIRING [critical] · cpu_high" in out and "acknowledged by bob" in out
    assert "[Ack]" not in out  # the buttons go once acknowledged
    assert await h.refs("cpu_high") == ref  # the same message, edited in place
    assert await h.tick(30 + 600) == "" and await h.tick(30 + 1800) == ""  # no reminders after an ack

    h.probe.set(cpu_percent=20)
    out = await h.tick(30 + 1805)
    assert out.count("RESOLVED · cpu_high") == 2  # the message edited to resolved, and a resolved message
    assert "resolved after 30m05s" in out
    assert await h.refs("cpu_high") == {}
    assert await h.tick(30 + 1810) == ""

    # the next firing is a new message, and the old ack does not carry over
    h.probe.set(cpu_percent=99)
    await h.tick(4000)
    out = await h.tick(4030)
    assert "FIRING [critical] · cpu_high" in out and "acknowledged" not in out


async def test_silence_suppresses_notices_then_a_still_firing_alert_is_posted(harness: Harness) -> None:
    h = harness
    out = await h.command("/alerts silence cpu_high 60")
    assert "Silenced `cpu_high` for 60 min" in out
    h.probe.set(cpu_percent=95)
    # /alerts ran at real time; the silence is relative to it, so move the test clock to "now"
    import time

    now = time.time()
    h.clock.now = now
    await h.monitor.tick()
    h.clock.now = now + 31
    await h.monitor.tick()
    h.clock.now = now + 600
    await h.monitor.tick()
    assert h.new_output() == ""  # firing but silenced: nothing posted
    listing = await h.command("/alerts list")
    assert "`cpu_high` firing" in listing and "silenced until" in listing
    h.clock.now = now + 3601
    await h.monitor.tick()
    assert "FIRING [critical] · cpu_high" in h.new_output()  # silence over, still firing: posted now


async def test_alerts_of_one_rule_are_grouped_in_one_message_updated_as_members_change(harness: Harness) -> None:
    h = harness
    h.breakers.update({"openai/gpt-4o": "open", "anthropic/claude": "open", "ollama/llama": "closed"})
    out = await h.tick(0)
    assert out.count("FIRING [warning] · breaker_open") == 1
    assert "circuit breaker open: openai/gpt-4o" in out and "circuit breaker open: anthropic/claude" in out
    assert "ollama" not in out
    ref = await h.refs("breaker_open")

    h.breakers["anthropic/claude"] = "closed"
    out = await h.tick(5)
    assert "openai/gpt-4o" in out and "anthropic/claude" not in out  # the same message, one member fewer
    assert await h.refs("breaker_open") == ref
    assert await h.tick(10) == ""

    h.breakers["openai/gpt-4o"] = "half_open"
    assert "RESOLVED · breaker_open" in await h.tick(15)


async def test_alerts_command_rejects_unknown_rules_and_acks_of_quiet_alerts(harness: Harness) -> None:
    h = harness
    out = await h.command("/alerts ack nope")
    assert "No alert rule `nope`" in out and "`cpu_high`" in out
    out = await h.command("/alerts ack cpu_high")
    assert "is not firing" in out
    out = await h.command("/alerts silence cpu_high forever")
    assert "Minutes must be a whole number" in out


async def test_a_firing_notice_that_could_not_be_delivered_is_posted_on_a_later_check(harness: Harness, caplog) -> None:
    from bot.adapters.base import Outbounds

    h = harness
    svc = h.monitor.service
    targets = routes(list(svc.alerts.rules.values()), "console")
    no_console = HealthMonitor(svc, AlertNotifier(Outbounds([]), svc.alerts.store, targets, svc.settings.zone))
    h.monitor = no_console
    h.probe.set(cpu_percent=95)
    await h.tick(0)
    await h.tick(30)  # fires, but this process has no console adapter: the post fails
    assert h.new_output() == "" and await h.refs("cpu_high") == {}
    assert "no adapter for platform 'console'" in caplog.text
    h.restart()  # back with the console adapter
    assert await h.tick(60) == ""  # retried only after a minute
    out = await h.tick(91)
    assert "FIRING [critical] · cpu_high" in out
    assert list(await h.refs("cpu_high")) == ["console:stdout"]
