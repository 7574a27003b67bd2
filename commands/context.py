"""What a handler receives besides its arguments: who asked, where, and the services it may use.

The services are protocols so that `commands/` depends on shapes, not on `bot/`; `bot/` builds the
concrete objects at start-up and passes them in.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from commands.access.identity import mention
from commands.access.policy import Policy, default_policy
from commands.access.rules import refusal
from commands.errors import Refused, UserError
from commands.llm import budget_keys
from commands.messages import t
from commands.model import Conversation, Reply
from pool import CallMeta

if TYPE_CHECKING:
    from commands.github.service import GitHubServices
    from commands.registry import Registry
    from pool import LLMService
    from providers import Hub
    from reports import ReportsService


class Outbox(Protocol):
    """The live message of one execution: the first `show` posts it, later calls edit it in place."""

    async def show(self, reply: Reply) -> None: ...


@dataclass(frozen=True, slots=True)
class ExecutionStats:
    backend: str
    queue_depth: int
    running: int
    last_hour: dict[str, int]


class GrantRow(Protocol):
    @property
    def subject(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def granted_by(self) -> str: ...

    @property
    def granted_at(self) -> float: ...


class AuditRow(Protocol):
    @property
    def at(self) -> float: ...

    @property
    def actor(self) -> str: ...

    @property
    def place(self) -> str: ...

    @property
    def action(self) -> str: ...

    @property
    def outcome(self) -> str: ...

    @property
    def target(self) -> str | None: ...

    @property
    def detail(self) -> dict[str, Any] | None: ...

    @property
    def execution_id(self) -> int | None: ...


class AccessAdmin(Protocol):
    """What /access, /whoami and /audit change and read; implemented by `bot/` over its storage (and, for
    `login_link`, the web surface: None where this process serves no web pages)."""

    async def grants(self, subject: str | None = None) -> Sequence[GrantRow]: ...

    async def grant(self, subject: str, role: str, by: str, place: str) -> bool: ...

    async def revoke(self, subject: str, role: str | None, by: str, place: str) -> list[str]: ...

    async def audit(self, *, actor: str | None = None, since: float | None = None, before: float | None = None,
                    limit: int = 20) -> Sequence[AuditRow]: ...

    async def login_link(self, subject: str, role: str) -> str | None: ...

    async def prune(self, older_than: float) -> int: ...


class WriteGuard(Protocol):
    """Writing actions happen once: confirmation nonces and effect markers (bot/storage/writes.py)."""

    async def ask(self, requester: str, tool: str, arguments: dict[str, Any]) -> str: ...

    async def confirm(self, nonce: str, clicker: str) -> Any: ...  # Confirmed (tool, arguments) or a reason

    async def begin_effect(self, execution_id: int, key: str) -> bool: ...


class StatusSource(Protocol):
    """What /status reads about the bot itself; implemented by `bot/` over its storage."""

    async def execution_stats(self) -> ExecutionStats: ...

    def started_at(self) -> float: ...

    def version(self) -> str: ...


@dataclass(slots=True)
class Usage:
    """LLM usage a handler reports; the worker stores it on the Execution."""

    provider: str | None = None
    model: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    tools: list[dict[str, Any]] = field(default_factory=list)  # the tool transcript (/ask), kept on the Execution

    def add(self, provider: str, model: str, tokens_in: int, tokens_out: int, cost: float) -> None:
        self.provider, self.model = provider, model
        self.tokens_in += tokens_in
        self.tokens_out += tokens_out
        self.cost += cost


@dataclass(frozen=True, slots=True)
class Services:
    registry: Registry
    status: StatusSource
    llm: LLMService | None = None
    llm_hint: str = "set OPENAI_BASE_URL (and OPENAI_API_KEY) to a chat-completions endpoint"
    extra: dict[str, Any] = field(default_factory=dict)
    mcp: Hub | None = None
    github: GitHubServices | None = None
    reports: ReportsService | None = None
    policy: Policy = field(default_factory=default_policy)
    access: AccessAdmin | None = None
    writes: WriteGuard | None = None


@dataclass(slots=True)
class Context:
    execution_id: int
    requester: str
    conversation: Conversation
    locale: str
    trigger: str
    services: Services
    outbox: Outbox
    usage: Usage = field(default_factory=Usage)
    roles: frozenset[str] = frozenset()  # the requester's, as the gate found them when the request was admitted

    def may(self, action: str, *, repo: str | None = None) -> bool:
        """May the requester do `action` (`tool:db.query`, `review.post`) here, on `repo`?"""
        return self.services.policy.allows(self.roles, action, channel=self._place(), repo=repo).allowed

    def require(self, action: str, *, repo: str | None = None, repo_later: bool = False) -> None:
        """`may`, or the refusal that names what is needed (the same words whether or not the tool or
        repository exists). `repo_later`: the repository is checked by a second call once it is known."""
        verdict = self.services.policy.allows(self.roles, action, channel=self._place(), repo=repo,
                                              repo_later=repo_later)
        if not verdict.allowed:
            raise Refused(refusal(verdict, self.locale, who=mention(self.requester)), verdict.action)

    def _place(self) -> str:
        return f"{self.conversation.platform}:{self.conversation.channel}"

    async def progress(self, reply: Reply) -> None:
        """Show an intermediate state (streamed tokens, a progress line) in the execution's message."""
        await self.outbox.show(reply)

    def llm(self) -> LLMService:
        """The LLM service, or the user's "not configured" error with the hint of how to set one up."""
        llm = self.services.llm
        if llm is None:
            raise UserError(t("llm_not_configured", self.locale, hint=self.services.llm_hint))
        return llm

    def llm_meta(self, priority: int, *, repo: str | None = None) -> CallMeta:
        """Who this call is for, as the pool queues and budgets it: the requester, the conversation's
        channel, and the repository (`repo`, e.g. the PR's of a `/review` asked in Slack; else the
        conversation's own when it is a GitHub thread)."""
        keys = budget_keys(self.requester, self.conversation)
        return CallMeta(priority=priority, user=keys["user"], channel=keys["channel"], repo=repo or keys["repo"])

