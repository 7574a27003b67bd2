"""Execution rows as driver-level parameter tuples, for the hot inserts (enqueue, webhook deliveries).

SQLAlchemy's per-row bind processing costs more than the insert itself on the acknowledgement path, so
these paths encode the JSON columns here (msgspec) and hand the driver plain tuples. The values are the
ones SQLAlchemy would write: reading the rows back through the models gives the same objects.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from bot.storage.models import Status

EXEC_COLS = ("kind", "trigger", "source", "requester", "conversation", "text", "args", "locale", "priority", "status",
             "attempts", "max_attempts", "available_at", "affinity", "idempotency_key", "raw", "tokens_in", "tokens_out",
             "cost", "created_at", "roles")
_dumps = msgspec.json.Encoder().encode
_PENDING = Status.PENDING.value


@dataclass(frozen=True, slots=True)
class NewExecution:
    """An Execution row to insert; built only by the intake (bot/intake.py)."""

    kind: str
    trigger: str
    source: str
    requester: str
    conversation: dict[str, Any]
    text: str = ""
    args: dict[str, Any] | None = None
    locale: str = "en"
    priority: int = 0
    affinity: str | None = None
    idempotency_key: str | None = None
    raw: dict[str, Any] | None = None
    max_attempts: int = 3
    roles: str = ""  # comma-separated, as the gate found them


def json_text(value: Any) -> str | None:
    return None if value is None else _dumps(value).decode()


def exec_row(n: NewExecution, now: float) -> tuple[Any, ...]:
    """One execution in `EXEC_COLS` order."""
    return (n.kind, n.trigger, n.source, n.requester, json_text(n.conversation), n.text, json_text(n.args or {}),
            n.locale, n.priority, _PENDING, 0, n.max_attempts, now, n.affinity, n.idempotency_key, json_text(n.raw),
            0, 0, 0.0, now, n.roles)


class InsertSQL:
    """`INSERT INTO t (cols) VALUES (…), (…)` for a given row count, in the driver's parameter style, cached."""

    def __init__(self, paramstyle: str, quote: Any = lambda name: f'"{name}"') -> None:
        self._style, self._quote = paramstyle, quote
        self._cache: dict[tuple[str, tuple[str, ...], int], str] = {}

    def __call__(self, table: str, cols: tuple[str, ...], rows: int) -> str:
        key = (table, cols, rows)
        sql = self._cache.get(key)
        if sql is None:
            width = len(cols)

            def mark(i: int) -> str:
                return f"${i + 1}" if self._style == "numeric_dollar" else "%s" if self._style == "format" else "?"

            values = ", ".join("(" + ", ".join(mark(r * width + c) for c in range(width)) + ")" for r in range(rows))
            sql = f"INSERT INTO {self._quote(table)} ({', '.join(self._quote(c) for c in cols)}) VALUES {values}"
            if len(self._cache) < 1000:
                self._cache[key] = sql
        return sql
