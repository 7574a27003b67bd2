"""A claimed Execution as the worker sees it: typed, built once from the row the claim returned."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from commands.model import Conversation

if TYPE_CHECKING:
    from sqlalchemy import RowMapping


@dataclass(frozen=True, slots=True)
class ClaimedExecution:
    id: int
    kind: str
    trigger: str
    requester: str
    conversation: Conversation
    text: str
    args: dict[str, Any]
    locale: str
    priority: int
    attempts: int  # this attempt included
    max_attempts: int
    reply: dict[str, Any] | None  # the handler's reply, kept by an earlier attempt that could not deliver it
    error: str | None
    roles: frozenset[str] = frozenset()  # as the gate found them when the request was admitted

    @classmethod
    def from_row(cls, row: RowMapping) -> ClaimedExecution:
        return cls(
            id=int(row["id"]), kind=row["kind"], trigger=row["trigger"], requester=row["requester"],
            conversation=Conversation.from_dict(row["conversation"]), text=row["text"], args=dict(row["args"] or {}),
            locale=row["locale"], priority=int(row["priority"]), attempts=int(row["attempts"]),
            max_attempts=int(row["max_attempts"]), reply=row["reply"], error=row["error"],
            roles=frozenset(r for r in (row.get("roles") or "").split(",") if r),
        )

    @property
    def last_attempt(self) -> bool:
        return self.attempts >= self.max_attempts
