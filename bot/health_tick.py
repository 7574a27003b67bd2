"""The health check job: one tick samples, stores, evaluates the alert rules and delivers notices,
then mirrors the sample and the active alerts into Prometheus gauges."""
from __future__ import annotations

import logging
import time

from bot import metrics
from bot.alerting import AlertNotifier
from reports import ReportsService, TickResult

log = logging.getLogger("chatops.health")


class HealthMonitor:
    def __init__(self, service: ReportsService, notifier: AlertNotifier) -> None:
        self.service, self.notifier = service, notifier
        self.ticks = 0
        self._alert_labels: set[tuple[str, str, str]] = set()

    async def tick(self) -> TickResult:
        started = time.perf_counter()
        try:
            result = await self.service.tick()
            await self.notifier.deliver(result.notices)
            await self._export(result)
        except Exception:
            metrics.HEALTH_TICKS.labels("error").inc()
            raise
        self.ticks += 1
        metrics.HEALTH_TICKS.labels("ok").inc()
        metrics.HEALTH_TICK_SECONDS.observe(time.perf_counter() - started)
        return result

    async def run_tick(self) -> None:
        """The scheduler's entry point: a failed tick is logged, and the next one runs as planned."""
        try:
            await self.tick()
        except Exception:
            log.exception("health check failed")

    async def _export(self, result: TickResult) -> None:
        for name, value in result.sample.values.items():
            metrics.HEALTH_SAMPLE.labels(name).set(value)
        counts: dict[tuple[str, str, str], int] = {}
        for a in await self.service.alerts.active():
            key = (a.rule.name, a.rule.severity, a.state)
            counts[key] = counts.get(key, 0) + 1
        for key in self._alert_labels - set(counts):
            metrics.ALERTS_ACTIVE.labels(*key).set(0)
        for key, n in counts.items():
            metrics.ALERTS_ACTIVE.labels(*key).set(n)
        self._alert_labels = set(counts) | self._alert_labels
