"""The intake: the one place where a request becomes a stored Execution.

Every path hands it the same `Request` — a typed command, a mention, a button click (`submit`), a GitHub
delivery with its jobs (`submit_delivery`), a scheduled report — and every request runs the same short
middleware chain before anything is stored:

    resolve (command table: name, arguments, locale) → the configured middleware, in order → admit

Each middleware is an async callable taking the request and the next step (Starlette/ASGI style); it
may answer itself (a `Rejected`) or pass a request on. The next issues slot identity, allow-lists,
permissions, rate limits and audit in here (`Intake(middleware=[...])`). `admit` turns the resolved
request into the `NewExecution` row; the intake stores it (group-committed), rings the workers'
doorbell, and answers `Accepted`. Nothing else builds queue rows.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.doorbell import Doorbell
from bot.storage.github import DUPLICATE, IncomingDelivery
from bot.storage.store import NewExecution, Store
from commands.dispatch import unknown_reply, usage_reply
from commands.errors import UnknownCommand, UsageError
from commands.messages import guess_locale
from commands.model import Event, Reply
from commands.registry import GITHUB, SCHEDULED, Args, Command, Registry

log = logging.getLogger("chatops.intake")
# Work nobody waits for queues behind people: a command's own priority, or its trigger's if that is later.
TRIGGER_PRIORITY = {"github": GITHUB, "schedule": SCHEDULED}


@dataclass(slots=True)
class Request:
    """What every inbound path hands the intake. `args` carries arguments already split into a mapping (a
    GitHub job's keys); otherwise the event's text is parsed. `command`, `args_checked` and `locale` are
    filled in by the resolve step, in place (this is the acknowledgement path: copies cost), before any
    middleware sees the request."""

    event: Event
    affinity: str | None = None
    idempotency_key: str | None = None
    args: Mapping[str, Any] | None = None
    command: Command | None = None
    args_checked: Args | None = None
    locale: str = "en"
    roles: frozenset[str] = frozenset()  # set by the permission gate (bot/gate.py); stored on the Execution


@dataclass(frozen=True, slots=True)
class Accepted:
    execution_id: int
    command: str
    locale: str = "en"


@dataclass(frozen=True, slots=True)
class Rejected:
    """Answered right away (bad input, not allowed); nothing is stored. `refused` names the gate's
    reason (permission, workspace, dm, identity) when the policy said no, None for bad input."""

    reply: Reply
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class Admitted:
    """The row to store, made by the innermost step."""

    row: NewExecution
    command: str
    locale: str


Decision = Admitted | Rejected
Next = Callable[[Request], Awaitable[Decision]]
Middleware = Callable[[Request, Next], Awaitable[Decision]]


class Intake:
    def __init__(
        self, store: Store, registry: Registry, doorbell: Doorbell, *, max_attempts: int = 3,
        middleware: Sequence[Middleware] = (),
    ) -> None:
        self.store, self.registry, self.doorbell = store, registry, doorbell
        self.max_attempts = max_attempts
        self._chain = self._compose([self._resolve, *middleware])

    def _compose(self, steps: Sequence[Middleware]) -> Next:
        call: Next = self._admit
        for step in reversed(steps):
            call = _bind(step, call)
        return call

    async def _resolve(self, request: Request, call_next: Next) -> Decision:
        event = request.event
        locale = event.locale or event.conversation.locale or guess_locale(event.text)
        try:
            if request.args is not None:
                cmd = self.registry.get(event.command or "")
                checked = cmd.check(request.args)
            else:
                if event.command is not None:
                    cmd, rest = self.registry.get(event.command), event.text
                else:
                    cmd, rest = self.registry.split(event.text)
                if cmd.hidden and event.source != "console":
                    # internal commands come as mappings (GitHub jobs, schedules) or from the operator's
                    # terminal; typed in chat, a button or GitHub text they do not exist (same answer)
                    raise self.registry.unknown(cmd.name)
                checked = cmd.parse(rest)
        except UnknownCommand as e:
            return Rejected(unknown_reply(e, locale))
        except UsageError as e:
            return Rejected(usage_reply(e, locale))
        request.command, request.args_checked, request.locale = cmd, checked, locale
        return await call_next(request)

    async def _admit(self, request: Request) -> Decision:
        cmd, args, event = request.command, request.args_checked, request.event
        assert cmd is not None and args is not None, "the chain starts with the resolve step"
        conversation = event.conversation.as_dict()
        conversation["locale"] = request.locale  # the answer's language travels with the conversation
        row = NewExecution(
            kind=cmd.name, trigger=event.trigger, source=event.source, requester=event.user,
            conversation=conversation, text=event.text, args=args.values, locale=request.locale,
            priority=max(cmd.priority, TRIGGER_PRIORITY.get(event.trigger, cmd.priority)), affinity=request.affinity,
            idempotency_key=request.idempotency_key, raw=event.raw, max_attempts=self.max_attempts,
            roles=",".join(sorted(request.roles)),
        )
        return Admitted(row, cmd.name, request.locale)

    async def decide(self, request: Request) -> Decision:
        """Run the chain without storing (a delivery stores its rows together)."""
        return await self._chain(request)

    async def submit(
        self, event: Event, *, affinity: str | None = None, idempotency_key: str | None = None,
        args: Mapping[str, Any] | None = None,
    ) -> Accepted | Rejected:
        decision = await self._chain(Request(event, affinity, idempotency_key, args))
        if isinstance(decision, Rejected):
            return decision
        execution_id = await self.store.enqueue(decision.row)  # group-committed with concurrent callers
        self.doorbell.ring()
        return Accepted(execution_id, decision.command, decision.locale)

    async def submit_delivery(self, delivery: IncomingDelivery, requests: Sequence[Request]) -> tuple[str, list[Rejected]]:
        """A webhook delivery and the executions it asks for, in one transaction (dedupe on the delivery id).

        Returns STORED or DUPLICATE, and the requests the chain refused (stored nothing for those)."""
        rows: list[NewExecution] = []
        refused: list[Rejected] = []
        for request in requests:
            decision = await self._chain(request)
            if isinstance(decision, Rejected):
                refused.append(decision)
            else:
                rows.append(decision.row)
        outcome = await self.store.enqueue_delivery(dataclasses.replace(delivery, executions=rows))
        if outcome != DUPLICATE and rows:
            self.doorbell.ring()
        return outcome, refused


def _bind(step: Middleware, call_next: Next) -> Next:
    async def call(request: Request) -> Decision:
        return await step(request, call_next)

    return call
