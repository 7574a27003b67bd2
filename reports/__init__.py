"""Metric sampling, alert rules, analytics and charts. Returns data; never posts or builds Replies.

The names below are the package's public surface: other rooms import them from `reports`, not from its
modules. They are loaded on first use (PEP 562), so `import reports` does not import SQLAlchemy, psutil or
matplotlib until a name is used.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reports.alert_state import AlertStore as AlertStore
    from reports.alerts import Notice as Notice
    from reports.analytics import Stat as Stat
    from reports.process import human_bytes as human_bytes
    from reports.process import process_stats as process_stats
    from reports.report import ReportData as ReportData
    from reports.rules import Rule as Rule
    from reports.rules import RuleError as RuleError
    from reports.sample_store import SampleStore as SampleStore
    from reports.service import WINDOWS as WINDOWS
    from reports.service import ReportsService as ReportsService
    from reports.service import TickResult as TickResult
    from reports.settings import ReportsSettings as ReportsSettings
    from reports.tables import SAMPLE as SAMPLE

# Where each public name lives; the TYPE_CHECKING block above says the same to mypy (a test keeps them equal).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "reports.alert_state": ("AlertStore",),
    "reports.alerts": ("Notice",),
    "reports.analytics": ("Stat",),
    "reports.process": ("human_bytes", "process_stats"),
    "reports.report": ("ReportData",),
    "reports.rules": ("Rule", "RuleError"),
    "reports.sample_store": ("SampleStore",),
    "reports.service": ("WINDOWS", "ReportsService", "TickResult"),
    "reports.settings": ("ReportsSettings",),
    "reports.tables": ("SAMPLE",),
}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "SAMPLE",
    "WINDOWS",
    "AlertStore",
    "Notice",
    "ReportData",
    "ReportsService",
    "ReportsSettings",
    "Rule",
    "RuleError",
    "SampleStore",
    "Stat",
    "TickResult",
    "human_bytes",
    "process_stats",
]

if not TYPE_CHECKING:  # hidden from mypy, which would otherwise type every unknown `reports.X` as Any

    def __getattr__(name: str) -> Any:
        module = _HOME.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later look-ups skip this hook
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
