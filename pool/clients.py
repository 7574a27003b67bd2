"""Deployment kind → client class (the registry of dialects), and the single-client path.

`DirectLLM` is what runs when `ENABLE_LLM_POOL=false`, and what the pool falls back to while it has
switched itself off: the first candidate of the alias, called directly, no retries, breaker or budgets.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

from pool.accounting import charge, estimate
from pool.anthropic import AnthropicClient
from pool.client import CallMeta, ChatClient, Completion, Message, StreamEvent, ToolSpec
from pool.config import Deployment, PoolConfig
from pool.errors import UnknownModel
from pool.gemini import GeminiClient
from pool.http_client import HTTPChatClient
from pool.ollama import OllamaClient
from pool.openai_compat import OpenAICompatClient

CLIENTS: dict[str, type[HTTPChatClient]] = {
    "openai": OpenAICompatClient,
    "anthropic": AnthropicClient,
    "gemini": GeminiClient,
    "ollama": OllamaClient,
}


def make_client(dep: Deployment, *, max_tokens: int = 1024) -> HTTPChatClient:
    try:
        cls = CLIENTS[dep.kind]
    except KeyError:
        raise ValueError(f"unknown deployment kind {dep.kind!r}; known: {', '.join(CLIENTS)}") from None
    return cls(
        dep.base_url, api_key=dep.api_key, model=dep.model, timeout=dep.timeout, name=dep.name,
        max_connections=dep.max_concurrency, max_tokens=max_tokens,
    )


def priced(dep: Deployment, messages: Sequence[Message], result: Completion, max_tokens: int) -> Completion:
    price = dep.price()
    est = estimate(price, messages, max_tokens)
    cost = charge(price, est, result.tokens_in, result.tokens_out)
    return replace(result, cost=cost, cost_estimated=not est.priced)


class DirectLLM:
    """One client per deployment, called directly."""

    def __init__(self, config: PoolConfig, clients: dict[str, ChatClient], *, max_tokens: int = 1024, owns: bool = True) -> None:
        self.config, self.clients, self.max_tokens, self._owns = config, clients, max_tokens, owns
        first = config.candidates(None)
        self.name = first[0] if first else "none"

    def models(self) -> list[str]:
        return self.config.names()

    def status(self) -> None:
        return None  # no pool: nothing to show beyond the name

    def _target(self, model: str | None) -> tuple[Deployment, ChatClient]:
        names = self.config.candidates(model)
        if not names:
            raise UnknownModel(model or "default", self.models())
        return self.config.deployment(names[0]), self.clients[names[0]]

    async def complete(
        self, messages: Sequence[Message], *, model: str | None = None, tools: Sequence[ToolSpec] = (),
        meta: CallMeta | None = None,
    ) -> Completion:
        dep, client = self._target(model)
        max_tokens = (meta.max_tokens if meta else None) or self.max_tokens
        result = await client.complete(messages, tools=tools, max_tokens=max_tokens)
        return priced(dep, messages, result, max_tokens)

    async def stream(
        self, messages: Sequence[Message], *, model: str | None = None, tools: Sequence[ToolSpec] = (),
        meta: CallMeta | None = None,
    ) -> AsyncIterator[StreamEvent]:
        dep, client = self._target(model)
        max_tokens = (meta.max_tokens if meta else None) or self.max_tokens
        async for event in client.stream(messages, tools=tools, max_tokens=max_tokens):
            yield priced(dep, messages, event, max_tokens) if isinstance(event, Completion) else event

    async def aclose(self) -> None:
        if self._owns:
            for client in self.clients.values():
                await client.aclose()
