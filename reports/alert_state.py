"""Persisted alert state: one row per (rule, target) alert and one per rule's group message.

The engine writes only the columns it owns; ack and silence (from `/alerts`, possibly in another
process) write theirs, so neither overwrites the other.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from reports.tables import ALERT_GROUP, ALERT_INSTANCE


@dataclass(slots=True)
class Instance:
    rule: str
    target: str
    state: str = "inactive"  # inactive | pending | firing | resolved
    value: float | None = None
    pending_since: float | None = None
    fired_at: float | None = None
    resolved_at: float | None = None
    updated_at: float = 0.0


@dataclass(slots=True)
class Group:
    rule: str
    state: str = "resolved"  # firing | resolved
    started_at: float | None = None
    last_sent_at: float | None = None
    resolved_at: float | None = None
    refs: dict[str, str] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)
    rendered: str | None = None
    acked_by: str | None = None
    acked_at: float | None = None
    silenced_until: float | None = None
    silenced_by: str | None = None
    updated_at: float = 0.0

    def silenced(self, now: float) -> bool:
        return self.silenced_until is not None and self.silenced_until > now


_ENGINE_GROUP_COLUMNS = ("state", "started_at", "last_sent_at", "resolved_at", "members", "rendered", "updated_at")


class AlertStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def load(self) -> tuple[dict[tuple[str, str], Instance], dict[str, Group]]:
        async with self.engine.connect() as conn:
            inst = (await conn.execute(select(ALERT_INSTANCE))).mappings().all()
            groups = (await conn.execute(select(ALERT_GROUP))).mappings().all()
        return (
            {(r["rule"], r["target"]): Instance(**r) for r in inst},
            {r["rule"]: Group(**{**r, "refs": dict(r["refs"] or {}), "members": list(r["members"] or [])}) for r in groups},
        )

    async def save(self, instances: list[Instance], groups: list[Group]) -> None:
        async with self.engine.begin() as conn:
            for i in instances:
                values = {k: getattr(i, k) for k in ("state", "value", "pending_since", "fired_at", "resolved_at", "updated_at")}
                res = await conn.execute(
                    update(ALERT_INSTANCE)
                    .where(ALERT_INSTANCE.c.rule == i.rule, ALERT_INSTANCE.c.target == i.target)
                    .values(values)
                )
                if res.rowcount == 0:
                    await conn.execute(insert(ALERT_INSTANCE).values(rule=i.rule, target=i.target, **values))
            for g in groups:
                values = {k: getattr(g, k) for k in _ENGINE_GROUP_COLUMNS}
                if g.state == "resolved":  # an ack belongs to one firing
                    values.update(acked_by=None, acked_at=None)
                await self._upsert_group(conn, g.rule, values)

    async def _upsert_group(self, conn: Any, rule: str, values: dict[str, Any]) -> None:
        res = await conn.execute(update(ALERT_GROUP).where(ALERT_GROUP.c.rule == rule).values(values))
        if res.rowcount == 0:
            row = {"state": "resolved", "refs": {}, "members": [], **values, "rule": rule}
            try:
                async with conn.begin_nested():
                    await conn.execute(insert(ALERT_GROUP).values(row))
            except IntegrityError:  # created meanwhile by /alerts silence in another process
                await conn.execute(update(ALERT_GROUP).where(ALERT_GROUP.c.rule == rule).values(values))

    async def set_refs(self, rule: str, refs: dict[str, str]) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(ALERT_GROUP).where(ALERT_GROUP.c.rule == rule).values(refs=refs))

    async def ack(self, rule: str, user: str, now: float) -> Group | None:
        """Acknowledge the rule's firing group; None when it is not firing."""
        async with self.engine.begin() as conn:
            res = await conn.execute(
                update(ALERT_GROUP)
                .where(ALERT_GROUP.c.rule == rule, ALERT_GROUP.c.state == "firing")
                .values(acked_by=user, acked_at=now)
            )
        if res.rowcount == 0:
            return None
        return (await self.load())[1].get(rule)

    async def silence(self, rule: str, until: float | None, user: str, now: float) -> None:
        """Silence the rule until `until` (None lifts the silence); works before the rule ever fired."""
        async with self.engine.begin() as conn:
            silence = {"silenced_until": until, "silenced_by": user if until else None, "updated_at": now}
            await self._upsert_group(conn, rule, silence)
