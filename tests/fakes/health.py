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


def execution_rows(n: int, now: float, *, hours: float = 24.0, seed: int = 7) -> list[dict[str, Any]]:
    """`n` finished executions spread over the last `hours`: three models, three commands, ~5 % failures."""
    import random

    rng = random.Random(seed)
    models = [("openai", "gpt-4o", 0.01), ("openai", "gpt-4o-mini", 0.001), ("anthropic", "claude-haiku", 0.002)]
    rows = []
    for i in range(n):
        provider, model, price = models[i % 3]
        created = now - hours * 3600 * rng.random()
        failed = rng.random() < 0.05
        latency = rng.lognormvariate(6.5, 0.6)  # ~ 665 ms median
        rows.append({
            "kind": ("ask", "review", "report")[i % 3 if i % 7 else 0], "trigger": "chat", "source": "console",
            "requester": "u", "conversation": {"platform": "console", "channel": "x"}, "text": "", "args": {},
            "locale": "en", "priority": 0, "status": "FAILED" if failed else "COMPLETED", "attempts": 1,
            "max_attempts": 3, "available_at": created, "provider": provider, "model": model,
            "tokens_in": 100, "tokens_out": 50, "cost": price, "latency_ms": latency, "error": "x" if failed else None,
            "created_at": created, "started_at": created, "finished_at": created + latency / 1000,
        })
    return rows


async def insert_executions(engine: Any, rows: list[dict[str, Any]]) -> None:
    from sqlalchemy import insert

    from bot.storage.models import Execution

    table = Execution.__table__  # type: ignore[attr-defined]
    async with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            await conn.execute(insert(table), rows[i:i + 5000])
