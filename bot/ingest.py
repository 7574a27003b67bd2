"""Event → Execution: resolve the command, reject bad input at once, store the rest durably."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.storage.store import NewExecution, Store
from commands.dispatch import unknown_reply, usage_reply
from commands.errors import UnknownCommand, UsageError
from commands.messages import guess_locale
from commands.model import Event, Reply
from commands.registry import Registry


@dataclass(frozen=True, slots=True)
class Accepted:
    execution_id: int
    command: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """Bad input: answered right away with a usage message; nothing is stored."""

    reply: Reply


class Ingest:
    def __init__(self, store: Store, registry: Registry, *, max_attempts: int = 3) -> None:
        self.store, self.registry = store, registry
        self.max_attempts = max_attempts
        self._listeners: list[Callable[[], None]] = []

    def on_enqueued(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def notify(self) -> None:
        """Wake the in-process workers after rows were stored by another path (e.g. the GitHub webhook)."""
        for callback in self._listeners:
            callback()

    async def submit(
        self, event: Event, *, affinity: str | None = None, idempotency_key: str | None = None
    ) -> Accepted | Rejected:
        locale = guess_locale(event.text, event.locale)
        try:
            cmd, args = self.registry.resolve(event.text, event.command)
        except UnknownCommand as e:
            return Rejected(unknown_reply(e, locale))
        except UsageError as e:
            return Rejected(usage_reply(e, locale))
        execution_id = await self.store.enqueue(  # group-committed with concurrent callers
            NewExecution(
                kind=cmd.name,
                trigger=event.trigger,
                source=event.source,
                requester=event.user,
                conversation=event.conversation.as_dict(),
                text=event.text,
                args=args.values,
                locale=locale,
                priority=cmd.priority,
                affinity=affinity,
                idempotency_key=idempotency_key,
                raw=event.raw,
                max_attempts=self.max_attempts,
            )
        )
        self.notify()
        return Accepted(execution_id, cmd.name)
