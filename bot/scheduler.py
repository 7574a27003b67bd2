"""Scheduled jobs (APScheduler 3, AsyncIOScheduler in the bot's loop), run by one process at a time.

Jobs: the health check every HEALTH_INTERVAL, the hourly report at the top of each hour, the daily
summary after midnight (REPORT_TIMEZONE), sample retention every hour. Leadership: on PostgreSQL a
session advisory lock held on a dedicated connection; on SQLite a lease row renewed by the holder.
A follower keeps trying, so when the leader stops another process takes over within one check.

Reports are Executions like any other work: one row per REPORT_CHANNEL target with the idempotency
key `report:<slot>:<target>`, so a restart, a catch-up or two leaders in a split second never post a
slot twice. The last slot each job ran is stored; at start-up a slot missed within its grace period
(the process was down at the top of the hour) is run late, older ones are skipped.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import metrics
from bot.alerting import AlertNotifier, routes
from bot.health_tick import HealthMonitor
from bot.intake import Rejected
from bot.routing import parse_targets
from bot.storage.retention import INTERACTION_TOKEN_SECONDS, Retention
from bot.storage.scheduling import claim_slot, last_slot, release_lease, take_lease
from commands.model import Event

if TYPE_CHECKING:
    from bot.app import Bot

# Kept well past their use: GitHub offers redelivery of the last few days only, and a button whose line
# is gone answers "run the command again".
DELIVERY_DAYS = 30
BUTTON_DAYS = 90

log = logging.getLogger("chatops.scheduler")

LOCK_KEY = 0x63686564  # advisory lock id of the scheduler leader ("ched")
SLOT_GRACE_S = 15 * 60  # a report slot missed by less than this at start-up is posted late


def hour_slot(now: float, zone: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(now, zone).strftime("%Y-%m-%dT%H")


def day_slot(now: float, zone: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(now, zone).strftime("%Y-%m-%d")


class Leadership:
    """Whether this process runs the jobs. `check()` acquires, renews or notices the loss."""

    def __init__(self, bot: Bot, ttl: float, clock: Callable[[], float] = time.time) -> None:
        self.engine, self.owner, self.ttl, self.clock = bot.store.engine, bot.instance, ttl, clock
        self._pg = bot.store.backend == "postgresql"
        self._conn: AsyncConnection | None = None
        self.leader = False

    async def check(self) -> bool:
        try:
            if self._pg:
                self.leader = await self._check_pg()
            else:
                self.leader = await take_lease(self.engine, "scheduler", self.owner, self.clock(), self.ttl)
        except Exception as e:
            log.warning("scheduler leadership check failed: %s: %s", type(e).__name__, e)
            self.leader = False
            await self._drop()
        return self.leader

    async def _check_pg(self) -> bool:
        if self._conn is not None:
            await self._conn.execute(text("SELECT 1"))  # the lock lives as long as this connection
            return True
        conn = await (await self.engine.connect()).execution_options(isolation_level="AUTOCOMMIT")
        got = (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})).scalar()
        if got:
            self._conn = conn
            return True
        await conn.close()
        return False

    async def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

    async def release(self) -> None:
        if self._pg:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            await self._drop()
        elif self.leader:
            with contextlib.suppress(Exception):
                await release_lease(self.engine, "scheduler", self.owner)
        self.leader = False


class Scheduler:
    def __init__(self, bot: Bot, monitor: HealthMonitor | None = None, clock: Callable[[], float] = time.time) -> None:
        svc = bot.services.reports
        if svc is None:
            raise RuntimeError("the scheduler needs the reports service")
        self.bot, self.clock, self.settings = bot, clock, bot.settings
        if monitor is None:
            rules = list(svc.alerts.rules.values())
            notifier = AlertNotifier(bot.outbounds, svc.alerts.store, routes(rules, bot.settings.core.alert_channel),
                                     bot.settings.reports.zone, bot.settings.reports.report_locale)
            monitor = HealthMonitor(svc, notifier)
        self.monitor = monitor
        self.zone = bot.settings.reports.zone
        self.targets = parse_targets(bot.settings.core.report_channel, "REPORT_CHANNEL")
        self.check_every = max(2.0, min(15.0, bot.settings.reports.health_interval))
        self.leadership = Leadership(bot, ttl=3 * self.check_every, clock=clock)
        self._aps: AsyncIOScheduler | None = None
        self.retention = Retention(bot.store.engine)

    async def start(self) -> None:
        """Call from inside the running loop (AsyncIOScheduler binds the loop it starts on)."""
        reports = self.settings.reports
        # APScheduler logs every run at INFO: at a 5 s health interval that drowns the bot's own log
        logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
        aps = AsyncIOScheduler(timezone=self.zone, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
        aps.add_job(self.leadership.check, IntervalTrigger(seconds=self.check_every, timezone=self.zone), id="leader")
        aps.add_job(
            self._leader_only(self.monitor.run_tick), IntervalTrigger(seconds=reports.health_interval, timezone=self.zone),
            id="health",
        )
        aps.add_job(self._leader_only(self.purge), CronTrigger(minute=30, timezone=self.zone), id="retention")
        aps.add_job(self._leader_only(self.drop_tokens), IntervalTrigger(minutes=5, timezone=self.zone), id="tokens")
        if reports.report_enabled and self.targets:
            aps.add_job(self._leader_only(self.hourly_report), CronTrigger(minute=0, timezone=self.zone), id="report")
            aps.add_job(self._leader_only(self.daily_summary), CronTrigger(hour=0, minute=5, timezone=self.zone), id="daily")
        if await self.leadership.check():
            await self.catch_up()
        aps.start()
        self._aps = aps
        log.info("scheduler started (%s; leader: %s)", ", ".join(j.id for j in aps.get_jobs()), self.leadership.leader)

    async def stop(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        await self.leadership.release()

    def _leader_only(self, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if not self.leadership.leader:
                return
            try:
                await job()
            except Exception:
                log.exception("scheduled job %s failed", getattr(job, "__name__", job))

        run.__name__ = getattr(job, "__name__", "job")
        return run

    # -- jobs -----------------------------------------------------------------------------------
    async def hourly_report(self) -> int:
        return await self.enqueue_report("report", hour_slot(self.clock(), self.zone), "1h")

    async def daily_summary(self) -> int:
        return await self.enqueue_report("daily", day_slot(self.clock() - 3600, self.zone), "24h")

    async def drop_tokens(self) -> int:
        """Discord interaction tokens are useless after 15 minutes: they are not kept longer (within 5)."""
        return await self.retention.drop_interaction_tokens(self.clock() - INTERACTION_TOKEN_SECONDS)

    async def purge(self) -> None:
        assert self.bot.services.reports is not None
        removed = await self.bot.services.reports.purge()
        now = self.clock()
        core = self.bot.settings.core
        forgotten = await self.retention.forget_payloads(now - core.execution_retention_days * 86400)
        gone = await self.retention.delete_executions(now - core.audit_retention_days * 86400)
        await self.drop_tokens()
        buttons = await self.bot.store.purge_buttons(now - BUTTON_DAYS * 86400)
        deliveries = await self.bot.store.github.purge_deliveries(now - DELIVERY_DAYS * 86400)
        audit = await self.bot.access.prune(now - self.bot.settings.core.audit_retention_days * 86400)
        web = await self.bot.access.tokens.prune(now)
        gate = self.bot.access.gate
        rates = await gate.rates.prune(now) if gate is not None and gate.rates is not None else 0
        log.info(
            "retention: removed %d health sample rows, %d button lines, %d GitHub delivery ids, %d audit events,"
            " %d ended sessions and links, %d rate-limit windows; %d executions' texts and payloads forgotten,"
            " %d executions removed", removed, buttons, deliveries, audit, web, rates, forgotten, gone,
        )

    async def enqueue_report(self, job: str, slot: str, window: str) -> int:
        """One Execution per target for `slot`; returns how many were new (0 when the slot already ran)."""
        new = 0
        locale = self.settings.reports.report_locale
        for target in self.targets:
            key = f"{job}:{slot}:{target}"
            before = await self.bot.store.find_key(key)
            event = Event(source="scheduler", user="system:scheduler", conversation=target, text=f"/report {window}",
                          locale=locale, trigger="schedule")
            result = await self.bot.intake.submit(event, idempotency_key=key)
            if isinstance(result, Rejected):  # the command table changed under the scheduler: a defect, loudly
                log.error("scheduled %s for %s refused at intake: %s", job, target, result.reply.plain_text())
                continue
            new += before is None
        await claim_slot(self.bot.store.engine, job, slot, self.bot.instance, self.clock())
        metrics.REPORTS.labels("enqueued" if new else "duplicate").inc()
        return new

    async def catch_up(self) -> None:
        """Post the current hour's report if the process was down at the top of the hour."""
        if not (self.settings.reports.report_enabled and self.targets):
            return
        now = self.clock()
        slot = hour_slot(now, self.zone)
        into_hour = now - dt.datetime.fromtimestamp(now, self.zone).replace(minute=0, second=0, microsecond=0).timestamp()
        done = await last_slot(self.bot.store.engine, "report")
        if into_hour < SLOT_GRACE_S and (done is None or done < slot):
            log.info("catching up the report of slot %s", slot)
            await self.enqueue_report("report", slot, "1h")


@contextlib.asynccontextmanager
async def run_scheduler(bot: Bot) -> AsyncIterator[Scheduler]:
    scheduler = Scheduler(bot)
    await scheduler.start()
    try:
        yield scheduler
    finally:
        await scheduler.stop()
