"""The provider-neutral shapes every LLM client speaks, and the two interfaces built on them.

`ChatClient` is one deployment's client (one dialect, one shared HTTP session). `LLMService` is what
commands use: the pool, or the single-client path when the pool is disabled. Both stream as an async
generator of text deltas (`str`) ending with one `Completion`.
"""
from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pool.accounting import Budgets
    from pool.snapshot import PoolStatus


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A function the model may call; `parameters` is a JSON schema object."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Message:
    """role: "system" | "user" | "assistant" | "tool". An assistant message may carry the tool calls it
    made; a "tool" message answers one of them (`tool_call_id`)."""

    role: str
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(slots=True)
class Completion:
    """One answer. Not frozen: the pool fills in `cost` on the fresh object a client returns."""

    text: str
    provider: str  # the deployment's name
    model: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
    cost: float = 0.0
    estimated_usage: bool = False  # the provider gave no usage: tokens were estimated
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    cost_estimated: bool = False  # no price for the model: charged at the reservation estimate


StreamEvent = str | Completion


@dataclass(frozen=True, slots=True)
class CallMeta:
    """Who asks and how urgently: the pool orders its queue by `priority`; both the pool and the direct
    path charge the call to the budgets of `user`, `channel` and `repo`."""

    priority: int = 0  # lower first: interactive 0 < github 10 < scheduled 20
    user: str | None = None
    channel: str | None = None
    repo: str | None = None
    deadline: float | None = None  # overall seconds, retries and fallbacks included
    max_tokens: int | None = None


class ChatClient(Protocol):
    name: str

    async def complete(
        self, messages: Sequence[Message], *, model: str | None = None, tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None, timeout: float | None = None,
    ) -> Completion: ...

    def stream(
        self, messages: Sequence[Message], *, model: str | None = None, tools: Sequence[ToolSpec] = (),
        max_tokens: int | None = None, timeout: float | None = None,
    ) -> AsyncGenerator[StreamEvent, None]: ...

    async def aclose(self) -> None: ...


class LLMService(Protocol):
    """What handlers call: `model` is an alias (fast, smart…) or a deployment name; None is the default.

    `budgets` are the daily limits both implementations enforce; the bot merges the day's spending
    recorded in its database into them (`Budgets.merge_spent`)."""

    name: str
    budgets: Budgets

    async def complete(
        self, messages: Sequence[Message], *, model: str | None = None, tools: Sequence[ToolSpec] = (),
        meta: CallMeta | None = None,
    ) -> Completion: ...

    def stream(
        self, messages: Sequence[Message], *, model: str | None = None, tools: Sequence[ToolSpec] = (),
        meta: CallMeta | None = None,
    ) -> AsyncGenerator[StreamEvent, None]: ...

    def models(self) -> list[str]: ...

    def status(self) -> PoolStatus | None:
        """The pool's snapshot for /status pool; None on the single-client path."""
        ...

    async def aclose(self) -> None: ...


def estimate_tokens(text: str) -> int:
    # ~4 characters a token for English; CJK runs closer to one a character, so take the larger.
    return max(1, len(text) // 4, sum(1 for ch in text if ord(ch) > 0x2E80))


def prompt_text(messages: Sequence[Message]) -> str:
    return " ".join(m.content for m in messages)
