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

from bot.storage.models import GitHubDelivery, GitHubReview
from bot.storage.store import EXEC, NewExecution, _row

GHD = GitHubDelivery.__table__  # type: ignore[attr-defined]
GHR = GitHubReview.__table__  # type: ignore[attr-defined]

STORED, DUPLICATE = "stored", "duplicate"


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

    async def store_deliveries(self, batch: Sequence[IncomingDelivery]) -> list[str]:
        """One transaction for the whole batch; per item STORED or DUPLICATE (already seen)."""
        try:
            return await self._store(batch)
        except IntegrityError:
            # another process stored one of these ids between our check and our insert: go one by one
            return [(await self._store([d]))[0] if await self._fresh(d) else DUPLICATE for d in batch]

    async def _fresh(self, d: IncomingDelivery) -> bool:
        async with self.engine.connect() as conn:
            found = await conn.execute(select(GHD.c.delivery_id).where(GHD.c.delivery_id == d.delivery_id))
            return found.first() is None

    async def _store(self, batch: Sequence[IncomingDelivery]) -> list[str]:
        now = time.time()
        ids = list({d.delivery_id for d in batch})
        outcome: list[str] = []
        async with self.engine.begin() as conn:
            seen = set((await conn.execute(select(GHD.c.delivery_id).where(GHD.c.delivery_id.in_(ids)))).scalars())
            deliveries, executions = [], []
            for d in batch:
                if d.delivery_id in seen:
                    outcome.append(DUPLICATE)
                    continue
                seen.add(d.delivery_id)
                outcome.append(STORED)
                deliveries.append({"delivery_id": d.delivery_id, "event": d.event, "action": d.action, "repo": d.repo,
                                   "executions": len(d.executions), "body": d.body, "received_at": now})
                executions.extend(_row(n, now) for n in d.executions)
            if deliveries:
                await conn.execute(insert(GHD), deliveries)
            if executions:
                await conn.execute(insert(EXEC), executions)
        return outcome

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
