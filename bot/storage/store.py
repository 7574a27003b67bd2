"""The durable queue over the Execution table: enqueue, claim with a lease, heartbeat, finish.

Claiming is one atomic `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING`; on PostgreSQL the inner
SELECT adds `FOR UPDATE SKIP LOCKED` so that several workers never wait on each other, on SQLite the
database's single writer lock makes the statement the one claimer. A row whose lease expired is
claimable again, so a killed worker loses nothing.
"""
from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.batch import GroupCommit
from bot.storage.claimed import ClaimedExecution
from bot.storage.engine import backend_name
from bot.storage.github import GitHubStore, IncomingDelivery
from bot.storage.models import EXEC, ButtonPayload, Delivery, Status, table_of
from bot.storage.rows import EXEC_COLS, InsertSQL, NewExecution, exec_row
from bot.storage.sqlite_writer import writer_for

DELIV = table_of(Delivery)
BUTTONS = table_of(ButtonPayload)


@dataclass(frozen=True, slots=True)
class _Finish:
    execution_id: int
    owner: str
    status: Status
    fields: dict[str, Any]
    delivery: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Claim:
    """Which rows a worker may take: the shared queue, rows pinned to it, or both."""

    owner: str
    shared: bool = True
    pinned: str | None = None


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.backend = backend_name(engine)
        self._pg = self.backend == "postgresql"
        # SQLite has one writer: queueing writers here is far cheaper than its busy-retry sleeps. The hot
        # inserts go through a dedicated connection on its own thread, which shares this lock.
        self._writer = writer_for(engine)
        self._write_lock: asyncio.Lock | None = (
            None if self._pg else self._writer.lock if self._writer else asyncio.Lock()
        )
        self._insert_sql = InsertSQL(engine.dialect.paramstyle, engine.dialect.identifier_preparer.quote)
        self._enqueues: GroupCommit[NewExecution, int] = GroupCommit(self._enqueue_batch)
        self._finishes: GroupCommit[_Finish, bool] = GroupCommit(self._finish_batch)
        # GitHub deliveries and their executions, deduplicated on the delivery id, one transaction a batch
        self.github = GitHubStore(engine)
        self._deliveries: GroupCommit[IncomingDelivery, str] = GroupCommit(self.github.store_deliveries, max_batch=500)

    @property
    def enqueue_batches(self) -> int:
        """Transactions the enqueue group commit has made (tests and benchmarks)."""
        return self._enqueues.flushes

    async def aclose(self) -> None:
        """Commit what the group-commit queues still hold, then stop their flushers."""
        await self._deliveries.aclose()
        await self._enqueues.aclose()
        await self._finishes.aclose()
        if self._writer is not None:
            await self._writer.aclose()

    @contextlib.asynccontextmanager
    async def _tx(self) -> AsyncIterator[AsyncConnection]:
        lock = self._write_lock or contextlib.nullcontext()
        async with lock, self.engine.begin() as conn:
            yield conn

    # -- writing work -----------------------------------------------------------------------------
    async def enqueue(self, new: NewExecution) -> int:
        """Store one execution durably (group-committed with concurrent callers) and return its id.

        With an idempotency key that is already stored, the existing id is returned.
        """
        return await self._enqueues.submit(new)

    async def enqueue_delivery(self, delivery: IncomingDelivery) -> str:
        """A webhook delivery with its executions (group-committed): STORED, or DUPLICATE when its id is known."""
        return await self._deliveries.submit(delivery)

    @property
    def delivery_batches(self) -> tuple[int, int]:
        """(transactions, deliveries) of the delivery group commit so far (benchmarks)."""
        return self._deliveries.flushes, self._deliveries.items

    async def find_key(self, idempotency_key: str) -> int | None:
        """The execution stored under this idempotency key, if any."""
        async with self.engine.connect() as conn:
            found = await conn.execute(select(EXEC.c.id).where(EXEC.c.idempotency_key == idempotency_key))
            return found.scalar()

    async def enqueue_many(self, items: Sequence[NewExecution]) -> list[int]:
        """Many executions in one transaction (benchmarks, bursts)."""
        return list(await self._enqueue_batch(items)) if items else []

    async def _enqueue_batch(self, items: Sequence[NewExecution]) -> list[int]:
        now = time.time()
        params = [value for n in items for value in exec_row(n, now)]
        sql = self._insert_sql(EXEC.name, EXEC_COLS, len(items))
        try:
            if self._writer is not None:
                return await self._writer.transaction(lambda conn: _inserted_ids(conn.execute(sql, params), len(items)))
            async with self._tx() as conn:
                ids = (await conn.exec_driver_sql(sql + " RETURNING id", tuple(params))).scalars()
            # One multi-row INSERT assigns ascending ids in the order of its VALUES, but RETURNING may
            # list them in any order: sorted, they line up with `items`.
            return sorted(int(i) for i in ids)
        except (IntegrityError, sqlite3.IntegrityError):
            if len(items) == 1:
                if items[0].idempotency_key is None:
                    raise
                return [await self._existing(items[0].idempotency_key)]
            # a duplicate idempotency key spoiled the batch: settle each item on its own
            return [(await self._enqueue_batch([item]))[0] for item in items]

    async def _existing(self, idempotency_key: str) -> int:
        found = await self.find_key(idempotency_key)
        if found is None:
            raise LookupError(f"no execution under {idempotency_key!r}")
        return found

    # -- claiming ---------------------------------------------------------------------------------
    async def claim(self, claim: Claim, limit: int, lease_seconds: float) -> list[ClaimedExecution]:
        now = time.time()
        claimable = or_(
            and_(EXEC.c.status == Status.PENDING, EXEC.c.available_at <= now),
            and_(
                EXEC.c.status == Status.RUNNING,
                EXEC.c.lease_expires_at < now,
                EXEC.c.attempts < EXEC.c.max_attempts,
            ),
        )
        scope: list[ColumnElement[bool]] = []
        if claim.shared:
            scope.append(EXEC.c.affinity.is_(None))
        if claim.pinned is not None:
            scope.append(EXEC.c.affinity == claim.pinned)
        inner = (
            select(EXEC.c.id)
            .where(claimable, or_(*scope))
            .order_by(EXEC.c.priority, EXEC.c.id)
            .limit(limit)
        )
        if self._pg:
            inner = inner.with_for_update(skip_locked=True)
        stmt = (
            update(EXEC)
            .where(EXEC.c.id.in_(inner.scalar_subquery()))
            .values(
                status=Status.RUNNING,
                lease_owner=claim.owner,
                lease_expires_at=now + lease_seconds,
                attempts=EXEC.c.attempts + 1,
                started_at=func.coalesce(EXEC.c.started_at, now),
            )
            .returning(*EXEC.c)
        )
        async with self._tx() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        return sorted((ClaimedExecution.from_row(r) for r in rows), key=lambda r: (r.priority, r.id))

    async def give_up_exhausted(self) -> None:
        """A row whose lease expired after its last attempt is failed, not retried forever."""
        now = time.time()
        stmt = (
            update(EXEC)
            .where(
                EXEC.c.status == Status.RUNNING,
                EXEC.c.lease_expires_at < now,
                EXEC.c.attempts >= EXEC.c.max_attempts,
            )
            .values(
                status=Status.FAILED,
                finished_at=now,
                lease_owner=None,
                error=func.coalesce(EXEC.c.error, "gave up: the worker running it stopped responding"),
            )
        )
        async with self._tx() as conn:
            await conn.execute(stmt)

    async def renew(self, owner: str, ids: Iterable[int], lease_seconds: float) -> None:
        ids = list(ids)
        if not ids:
            return
        async with self._tx() as conn:
            await conn.execute(
                update(EXEC)
                .where(EXEC.c.id.in_(ids), EXEC.c.lease_owner == owner, EXEC.c.status == Status.RUNNING)
                .values(lease_expires_at=time.time() + lease_seconds)
            )

    # -- finishing --------------------------------------------------------------------------------
    async def save_reply(self, execution_id: int, owner: str, fields: dict[str, Any]) -> bool:
        """Keep the handler's result before delivering it, so a crash in delivery does not re-run it."""
        async with self._tx() as conn:
            res = await conn.execute(
                update(EXEC).where(EXEC.c.id == execution_id, EXEC.c.lease_owner == owner).values(**fields)
            )
            return res.rowcount == 1

    async def finish(
        self, execution_id: int, owner: str, status: Status, fields: dict[str, Any], delivery: dict[str, Any] | None
    ) -> bool:
        """Mark done and record the final delivery in one transaction; False if the lease was lost.

        Concurrent finishes are group-committed.
        """
        return await self._finishes.submit(_Finish(execution_id, owner, status, fields, delivery))

    async def _finish_batch(self, items: Sequence[_Finish]) -> list[bool]:
        now = time.time()
        ok = [True] * len(items)
        async with self._tx() as conn:
            # one executemany per shape of `fields`; per-row checks only when some lease was lost
            groups: dict[tuple[str, ...], list[int]] = {}
            for i, f in enumerate(items):
                groups.setdefault(tuple(sorted(f.fields)), []).append(i)
            for keys, indexes in groups.items():
                stmt = (
                    update(EXEC)
                    .where(
                        EXEC.c.id == bindparam("_id"), EXEC.c.lease_owner == bindparam("_owner"),
                        EXEC.c.status == Status.RUNNING,
                    )
                    .values(
                        status=bindparam("_status"), finished_at=now, lease_expires_at=None,
                        **{k: bindparam(k) for k in keys},
                    )
                )
                params = [
                    {"_id": items[i].execution_id, "_owner": items[i].owner, "_status": items[i].status, **items[i].fields}
                    for i in indexes
                ]
                res = await conn.execute(stmt, params)
                if res.rowcount != len(params):  # a lease was lost: find which rows this batch finished
                    ids = [items[i].execution_id for i in indexes]
                    found = await conn.execute(
                        select(EXEC.c.id, EXEC.c.lease_owner).where(EXEC.c.id.in_(ids), EXEC.c.finished_at == now)
                    )
                    mine = {(eid, owner) for eid, owner in found.all()}
                    for i in indexes:
                        ok[i] = (items[i].execution_id, items[i].owner) in mine
            deliveries = [
                {"created_at": now, "execution_id": f.execution_id, **f.delivery}
                for f, done in zip(items, ok, strict=True)  # ok has one flag per item
                if done and f.delivery is not None
            ]
            if deliveries:
                await conn.execute(insert(DELIV), deliveries)
        return ok

    async def retry_later(self, execution_id: int, owner: str, error: str, delay: float) -> None:
        async with self._tx() as conn:
            await conn.execute(
                update(EXEC)
                .where(EXEC.c.id == execution_id, EXEC.c.lease_owner == owner)
                .values(
                    status=Status.PENDING, lease_owner=None, lease_expires_at=None,
                    available_at=time.time() + delay, error=error,
                )
            )

    # -- deliveries -------------------------------------------------------------------------------
    async def deliveries(self, execution_id: int) -> dict[str, str | None]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(DELIV.c.key, DELIV.c.message_ref).where(DELIV.c.execution_id == execution_id)
            )
            return {k: ref for k, ref in rows.all()}

    async def record_delivery(self, execution_id: int, key: str, platform: str, message_ref: str | None) -> None:
        async with self._tx() as conn:
            await conn.execute(
                insert(DELIV).values(
                    key=key, execution_id=execution_id, platform=platform, message_ref=message_ref, created_at=time.time()
                )
            )

    # -- reading ----------------------------------------------------------------------------------
    async def get(self, execution_id: int) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(EXEC).where(EXEC.c.id == execution_id))).mappings().first()
            return dict(row) if row else None

    async def wait_finished(self, execution_id: int, timeout: float, poll: float = 0.05) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            row = await self.get(execution_id)
            if row is None:
                raise LookupError(f"execution {execution_id} does not exist")
            if row["status"] in (Status.COMPLETED, Status.FAILED) or time.monotonic() > deadline:
                return row
            await asyncio.sleep(poll)

    async def counts(self, since: float) -> tuple[int, int, dict[str, int]]:
        """(pending, running, {status: n created since `since`})."""
        async with self.engine.connect() as conn:
            live: dict[str, int] = dict(
                (await conn.execute(
                    select(EXEC.c.status, func.count())
                    .where(EXEC.c.status.in_([Status.PENDING, Status.RUNNING]))
                    .group_by(EXEC.c.status)
                )).all()
            )
            recent: dict[str, int] = dict(
                (await conn.execute(
                    select(EXEC.c.status, func.count()).where(EXEC.c.created_at >= since).group_by(EXEC.c.status)
                )).all()
            )
        return int(live.get(Status.PENDING, 0)), int(live.get(Status.RUNNING, 0)), {k: int(v) for k, v in recent.items()}

    # -- long button payloads -----------------------------------------------------------------------
    async def remember_buttons(self, lines: dict[str, str]) -> None:
        """Store `{key: command line}` for buttons whose id would be too long; keys already stored stay, their
        time refreshed."""
        now = time.time()
        with contextlib.suppress(IntegrityError):  # another process stored the same key (same line) first
            async with self._tx() as conn:
                known = set((await conn.execute(select(BUTTONS.c.key).where(BUTTONS.c.key.in_(list(lines))))).scalars())
                fresh = [{"key": k, "line": v, "created_at": now} for k, v in lines.items() if k not in known]
                if fresh:
                    await conn.execute(insert(BUTTONS), fresh)
                if known:  # posted again: its retention counts from now (`purge_buttons`)
                    await conn.execute(update(BUTTONS).where(BUTTONS.c.key.in_(list(known))).values(created_at=now))

    async def purge_buttons(self, older_than: float) -> int:
        """Forget button lines last posted before `older_than`; a click on one then asks to run the command again."""
        async with self._tx() as conn:
            return int((await conn.execute(delete(BUTTONS).where(BUTTONS.c.created_at < older_than))).rowcount or 0)

    async def button_line(self, key: str) -> str | None:
        async with self.engine.connect() as conn:
            return (await conn.execute(select(BUTTONS.c.line).where(BUTTONS.c.key == key))).scalar_one_or_none()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(select(1))


def _inserted_ids(cursor: sqlite3.Cursor, expected: int) -> list[int]:
    """The ids of one multi-row INSERT on SQLite, in VALUES order, without RETURNING.

    A rowid table without AUTOINCREMENT gives each new row max(rowid) + 1, so one statement's rows get
    consecutive ids ending at `lastrowid`. RETURNING would hand over one row per step, and each step
    passes the GIL between the writer thread and the event loop.
    """
    if cursor.rowcount != expected or cursor.lastrowid is None:
        raise RuntimeError(f"inserted {cursor.rowcount} executions of {expected}")
    last = cursor.lastrowid
    return list(range(last - expected + 1, last + 1))
