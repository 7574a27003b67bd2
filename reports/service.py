"""What `bot/` assembles once and hands to commands and the scheduler: sampler, sample store, alert
engine and report builder over one database engine. Clock and sampler are injectable for tests."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from reports.alert_state import AlertStore
from reports.alerts import AlertEngine, Notice
from reports.execution_health import ExecutionHealth
from reports.rules import Rule, default_rules, load_rules
from reports.sample_store import SampleStore
from reports.sampler import Sample, Sampler, Source, SystemProbe
from reports.settings import ReportsSettings

if TYPE_CHECKING:
    from reports.report import ReportData

WINDOWS = {"1h": 3600.0, "24h": 86400.0, "7d": 7 * 86400.0}


def rules_from_settings(settings: ReportsSettings) -> list[Rule]:
    repeat = settings.alert_repeat_minutes * 60
    if settings.alert_rules_file is not None:
        return load_rules(settings.alert_rules_file, repeat_seconds=repeat)
    return default_rules(
        repeat_seconds=repeat, min_active_workers=settings.min_active_workers, daily_cost_budget=settings.daily_cost_budget
    )


@dataclass(frozen=True, slots=True)
class TickResult:
    sample: Sample
    notices: list[Notice]


class ReportsService:
    def __init__(
        self,
        settings: ReportsSettings,
        engine: AsyncEngine,
        *,
        sampler: Sampler | None = None,
        rules: Sequence[Rule] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings, self.engine, self.clock = settings, engine, clock
        self.sampler = sampler or Sampler(SystemProbe(clock=clock).read, clock=clock)
        self.executions = ExecutionHealth(engine, settings.zone, clock)
        if "executions" not in self.sampler.source_names():
            self.sampler.add_source("executions", self.executions)
        self.samples = SampleStore(engine)
        self.alerts = AlertEngine(rules if rules is not None else rules_from_settings(settings), AlertStore(engine), clock)

    def add_source(self, name: str, source: Source) -> None:
        """Register a health source (the pool, the MCP hub) at assembly."""
        self.sampler.add_source(name, source)

    async def tick(self) -> TickResult:
        """One health check: sample, store, evaluate the rules. Returns the notices to deliver."""
        sample = await self.sampler.sample()
        await self.samples.add(sample)
        return TickResult(sample, await self.alerts.evaluate(sample))

    async def current(self) -> Sample | None:
        return self.samples.latest or await self.samples.last()

    async def purge(self) -> int:
        return await self.samples.purge(self.clock() - self.settings.health_retention_hours * 3600)

    async def report(self, window: str = "1h", locale: str = "en", *, charts: bool = True) -> ReportData:
        from reports.report import build_report

        if window not in WINDOWS:
            raise ValueError(f"window must be one of {', '.join(WINDOWS)}")
        return await build_report(
            self.engine, self.samples, WINDOWS[window], self.clock(), self.settings.zone, locale,
            window=window, with_charts=charts,
        )
