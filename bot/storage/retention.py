"""What the Execution table forgets, and when (issue 14, "data kept").

- Discord interaction tokens (in `conversation.thread`, `i:`/`c:` targets) once they are useless: Discord
  honours them 15 minutes. The thread keeps its kind and ids with an empty token, which the Discord
  outbound treats as expired (it posts in the channel instead).
- What people wrote and what came back — the typed text, the arguments, the raw platform payload, the
  stored reply, the result summary and the tool transcript — after `EXECUTION_RETENTION_DAYS` (30). The row
  stays: who, where, when, which command, outcome, model, tokens and cost are the audit trail and the
  analytics.
- The rows themselves after `AUDIT_RETENTION_DAYS` (90), with their delivery records and effect markers.
Only finished rows are touched; a row still pending or running keeps everything it needs.
"""
from __future__ import annotations

import contextlib

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.models import EFFECTS, EXEC, Status
from bot.storage.sqlite_writer import write_transaction
from bot.storage.store import DELIV as DELIVERIES

FINISHED = (Status.COMPLETED, Status.FAILED)
TOKEN_KINDS = ("i:", "c:")
INTERACTION_TOKEN_SECONDS = 15 * 60  # what Discord honours an interaction token for


class Retention:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._scrubbed_until = 0.0  # rows created before this were scrubbed by this process already

    def _tx(self) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
        return write_transaction(self.engine)

    async def drop_interaction_tokens(self, created_before: float) -> int:
        """Empty the interaction token of Discord executions created before `created_before`."""
        query = select(EXEC.c.id, EXEC.c.conversation).where(
            EXEC.c.source == "discord", EXEC.c.created_at < created_before, EXEC.c.created_at >= self._scrubbed_until)
        changed = 0
        async with self._tx() as conn:
            for row in (await conn.execute(query)).all():
                conversation = dict(row.conversation or {})
                thread = str(conversation.get("thread") or "")
                parts = thread.split(":")
                if not thread.startswith(TOKEN_KINDS) or len(parts) < 4 or not parts[3]:
                    continue
                conversation["thread"] = ":".join(parts[:3]) + ":"
                await conn.execute(update(EXEC).where(EXEC.c.id == row.id).values(conversation=conversation))
                changed += 1
        self._scrubbed_until = created_before
        return changed

    async def forget_payloads(self, finished_before: float) -> int:
        """Clear what people wrote and what came back on rows finished before `finished_before`."""
        async with self._tx() as conn:
            result = await conn.execute(update(EXEC).where(
                EXEC.c.status.in_(FINISHED), EXEC.c.finished_at < finished_before,
                (EXEC.c.text != "") | EXEC.c.raw.is_not(None) | EXEC.c.reply.is_not(None)
                | EXEC.c.result_summary.is_not(None) | EXEC.c.tool_transcript.is_not(None),
            ).values(text="", args={}, raw=None, reply=None, result_summary=None, tool_transcript=None))
        return int(result.rowcount or 0)

    async def delete_executions(self, finished_before: float) -> int:
        """Remove rows finished before `finished_before`, with their delivery records and effect markers."""
        old = select(EXEC.c.id).where(EXEC.c.status.in_(FINISHED), EXEC.c.finished_at < finished_before)
        async with self._tx() as conn:
            await conn.execute(delete(DELIVERIES).where(DELIVERIES.c.execution_id.in_(old)))
            await conn.execute(delete(EFFECTS).where(EFFECTS.c.execution_id.in_(old)))
            result = await conn.execute(delete(EXEC).where(EXEC.c.id.in_(old.scalar_subquery())))
        return int(result.rowcount or 0)
