"""Storage of the GitHub edge: deliveries stored with their executions in one group commit, and the
review state of each PR (last reviewed head SHA, findings already raised)."""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

import msgspec

from bot.storage.models import GitHubDelivery, GitHubReview, Status
from bot.storage.store import EXEC, NewExecution

GHD = GitHubDelivery.__table__  # type: ignore[attr-defined]
GHR = GitHubReview.__table__  # type: ignore[attr-defined]

STORED, DUPLICATE = "stored", "duplicate"

_DELIVERY_COLS = ("delivery_id", "event", "action", "repo", "executions", "body", "received_at")
_EXEC_COLS = ("kind", "trigger", "source", "requester", "conversation", "text", "args", "locale", "priority", "status",
              "attempts", "max_attempts", "available_at", "affinity", "idempotency_key", "raw", "tokens_in", "tokens_out",
              "cost", "created_at")
_dumps = msgspec.json.Encoder().encode


def _json(value: Any) -> str | None:
    return None if value is None else _dumps(value).decode()


def _exec_row(n: NewExecution, now: float) -> tuple[Any, ...]:
    """The same values as `store._row`, JSON columns encoded here, in `_EXEC_COLS` order."""
    return (n.kind, n.trigger, n.source, n.requester, _json(n.conversation), n.text, _json(n.args or {}), n.locale,
            n.priority, Status.PENDING.value, 0, n.max_attempts, now, n.affinity, n.idempotency_key, _json(n.raw), 0, 0, 0.0, now)


@dataclass(frozen=True, slots=True)
class IncomingDelivery:
    delivery_id: str
    event: str
    action: str | None
    repo: str | None
    body: str
    executions: list[NewExecution] = field(default_factory=list)


class GitHubStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sql_cache: dict[tuple[str, int], str] = {}

    async def store_deliveries(self, batch: Sequence[IncomingDelivery]) -> list[str]:
        """One transaction for the whole batch; per item STORED or DUPLICATE (already seen)."""
        try:
            return await self._store(batch)
        except IntegrityError:
            # an idempotency key already stored (a delivery row lost by hand?): store what can be, one by one
            return [(await self._store([d]))[0] if await self._fresh(d) else DUPLICATE for d in batch]

    async def _fresh(self, d: IncomingDelivery) -> bool:
        async with self.engine.connect() as conn:
            found = await conn.execute(select(GHD.c.delivery_id).where(GHD.c.delivery_id == d.delivery_id))
            return found.first() is None

    async def _store(self, batch: Sequence[IncomingDelivery]) -> list[str]:
        now = time.time()
        fresh: dict[str, IncomingDelivery] = {}
        for d in batch:
            fresh.setdefault(d.delivery_id, d)
        params: list[Any] = []
        for d in fresh.values():
            params += (d.delivery_id, d.event, d.action, d.repo, len(d.executions), d.body, now)
        async with self.engine.begin() as conn:
            # one statement both dedupes and inserts: only the ids not stored before come back
            res = await conn.exec_driver_sql(self._insert_deliveries(len(fresh)), tuple(params))
            inserted = set(res.scalars())
            # The hot path of the webhook: driver-level executemany with JSON already encoded skips
            # SQLAlchemy's per-row bind processing (measured: ~150 µs → ~25 µs per delivery on SQLite).
            executions = [_exec_row(n, now) for i in inserted for n in fresh[i].executions]
            if executions:
                await conn.exec_driver_sql(self._sql(EXEC.name, _EXEC_COLS, 1), executions)
        outcome = []
        for d in batch:
            outcome.append(STORED if d.delivery_id in inserted else DUPLICATE)
            inserted.discard(d.delivery_id)  # a second copy in the same batch is a duplicate
        return outcome

    def _insert_deliveries(self, rows: int) -> str:
        base = self._sql(GHD.name, _DELIVERY_COLS, rows)
        return f"{base} ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id"

    def _sql(self, table: str, cols: tuple[str, ...], rows: int) -> str:
        key = (table, rows)
        sql = self._sql_cache.get(key)
        if sql is None:
            style = self.engine.dialect.paramstyle
            quote = self.engine.dialect.identifier_preparer.quote
            width = len(cols)

            def mark(i: int) -> str:
                return f"${i + 1}" if style == "numeric_dollar" else "%s" if style == "format" else "?"

            values = ", ".join("(" + ", ".join(mark(r * width + c) for c in range(width)) + ")" for r in range(rows))
            sql = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in cols)}) VALUES {values}"
            if len(self._sql_cache) < 1000:
                self._sql_cache[key] = sql
        return sql

    async def delivery(self, delivery_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(GHD).where(GHD.c.delivery_id == delivery_id))).mappings().first()
            return dict(row) if row else None

    # -- review state (implements commands.github.service.ReviewState) ----------------------------------
    async def get_review(self, repo: str, number: int) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(GHR).where(GHR.c.repo == repo, GHR.c.number == number))).mappings().first()
            return dict(row) if row else None

    async def save_review(self, repo: str, number: int, head_sha: str | None, findings: list[Any], notes: dict[str, Any]) -> None:
        now = time.time()
        values = {"head_sha": head_sha, "findings": findings, "notes": notes, "updated_at": now}
        for _ in range(2):  # two first reviews of one PR racing: the loser's insert fails, its update wins
            try:
                async with self.engine.begin() as conn:
                    res = await conn.execute(
                        update(GHR).where(GHR.c.repo == repo, GHR.c.number == number).values(rounds=GHR.c.rounds + 1, **values)
                    )
                    if res.rowcount == 0:
                        await conn.execute(insert(GHR).values(repo=repo, number=number, rounds=1, **values))
                return
            except IntegrityError:
                continue
