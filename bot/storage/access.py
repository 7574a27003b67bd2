"""Run-time role grants and the audit trail.

Grants (`/access grant|revoke`) are rows of `access_grant`; every change writes its audit row in the same
transaction. The audit trail is two tables read as one: `audit_event` (refusals, access changes, web
logins) and `execution` (every admitted command, button and GitHub job, with its tools, model, tokens and
cost: an admitted request is recorded by the row that runs it, so the acknowledgement path writes no
second row). `audit()` merges both, newest first.
"""
from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.models import AUDIT, EXEC, GRANTS
from bot.storage.sqlite_writer import writer_for

_SECRET_KEY = re.compile(r"pass|secret|token|key|auth|credential", re.IGNORECASE)
MASK = "•••"
# `password=hunter2`, `api_key: "…"` inside a typed command line kept with a refusal
_SECRET_PAIR = re.compile(r"(\b[\w.-]*(?:pass|secret|token|key|auth|credential)[\w.-]*\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|\S+)",
                          re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Grant:
    subject: str
    role: str
    granted_by: str
    granted_at: float


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: float
    actor: str
    place: str
    action: str
    outcome: str
    target: str | None = None
    detail: dict[str, Any] | None = None
    execution_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at, "actor": self.actor, "place": self.place, "action": self.action,
                "outcome": self.outcome, "target": self.target, "detail": self.detail,
                "execution_id": self.execution_id}


def mask(value: Any) -> Any:
    """Arguments as they may be shown and kept: the values of secret-looking keys replaced."""
    if isinstance(value, dict):
        return {k: MASK if isinstance(k, str) and _SECRET_KEY.search(k) else mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if isinstance(value, str):
        return _SECRET_PAIR.sub(lambda m: m.group(1) + MASK, value)
    return value


class AccessStore:
    def __init__(self, engine: AsyncEngine, clock: Callable[[], float] = time.time) -> None:
        self.engine, self.clock = engine, clock
        self._writer = writer_for(engine)

    @contextlib.asynccontextmanager
    async def _tx(self) -> AsyncIterator[AsyncConnection]:
        # SQLite: queue behind the hot writer's lock rather than meet SQLite's busy handler
        async with (self._writer.lock if self._writer else contextlib.nullcontext()), self.engine.begin() as conn:
            yield conn

    # -- grants ----------------------------------------------------------------------------------------------
    async def grants(self, subject: str | None = None) -> list[Grant]:
        query = select(GRANTS.c.subject, GRANTS.c.role, GRANTS.c.granted_by, GRANTS.c.granted_at).order_by(
            GRANTS.c.subject, GRANTS.c.role)
        if subject is not None:
            query = query.where(GRANTS.c.subject == subject)
        async with self.engine.connect() as conn:
            return [Grant(*row) for row in (await conn.execute(query)).all()]

    async def grant(self, subject: str, role: str, by: str, place: str) -> bool:
        """Give `subject` the role; False if it already had it (nothing changes, nothing is recorded)."""
        now = self.clock()
        try:
            async with self._tx() as conn:
                await conn.execute(insert(GRANTS).values(subject=subject, role=role, granted_by=by, granted_at=now))
                await conn.execute(insert(AUDIT).values(_event(now, by, place, "access.grant", "done", target=subject,
                                                               detail={"role": role})))
        except IntegrityError:
            return False
        return True

    async def revoke(self, subject: str, role: str | None, by: str, place: str) -> list[str]:
        """Take `role` (or every role) from `subject`; the roles taken."""
        now = self.clock()
        async with self._tx() as conn:
            where = [GRANTS.c.subject == subject] + ([GRANTS.c.role == role] if role else [])
            taken = [r for (r,) in (await conn.execute(select(GRANTS.c.role).where(*where))).all()]
            if taken:
                await conn.execute(delete(GRANTS).where(*where))
                await conn.execute(insert(AUDIT).values(_event(now, by, place, "access.revoke", "done", target=subject,
                                                               detail={"roles": sorted(taken)})))
        return sorted(taken)

    # -- the audit trail -------------------------------------------------------------------------------------
    async def record(self, actor: str, place: str, action: str, outcome: str, *, target: str | None = None,
                     detail: dict[str, Any] | None = None, execution_id: int | None = None) -> None:
        async with self._tx() as conn:
            await conn.execute(insert(AUDIT).values(_event(self.clock(), actor, place, action, outcome, target=target,
                                                           detail=mask(detail), execution_id=execution_id)))

    async def audit(self, *, actor: str | None = None, since: float | None = None, before: float | None = None,
                    limit: int = 20) -> list[AuditEntry]:
        """The newest `limit` entries (refusals and changes, and the executions) in [since, before)."""
        events = select(AUDIT.c.at, AUDIT.c.actor, AUDIT.c.place, AUDIT.c.action, AUDIT.c.outcome, AUDIT.c.target,
                        AUDIT.c.detail, AUDIT.c.execution_id).order_by(AUDIT.c.at.desc()).limit(limit)
        runs = select(EXEC.c.id, EXEC.c.created_at, EXEC.c.requester, EXEC.c.conversation, EXEC.c.kind, EXEC.c.status,
                      EXEC.c.args, EXEC.c.trigger, EXEC.c.model, EXEC.c.tokens_in, EXEC.c.tokens_out, EXEC.c.cost,
                      EXEC.c.tool_transcript, EXEC.c.error, EXEC.c.roles).order_by(EXEC.c.created_at.desc()).limit(limit)
        if actor is not None:
            events, runs = events.where(AUDIT.c.actor == actor), runs.where(EXEC.c.requester == actor)
        if since is not None:
            events, runs = events.where(AUDIT.c.at >= since), runs.where(EXEC.c.created_at >= since)
        if before is not None:
            events, runs = events.where(AUDIT.c.at < before), runs.where(EXEC.c.created_at < before)
        async with self.engine.connect() as conn:
            found = [AuditEntry(*row) for row in (await conn.execute(events)).all()]
            found += [_execution_entry(row._mapping) for row in (await conn.execute(runs)).all()]
        found.sort(key=lambda e: e.at, reverse=True)
        return found[:limit]

    async def export(self, *, since: float | None = None, page: int = 500) -> AsyncIterator[AuditEntry]:
        """Every entry since `since`, newest first, read a page at a time (for JSON lines)."""
        before: float | None = None
        while True:
            batch = await self.audit(since=since, before=before, limit=page)
            for entry in batch:
                yield entry
            if len(batch) < page:
                return
            before = batch[-1].at  # entries sharing this instant at a page edge: the next page starts below it

    async def prune(self, older_than: float) -> int:
        """Forget audit events before `older_than` (the retention job; executions have their own life)."""
        async with self._tx() as conn:
            result = await conn.execute(delete(AUDIT).where(AUDIT.c.at < older_than))
        return int(result.rowcount or 0)


def _event(at: float, actor: str, place: str, action: str, outcome: str, *, target: str | None = None,
           detail: dict[str, Any] | None = None, execution_id: int | None = None) -> dict[str, Any]:
    platform = actor.partition(":")[0] if ":" in actor else ""
    return {"at": at, "actor": actor[:255], "platform": platform[:32], "place": place[:255], "action": action[:128],
            "target": None if target is None else target[:255], "outcome": outcome[:32], "detail": detail,
            "execution_id": execution_id}


def _execution_entry(row: Any) -> AuditEntry:
    conv = row["conversation"] or {}
    place = f"{conv.get('platform', '')}:{conv.get('channel', '')}"
    detail: dict[str, Any] = {"trigger": row["trigger"], "args": mask(row["args"] or {})}
    if row["roles"]:
        detail["roles"] = row["roles"]
    if row["model"]:
        detail.update(model=row["model"], tokens_in=row["tokens_in"], tokens_out=row["tokens_out"], cost=row["cost"])
    if row["tool_transcript"]:
        detail["tools"] = [{"tool": c.get("tool"), "arguments": mask(c.get("arguments")), "ok": c.get("ok")}
                           for c in row["tool_transcript"]]
    if row["error"]:
        detail["error"] = str(row["error"])[:300]
    status = getattr(row["status"], "value", row["status"])
    return AuditEntry(float(row["created_at"]), row["requester"], place, row["kind"], str(status).lower(),
                      detail=detail, execution_id=row["id"])
