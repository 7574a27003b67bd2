"""The rules file: both spellings, durations, globs, defaults, and errors that name file, rule and field."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import StartupError, open_bot
from reports.rules import RuleError, default_rules, load_rules, parse_duration


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "rules.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_expr_and_metric_forms_load_with_durations_and_defaults(tmp_path: Path) -> None:
    rules = load_rules(write(tmp_path, """
[[rule]]
name = "cpu"
expr = "system.cpu_percent >= 90.5"
for = "2m"
severity = "critical"
route = "slack:C1"
repeat = "30m"

[[rule]]
name = "queue"
metric = "executions.queue_depth"
op = ">"
threshold = 50
"""), repeat_seconds=900)
    cpu, queue = rules
    assert (cpu.metric, cpu.op, cpu.threshold, cpu.for_seconds, cpu.repeat_seconds) == ("system.cpu_percent", ">=", 90.5, 120, 1800)
    assert cpu.route == "slack:C1" and cpu.severity == "critical"
    assert (queue.op, queue.threshold, queue.for_seconds, queue.repeat_seconds, queue.severity) == (">", 50, 0, 900, "warning")
    assert queue.matches(51) and not queue.matches(50)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rule]]\nname='a'\nexpr='cpu >> 3'", "rule #1 (a): expr 'cpu >> 3' must look like"),
        ("[[rule]]\nname='a'\nexpr='x > 1'\nseverity='page'", "severity 'page' must be one of critical, warning, info"),
        ("[[rule]]\nname='a'\nexpr='x > 1'\nfor='soon'", "for: 'soon' is not a duration"),
        ("[[rule]]\nname='a'\nexpr='x > 1'\nthresh=3", "unknown field(s) thresh"),
        ("[[rule]]\nname='a'\nmetric='x'", "`threshold` must be a number"),
        ("[[rule]]\nname='a'\nexpr='x > 1'\n[[rule]]\nname='a'\nexpr='y > 1'", "rule 'a' is defined twice"),
        ("title = 'no rules'", "no [[rule]] tables found"),
        ("[[rule]\n", "not valid TOML"),
    ],
)
def test_bad_rules_files_are_rejected_with_the_reason(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RuleError) as e:
        load_rules(path)
    assert message in str(e.value) and str(path) in str(e.value)


def test_glob_metric_yields_one_alert_per_target() -> None:
    rule = next(r for r in default_rules() if r.name == "breaker_open")
    values = {"pool.breakers.openai/gpt-4o": 1.0, "pool.breakers.ollama/llama": 0.0, "pool.active_workers": 4.0}
    assert dict(rule.select(values)) == {"openai/gpt-4o": 1.0, "ollama/llama": 0.0}
    assert rule.describe(1.0, "openai/gpt-4o") == "circuit breaker open: openai/gpt-4o"


def test_defaults_follow_the_issue_and_the_budget_rule_needs_a_budget() -> None:
    names = {r.name: r for r in default_rules()}
    assert (names["cpu_high"].severity, names["cpu_high"].op, names["cpu_high"].threshold) == ("critical", ">=", 90)
    assert (names["memory_high"].severity, names["memory_high"].threshold) == ("warning", 85)
    assert (names["workers_low"].op, names["workers_low"].threshold, names["workers_low"].severity) == ("<", 3, "critical")
    assert "daily_cost" not in names
    budget = {r.name: r for r in default_rules(daily_cost_budget=5.0)}["daily_cost"]
    assert budget.threshold == 5.0 and budget.metric == "executions.cost_today"


def test_durations() -> None:
    assert [parse_duration(v, "x") for v in ("30s", "5m", "1h", "1.5h", 90, "250ms", "1d")] == [30, 300, 3600, 5400, 90, 0.25, 86400]


async def test_a_bad_rules_file_stops_start_up_with_one_line(make_settings, tmp_path: Path) -> None:
    path = write(tmp_path, "[[rule]]\nname='a'\nexpr='x > 1'\nseverity='loud'")
    settings = make_settings(reports={"alert_rules_file": str(path)})
    with pytest.raises(StartupError) as e:
        async with open_bot(settings):
            pass
    assert str(e.value).startswith("alert rules: ") and "severity 'loud'" in str(e.value)


def test_unknown_report_timezone_is_a_config_error(make_settings) -> None:
    from bot.settings import ConfigError

    with pytest.raises(ConfigError) as e:
        make_settings(reports={"report_timezone": "Mars/Olympus"})
    assert "REPORT_TIMEZONE" in str(e.value) and "unknown time zone" in str(e.value)
