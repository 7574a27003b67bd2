"""Deterministic health inputs: a clock the test moves, and a probe whose readings the test sets."""
from __future__ import annotations

from typing import Any


class ManualClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


class ScriptedProbe:
    """Stands in for psutil: `read()` returns what the test put in `values` (nested like SystemProbe)."""

    def __init__(self, **values: Any) -> None:
        self.values: dict[str, Any] = {"system": {"cpu_percent": 10.0, "memory_percent": 40.0}, **values}
        self.reads = 0

    def set(self, **system: float) -> None:
        self.values["system"].update(system)

    def read(self) -> dict[str, Any]:
        self.reads += 1
        return {k: dict(v) if isinstance(v, dict) else v for k, v in self.values.items()}
