"""Storage of the GitHub edge: deliveries stored with their executions in one group commit, and the
review state of each PR (last reviewed head SHA, findings already raised)."""
from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.models import EXEC, GitHubDelivery, GitHubReview, table_of
from bot.storage.rows import EXEC_COLS, InsertSQL, NewExecution, exec_row
from bot.storage.sqlite_writer import writer_for

GHD = table_of(GitHubDelivery)
GHR = table_of(GitHubReview)

STORED, DUPLICATE = "stored", "duplicate"

_DELIVERY_COLS = ("delivery_id", "event", "action", "repo", "executions", "body", "received_at")
_ROWS_PER_STATEMENT = 1000  # 20 columns each: well under SQLite's 32 766 bound parameters


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
        self._writer = writer_for(engine)  # SQLite: the hot inserts' own connection and thread
        self._sql = InsertSQL(engine.dialect.paramstyle, engine.dialect.identifier_preparer.quote)

    @contextlib.asynccontextmanager
    async def _tx(self) -> AsyncIterator[AsyncConnection]:
        """An engine transaction; on SQLite it queues behind the writer's lock, as the Store's do, instead
        of meeting SQLite's busy handler while a webhook batch commits."""
        async with (self._writer.lock if self._writer else contextlib.nullcontext()), self.engine.begin() as conn:
            yield conn

    async def store_deliveries(self, batch: Sequence[IncomingDelivery]) -> list[str]:
        """One transaction for the whole batch; per item STORED or DUPLICATE (already seen)."""
        try:
            return await self._store(batch)
        except (IntegrityError, sqlite3.IntegrityError):
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
        if self._writer is not None:
            inserted = await self._store_sqlite(fresh, now)
        else:
            params: list[Any] = []
            for d in fresh.values():
                params += (d.delivery_id, d.event, d.action, d.repo, len(d.executions), d.body, now)
            async with self.engine.begin() as conn:
                # one statement both dedupes and inserts: only the ids not stored before come back
                res = await conn.exec_driver_sql(self._insert_deliveries(len(fresh)), tuple(params))
                inserted = set(res.scalars())
                rows = [exec_row(n, now) for i in inserted for n in fresh[i].executions]
                if rows:
                    await conn.exec_driver_sql(self._sql(EXEC.name, EXEC_COLS, 1), rows)
        outcome = []
        for d in batch:
            outcome.append(STORED if d.delivery_id in inserted else DUPLICATE)
            inserted.discard(d.delivery_id)  # a second copy in the same batch is a duplicate
        return outcome

    async def _store_sqlite(self, fresh: dict[str, IncomingDelivery], now: float) -> set[str]:
        """The same on the SQLite writer, in as few statements as possible: each statement hands the GIL
        back and forth between the writer thread and the event loop, which costs more than the insert."""
        assert self._writer is not None
        ids = list(fresh)
        deliveries = {d.delivery_id: (d.delivery_id, d.event, d.action, d.repo, len(d.executions), d.body, now)
                      for d in fresh.values()}
        executions = {i: [exec_row(n, now) for n in d.executions] for i, d in fresh.items()}
        known = f"SELECT delivery_id FROM {GHD.name} WHERE delivery_id IN ({', '.join('?' * len(ids))})"

        def write(conn: sqlite3.Connection) -> set[str]:
            # inside BEGIN IMMEDIATE this process's writer is the only one: look up, then insert
            seen = {r[0] for r in conn.execute(known, ids)}
            new = [i for i in ids if i not in seen]
            if new:
                conn.execute(self._sql(GHD.name, _DELIVERY_COLS, len(new)), [v for i in new for v in deliveries[i]])
                rows = [row for i in new for row in executions[i]]
                for start in range(0, len(rows), _ROWS_PER_STATEMENT):
                    chunk = rows[start:start + _ROWS_PER_STATEMENT]
                    conn.execute(self._sql(EXEC.name, EXEC_COLS, len(chunk)), [v for row in chunk for v in row])
            return set(new)

        return await self._writer.transaction(write)

    def _insert_deliveries(self, rows: int) -> str:
        return f"{self._sql(GHD.name, _DELIVERY_COLS, rows)} ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id"

    async def delivery(self, delivery_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(GHD).where(GHD.c.delivery_id == delivery_id))).mappings().first()
            return dict(row) if row else None

    async def purge_deliveries(self, older_than: float) -> int:
        """Forget delivery ids received before `older_than` (their executions stay). GitHub redelivers only
        recent deliveries, so an old id can no longer come back to be deduplicated."""
        async with self._tx() as conn:
            return int((await conn.execute(delete(GHD).where(GHD.c.received_at < older_than))).rowcount or 0)

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
                async with self._tx() as conn:
                    res = await conn.execute(
                        update(GHR).where(GHR.c.repo == repo, GHR.c.number == number).values(rounds=GHR.c.rounds + 1, **values)
                    )
                    if res.rowcount == 0:
                        await conn.execute(insert(GHR).values(repo=repo, number=number, rounds=1, **values))
                return
            except IntegrityError:
                continue
