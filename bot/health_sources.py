"""The health sources `open_bot` hands to the reports service: the LLM pool and the MCP hub.

Each is a provider-neutral callable returning a nested dict (docs/reports.md, "Health sources"); the
sampler flattens it to `pool.active_workers`, `pool.breakers.<deployment>`, `providers.up.<server>`…
which the default alert rules read (workers_low, breaker_open, budget_exceeded, provider_down).

The pool's budget refusals are events, not state: `BudgetEvents` listens to the pool and remembers
which budget was exceeded today (budgets are per UTC day), so the next health tick turns it into a
`pool.budget_exceeded.<budget>` value and the alert goes through the same lifecycle (dedup, ack,
silence, resolve at the day's end) as every other alert. See docs/decisions.md.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pool import LLMPool, PoolEvent
    from providers import Hub
    from reports import ReportsService

log = logging.getLogger("chatops.health")


def _utc_day(ts: float) -> int:
    return int(ts // 86400)


class BudgetEvents:
    """Budgets the pool refused against today, by budget name ("deployment:openai", "user:slack:U1")."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._seen: dict[str, tuple[float, str]] = {}  # budget → (when, the pool's detail line)

    def __call__(self, event: PoolEvent) -> None:
        if event.kind == "budget_exceeded":
            self._seen[event.subject] = (event.at, event.detail)
        elif event.kind in ("breaker_open", "pool_disabled"):
            log.warning("LLM pool: %s %s: %s", event.kind, event.subject, event.detail)
        else:
            log.info("LLM pool: %s %s: %s", event.kind, event.subject, event.detail)

    def today(self) -> dict[str, str]:
        day = _utc_day(self.clock())
        for budget in [b for b, (at, _) in self._seen.items() if _utc_day(at) != day]:
            del self._seen[budget]  # a new day resets the pool's budgets, and so the alert
        return {b: detail for b, (_, detail) in self._seen.items()}


class PoolHealth:
    """The `pool` source. Each read also lets a cooled-down circuit probe its deployment, so a recovered
    provider closes it (and the alert resolves) without user traffic. The probe runs in the background:
    a slow provider must not hold up the health check; the next tick sees the outcome."""

    def __init__(self, pool: LLMPool, budgets: BudgetEvents) -> None:
        self.pool, self.budgets = pool, budgets
        self._probe: asyncio.Task[object] | None = None

    def __call__(self) -> dict[str, Any]:
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(self.pool.health_check(), name="llm-pool-probe")
            self._probe.add_done_callback(_log_failure)
        status = self.pool.status()
        usable = sum(d.max_concurrency for d in status.deployments if d.state != "open")
        # "active" = slots that can serve a request now: all of them unless open circuits leave fewer
        # deployment seats, none while the pool has switched itself off
        active = min(status.slots, usable) if status.enabled else 0
        return {
            "size": status.slots,
            "active_workers": active,
            "busy_workers": status.slots_busy,
            "in_flight": sum(d.in_flight for d in status.deployments),
            "queue_depth": status.queued,
            "enabled": status.enabled,
            "breakers": {d.name: d.state for d in status.deployments},
            "budget_exceeded": {name: 1 for name in self.budgets.today()},
        }

    async def aclose(self) -> None:
        if self._probe is not None and not self._probe.done():
            self._probe.cancel()
            with contextlib.suppress(BaseException):
                await self._probe


def _log_failure(task: asyncio.Task[object]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("LLM pool health probe failed: %r", task.exception())


def hub_health(hub: Hub) -> Callable[[], dict[str, Any]]:
    def read() -> dict[str, Any]:
        states = hub.states()
        return {
            "servers": {s.name: s.state for s in states},
            "up": {s.name: s.state == "up" for s in states},
            "down_count": sum(1 for s in states if s.state == "down"),
        }

    return read


def register_health_sources(reports: ReportsService, llm: object, hub: Hub | None) -> PoolHealth | None:
    """Register what exists: the pool only when it runs (the single client has no slots nor breakers).
    The caller closes the returned source (it may have a probe in flight) before the pool."""
    from pool import LLMPool

    source = None
    if isinstance(llm, LLMPool):
        budgets = BudgetEvents(reports.clock)
        llm.subscribe(budgets)
        source = PoolHealth(llm, budgets)
        reports.add_source("pool", source)
    if hub is not None:
        reports.add_source("providers", hub_health(hub))
    return source
