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

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pool.pool import LLMPool, PoolEvent
    from providers.hub import Hub
    from reports.service import ReportsService

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


def pool_health(pool: LLMPool, budgets: BudgetEvents) -> Callable[[], dict[str, Any]]:
    def read() -> dict[str, Any]:
        status = pool.status()
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
            "budget_exceeded": {name: 1 for name in budgets.today()},
        }

    return read


def hub_health(hub: Hub) -> Callable[[], dict[str, Any]]:
    def read() -> dict[str, Any]:
        states = hub.states()
        return {
            "servers": {s.name: s.state for s in states},
            "up": {s.name: s.state == "up" for s in states},
            "down_count": sum(1 for s in states if s.state == "down"),
        }

    return read


def register_health_sources(reports: ReportsService, llm: object, hub: Hub | None) -> BudgetEvents | None:
    """Register what exists: the pool only when it runs (the single client has no slots nor breakers)."""
    from pool.pool import LLMPool

    budgets = None
    if isinstance(llm, LLMPool):
        budgets = BudgetEvents(reports.clock)
        llm.subscribe(budgets)
        reports.add_source("pool", pool_health(llm, budgets))
    if hub is not None:
        reports.add_source("providers", hub_health(hub))
    return budgets
