"""What `/status pool` and health checks read: a plain snapshot of the pool, no live objects."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pool.pool import LLMPool


@dataclass(frozen=True, slots=True)
class DeploymentStatus:
    name: str
    kind: str
    model: str
    state: str  # closed | open | half-open
    retry_in: float  # seconds until an open circuit lets a probe through
    in_flight: int
    waiting: int  # queued on this deployment's own concurrency limit
    max_concurrency: int
    p50_ms: float | None
    p95_ms: float | None
    error_rate: float  # over the last 500 requests
    requests_today: int
    tokens_in_today: int
    tokens_out_today: int
    cost_today: float


@dataclass(frozen=True, slots=True)
class PoolStatus:
    enabled: bool  # False while the pool has switched itself off (requests use the single-client path)
    disabled_for: float
    slots_busy: int
    slots: int
    queued: int
    queue_limit: int
    deployments: tuple[DeploymentStatus, ...]
    totals: tuple[tuple[str, str, int, int, int, float], ...]  # kind, model, requests, tokens in, out, cost
    budgets: tuple[tuple[str, float, float], ...]  # budget, spent today, limit

    @property
    def healthy(self) -> bool:
        return self.enabled and any(d.state != "open" for d in self.deployments)


def build_status(pool: LLMPool) -> PoolStatus:
    deps = []
    for s in pool.states.values():
        today = s.stats._day()
        deps.append(DeploymentStatus(
            name=s.name, kind=s.deployment.kind, model=s.deployment.model, state=s.breaker.state,
            retry_in=s.breaker.retry_in(), in_flight=s.stats.in_flight, waiting=s.stats.waiting,
            max_concurrency=s.deployment.max_concurrency, p50_ms=s.stats.percentile(0.5), p95_ms=s.stats.percentile(0.95),
            error_rate=s.stats.error_rate(), requests_today=today.requests, tokens_in_today=today.tokens_in,
            tokens_out_today=today.tokens_out, cost_today=today.cost,
        ))
    totals = tuple(
        (kind, model, t.requests, t.tokens_in, t.tokens_out, t.cost) for (kind, model), t in sorted(pool.ledger.by_model.items())
    )
    off = max(0.0, pool.disabled_until - time.monotonic()) if pool.disabled_until else 0.0
    return PoolStatus(
        enabled=off == 0.0, disabled_for=off, slots_busy=pool.slots.busy, slots=pool.slots.size,
        queued=pool.slots.waiting, queue_limit=pool.slots.queue_limit, deployments=tuple(deps), totals=totals,
        budgets=tuple(pool.budgets.snapshot()),
    )
