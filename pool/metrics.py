"""Prometheus view of the pool, read from its snapshot at scrape time (nothing on the request path)."""
from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from pool.snapshot import PoolStatus

STATES = {"closed": 0, "half-open": 1, "open": 2}


class PoolCollector(Collector):
    """Register with `REGISTRY.register(PoolCollector(pool.status))`; unregister when the pool closes."""

    def __init__(self, snapshot: Callable[[], PoolStatus]) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        s = self._snapshot()
        yield GaugeMetricFamily("chatops_llm_pool_enabled", "1 unless the pool switched itself off", value=int(s.enabled))
        yield GaugeMetricFamily("chatops_llm_pool_slots_busy", "Worker slots in use", value=s.slots_busy)
        yield GaugeMetricFamily("chatops_llm_pool_queued", "Requests waiting for a slot", value=s.queued)
        labels = ["deployment", "kind", "model"]
        gauges = {
            "breaker": GaugeMetricFamily("chatops_llm_breaker_state", "0 closed, 1 half-open, 2 open", labels=labels),
            "in_flight": GaugeMetricFamily("chatops_llm_in_flight", "Requests running on the deployment", labels=labels),
            "p95": GaugeMetricFamily("chatops_llm_latency_p95_seconds", "p95 over the last 500 answers", labels=labels),
            "errors": GaugeMetricFamily("chatops_llm_error_ratio", "Errors over the last 500 requests", labels=labels),
            "cost": GaugeMetricFamily("chatops_llm_cost_today_usd", "Spent today (UTC)", labels=labels),
        }
        for d in s.deployments:
            key = [d.name, d.kind, d.model]
            gauges["breaker"].add_metric(key, STATES.get(d.state, 2))
            gauges["in_flight"].add_metric(key, d.in_flight)
            gauges["p95"].add_metric(key, (d.p95_ms or 0.0) / 1000)
            gauges["errors"].add_metric(key, d.error_rate)
            gauges["cost"].add_metric(key, d.cost_today)
        yield from gauges.values()
        tokens = CounterMetricFamily("chatops_llm_tokens", "Tokens since start", labels=["kind", "model", "direction"])
        cost = CounterMetricFamily("chatops_llm_cost_usd", "Cost since start", labels=["kind", "model"])
        for kind, model, _, tin, tout, usd in s.totals:
            tokens.add_metric([kind, model, "in"], tin)
            tokens.add_metric([kind, model, "out"], tout)
            cost.add_metric([kind, model], usd)
        yield tokens
        yield cost
