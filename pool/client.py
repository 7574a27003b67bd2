"""The one-method interface every LLM client offers, and the result it returns."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    provider: str
    model: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
    cost: float = 0.0
    estimated_usage: bool = False


class ChatClient(Protocol):
    name: str

    async def complete(self, messages: Sequence[Message], *, model: str | None = None) -> Completion: ...

    async def aclose(self) -> None: ...
