"""Writing actions happen once: confirmation nonces and "effect started" markers.

A writing tool asks for a click first. The click carries a random nonce (only its SHA-256 is stored),
bound to the person who asked, the tool and its arguments, valid `CONFIRM_SECONDS` and once: a replayed or
forwarded click, or someone else's, is refused. Before the tool is called, the execution writes an effect
marker in its own transaction; an attempt that finds the marker (the worker was killed mid-call and the
row was claimed again) does not call the tool again.
"""
from __future__ import annotations

import contextlib
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.models import CONFIRMATIONS, EFFECTS
from bot.storage.sqlite_writer import write_transaction

CONFIRM_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class Confirmed:
    tool: str
    arguments: dict[str, Any]


class WriteStore:
    def __init__(self, engine: AsyncEngine, clock: Callable[[], float] = time.time) -> None:
        self.engine, self.clock = engine, clock

    def _tx(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        return write_transaction(self.engine)

    async def ask(self, requester: str, tool: str, arguments: dict[str, Any]) -> str:
        """A new confirmation for `requester` to run `tool` with `arguments`; the nonce for the button."""
        nonce = secrets.token_urlsafe(18)
        now = self.clock()
        async with self._tx() as conn:
            await conn.execute(insert(CONFIRMATIONS).values(
                nonce_hash=_digest(nonce), requester=requester, tool=tool, arguments=arguments,
                created_at=now, expires_at=now + CONFIRM_SECONDS))
        return nonce

    async def confirm(self, nonce: str, clicker: str) -> Confirmed | str:
        """Use the confirmation once. Else why not: "unknown" (never made, or used or expired), "other"
        (somebody else's: it stays usable by its owner)."""
        now = self.clock()
        key = _digest(nonce)
        async with self._tx() as conn:
            row = (await conn.execute(select(CONFIRMATIONS).where(CONFIRMATIONS.c.nonce_hash == key))).mappings().first()
            if row is None or row["used_at"] is not None or row["expires_at"] <= now:
                return "unknown"
            if row["requester"] != clicker:
                return "other"
            done = await conn.execute(update(CONFIRMATIONS).where(
                CONFIRMATIONS.c.nonce_hash == key, CONFIRMATIONS.c.used_at.is_(None)).values(used_at=now, used_by=clicker))
            if not done.rowcount:  # another click won the race
                return "unknown"
        return Confirmed(str(row["tool"]), dict(row["arguments"]))

    async def begin_effect(self, execution_id: int, key: str) -> bool:
        """Record that `execution_id` starts effect `key`, committed before it starts; False when an earlier
        attempt already recorded it (the effect may have happened)."""
        try:
            async with self._tx() as conn:
                await conn.execute(insert(EFFECTS).values(execution_id=execution_id, key=key[:255], started_at=self.clock()))
        except IntegrityError:
            return False
        return True


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("utf-8")).hexdigest()
