"""Prometheus metrics of the process (exposed at GET /metrics)."""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EXECUTIONS = Counter("chatops_executions_total", "Executions finished, by kind and status", ["kind", "status"])
EXECUTION_SECONDS = Histogram(
    "chatops_execution_duration_seconds",
    "Time from claim to finish, by kind",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
QUEUE_DEPTH = Gauge("chatops_queue_depth", "PENDING executions seen at the last poll")
RUNNING = Gauge("chatops_executions_running", "Executions running in this process")
DELIVERY_FAILURES = Counter("chatops_delivery_failures_total", "Replies that could not be delivered", ["platform"])
GITHUB_WEBHOOKS = Counter(
    "chatops_github_webhooks_total",
    "GitHub webhook deliveries by event and outcome (stored, duplicate, ignored, not_allowed, rejected reasons)",
    ["event", "outcome"],
)

# -- health checks and alerts (bot/health_tick.py, bot/alerting.py) --
HEALTH_TICKS = Counter("chatops_health_ticks_total", "Health checks run, by result", ["result"])
HEALTH_TICK_SECONDS = Histogram(
    "chatops_health_tick_duration_seconds", "Wall time of one health check (sample, store, rules, notify)",
    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
HEALTH_SAMPLE = Gauge("chatops_health_sample", "Last health sample value, by metric name", ["metric"])
ALERTS_ACTIVE = Gauge(
    "chatops_alerts_active", "Alerts by rule, severity and state (pending, firing, inhibited)", ["rule", "severity", "state"]
)
ALERT_NOTICES = Counter("chatops_alert_notices_total", "Alert notices delivered, by rule and action", ["rule", "action"])
REPORTS = Counter("chatops_reports_enqueued_total", "Scheduled reports enqueued, by slot outcome", ["outcome"])
