"""Alert rules: defaults, and the TOML file (ALERT_RULES_FILE) that replaces them.

    [[rule]]
    name = "cpu_high"                      # unique; used by /alerts ack|silence
    expr = "system.cpu_percent >= 90"      # or: metric = "…", op = ">=", threshold = 90
    for = "1m"                             # how long the condition holds before firing (s, m, h)
    severity = "critical"                  # critical | warning | info
    kind = "cpu"                           # a critical inhibits a warning of the same kind and target
    route = "slack:C0123"                  # targets like ALERT_CHANNEL; empty: ALERT_CHANNEL
    repeat = "1h"                          # reminder interval while firing and not acknowledged
    summary = "CPU {value:.0f}%"           # optional; {value} {threshold} {target} {op}

A `metric` may end in `.*` (or contain `*`): every matching sample name is one alert of the rule, its
target the part matched by `*` (e.g. `pool.breakers.*` → one alert per deployment).
"""
from __future__ import annotations

import fnmatch
import operator
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne,
}
SEVERITIES = ("critical", "warning", "info")
_EXPR = re.compile(r"^\s*([\w.*/:\-]+)\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


class RuleError(ValueError):
    """A rules file that cannot be used; the text names the file, the rule and the field."""


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    metric: str
    op: str
    threshold: float
    for_seconds: float = 0.0
    severity: str = "warning"
    kind: str = ""
    route: str | None = None
    repeat_seconds: float = 3600.0
    summary: str = ""

    @property
    def group_kind(self) -> str:
        return self.kind or self.name

    def matches(self, value: float) -> bool:
        return OPS[self.op](value, self.threshold)

    def select(self, values: dict[str, float]) -> Iterator[tuple[str, float]]:
        """(target, value) for each sample name this rule watches; target "" for a plain metric."""
        if "*" not in self.metric:
            if self.metric in values:
                yield "", values[self.metric]
            return
        head, _, tail = self.metric.partition("*")
        for name, value in values.items():
            if fnmatch.fnmatchcase(name, self.metric):
                yield name[len(head): len(name) - len(tail) if tail else None], value

    def describe(self, value: float, target: str = "") -> str:
        if self.summary:
            try:
                return self.summary.format(value=value, threshold=self.threshold, target=target, op=self.op)
            except (KeyError, ValueError, IndexError):
                pass
        return f"{self.metric.replace('*', target or '*')} = {value:g} ({self.op} {self.threshold:g})"


def parse_duration(value: Any, what: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    m = _DURATION.match(str(value))
    if not m:
        raise RuleError(f"{what}: {value!r} is not a duration (e.g. 30s, 5m, 1h)")
    return float(m.group(1)) * _UNITS[m.group(2)]


def default_rules(
    *, repeat_seconds: float = 3600.0, min_active_workers: int = 3, daily_cost_budget: float | None = None
) -> list[Rule]:
    """The defaults of the system this bot replaces."""
    r = repeat_seconds
    rules = [
        Rule("cpu_high", "system.cpu_percent", ">=", 90, 60, "critical", "cpu", None, r, "CPU {value:.0f}% (≥ {threshold:.0f}%)"),
        Rule("memory_high", "system.memory_percent", ">=", 85, 60, "warning", "memory", None, r,
             "memory {value:.0f}% (≥ {threshold:.0f}%)"),
        Rule("workers_low", "pool.active_workers", "<", min_active_workers, 30, "critical", "workers", None, r,
             "{value:.0f} active LLM workers (< {threshold:.0f})"),
        Rule("error_rate_high", "executions.error_rate_percent", ">", 10, 120, "warning", "errors", None, r,
             "error rate {value:.1f}% over 15 min (> {threshold:.0f}%)"),
        Rule("latency_p95_high", "executions.latency_p95_s", ">", 10, 120, "warning", "latency", None, r,
             "p95 latency {value:.1f}s over 15 min (> {threshold:.0f}s)"),
        Rule("throughput_drop", "executions.throughput_drop_percent", ">", 50, 600, "warning", "throughput", None, r,
             "throughput down {value:.0f}% against the trailing 24 h (> {threshold:.0f}%)"),
        Rule("breaker_open", "pool.breakers.*", ">=", 1, 0, "warning", "breaker", None, r, "circuit breaker open: {target}"),
        Rule("budget_exceeded", "pool.budget_exceeded.*", ">=", 1, 0, "warning", "cost", None, r,
             "LLM budget exceeded today: {target}"),
        Rule("provider_down", "providers.up.*", "<", 1, 60, "warning", "provider", None, r, "MCP server down: {target}"),
    ]
    if daily_cost_budget is not None:
        rules.append(Rule("daily_cost", "executions.cost_today", ">", daily_cost_budget, 0, "warning", "cost", None, r,
                          "LLM cost today ${value:.2f} (budget ${threshold:.2f})"))
    return rules


def load_rules(path: Path, *, repeat_seconds: float = 3600.0) -> list[Rule]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise RuleError(f"{path}: cannot read: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise RuleError(f"{path}: not valid TOML: {e}") from None
    entries = data.get("rule")
    if not isinstance(entries, list) or not entries:
        raise RuleError(f"{path}: no [[rule]] tables found")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, 1):
        rule = _rule(entry, f"{path}: rule #{i}", repeat_seconds)
        if rule.name in seen:
            raise RuleError(f"{path}: rule {rule.name!r} is defined twice")
        seen.add(rule.name)
        rules.append(rule)
    return rules


def _rule(entry: dict[str, Any], where: str, repeat_seconds: float) -> Rule:
    known = {"name", "expr", "metric", "op", "threshold", "for", "severity", "kind", "route", "repeat", "summary"}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise RuleError(f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    name = entry.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
        raise RuleError(f"{where}: `name` must be a word of letters, digits, _ . -")
    where = f"{where} ({name})"
    if "expr" in entry:
        m = _EXPR.match(str(entry["expr"]))
        if not m:
            raise RuleError(f"{where}: expr {entry['expr']!r} must look like `system.cpu_percent >= 90`")
        metric, op, threshold = m.group(1), m.group(2), float(m.group(3))
    else:
        raw_metric, op, raw_threshold = entry.get("metric"), entry.get("op", ">"), entry.get("threshold")
        if not isinstance(raw_metric, str) or not raw_metric:
            raise RuleError(f"{where}: needs `expr` or `metric` + `threshold`")
        if not isinstance(raw_threshold, (int, float)) or isinstance(raw_threshold, bool):
            raise RuleError(f"{where}: `threshold` must be a number")
        metric, threshold = raw_metric, float(raw_threshold)
    if op not in OPS:
        raise RuleError(f"{where}: op {op!r} must be one of {' '.join(OPS)}")
    severity = entry.get("severity", "warning")
    if severity not in SEVERITIES:
        raise RuleError(f"{where}: severity {severity!r} must be one of {', '.join(SEVERITIES)}")
    rule = Rule(name, metric, op, threshold, severity=severity, repeat_seconds=repeat_seconds)
    if "for" in entry:
        rule = replace(rule, for_seconds=parse_duration(entry["for"], f"{where}: for"))
    if "repeat" in entry:
        rule = replace(rule, repeat_seconds=parse_duration(entry["repeat"], f"{where}: repeat"))
    if rule.repeat_seconds <= 0:
        raise RuleError(f"{where}: repeat must be positive")
    return replace(
        rule, kind=str(entry.get("kind", "")), route=entry.get("route") or None, summary=str(entry.get("summary", ""))
    )
