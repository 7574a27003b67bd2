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

# -- label values from the outside world ------------------------------------------------------------
# Every label value a request can choose is one of a known set or "other": a label value is a time series,
# and a sender that picks them freely grows /metrics (and Prometheus) without bound.
OTHER = "other"

# GitHub's webhook event names (docs.github.com "Webhook events and payloads"), the ones the bot handles
# among them; anything else an `X-GitHub-Event` header says is counted as "other".
GITHUB_EVENTS = frozenset({
    "branch_protection_configuration", "branch_protection_rule", "check_run", "check_suite",
    "code_scanning_alert", "commit_comment", "create", "custom_property", "custom_property_values", "delete",
    "dependabot_alert", "deploy_key", "deployment", "deployment_protection_rule", "deployment_review",
    "deployment_status", "discussion", "discussion_comment", "fork", "github_app_authorization", "gollum",
    "installation", "installation_repositories", "installation_target", "issue_comment", "issue_dependencies",
    "issues", "label", "marketplace_purchase", "member", "membership", "merge_group", "meta", "milestone",
    "org_block", "organization", "package", "page_build", "personal_access_token_request", "ping",
    "project", "project_card", "project_column", "projects_v2", "projects_v2_item", "projects_v2_status_update",
    "public", "pull_request", "pull_request_review", "pull_request_review_comment",
    "pull_request_review_thread", "push", "registry_package", "release", "repository", "repository_advisory",
    "repository_dispatch", "repository_import", "repository_ruleset", "repository_vulnerability_alert",
    "secret_scanning_alert", "secret_scanning_alert_location", "secret_scanning_scan", "security_advisory",
    "security_and_analysis", "sponsorship", "star", "status", "sub_issues", "team", "team_add", "watch",
    "workflow_dispatch", "workflow_job", "workflow_run",
})


def bounded(value: str, known: frozenset[str]) -> str:
    """`value` when it is one of `known`, else "other": the label value to use for outside input."""
    return value if value in known else OTHER
