"""Deployment kind → client class (the registry of dialects), and the single-client path.

`DirectLLM` is what runs when `ENABLE_LLM_POOL=false`, and what the pool falls back to while it has
switched itself off: the first candidate of the alias that fits the budgets, called directly, with no
slots, retries or breakers.
"""
from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import replace

from pool.accounting import Budgets, Estimate, Reservation, charge, estimate
from pool.anthropic import AnthropicClient
from pool.config import Deployment, PoolConfig
from pool.errors import BudgetExceeded, UnknownModel
from pool.gemini import GeminiClient
from pool.http_dialect import HTTPChatClient
from pool.interface import CallMeta, ChatClient, Completion, Message, StreamEvent, ToolSpec
from pool.ollama import OllamaClient
from pool.openai_compat import OpenAICompatClient

CLIENTS: dict[str, type[HTTPChatClient]] = {
    "openai": OpenAICompatClient,
    "anthropic": AnthropicClient,
    "gemini": GeminiClient,
    "ollama": OllamaClient,
}
_META = CallMeta()


def make_client(dep: Deployment, *, max_tokens: int = 1024) -> HTTPChatClient:
    try:
        cls = CLIENTS[dep.kind]
    except KeyError:
        raise ValueError(f"unknown deployment kind {dep.kind!r}; known: {', '.join(CLIENTS)}") from None
    return cls(
        dep.base_url, api_key=dep.api_key, model=dep.model, timeout=dep.timeout, name=dep.name,
        max_connections=dep.max_concurrency, max_tokens=max_tokens,
    )


def priced(dep: Deployment, est: Estimate, result: Completion) -> Completion:
    cost = charge(dep.price(), est, result.tokens_in, result.tokens_out)
    return replace(result, cost=cost, cost_estimated=not est.priced)


class DirectLLM:
    """One client per deployment, called directly: no slots, retries or breakers, but the same daily
    budgets as the pool, booked the same way (reserve the upper bound before the call, settle after).
    `budgets` is shared when given: the pool passes its own, so its fallback spends from the same books."""

    def __init__(
        self, config: PoolConfig, clients: dict[str, ChatClient], *, max_tokens: int = 1024, owns: bool = True,
        budgets: Budgets | None = None,
    ) -> None:
        self.config, self.clients, self.max_tokens, self._owns = config, clients, max_tokens, owns
        self.budgets = budgets if budgets is not None else Budgets(config.budgets)
        first = config.candidates(None)
        self.name = first[0] if first else "none"

    def models(self) -> list[str]:
        return self.config.names()

    def status(self) -> None:
        return None  # no pool: nothing to show beyond the name

    def _admit(
        self, model: str | None, messages: Sequence[Message], meta: CallMeta | None, max_tokens: int,
    ) -> tuple[Deployment, ChatClient, Estimate, Reservation | None]:
        """The alias's first candidate whose budgets fit (the pool skips an exhausted deployment too),
        its budgets booked; `BudgetExceeded` names the first budget that stopped the last candidate."""
        names = self.config.candidates(model)
        if not names:
            raise UnknownModel(model or "default", self.models())
        refused: BudgetExceeded | None = None
        for name in names:
            dep = self.config.deployment(name)
            est = estimate(dep.price(), messages, max_tokens)
            keys = self.budgets.keys(name, meta or _META)
            try:
                reservation = self.budgets.admit(keys, est.amount) if keys else None
            except BudgetExceeded as e:
                refused = refused or e
                continue
            return dep, self.clients[name], est, reservation
        assert refused is not None
        raise refused

    def _settle(self, reservation: Reservation | None, cost: float | None) -> None:
        if reservation is not None:
            self.budgets.settle(reservation, cost)

    async def complete(
        self, messages: Sequence[Message], *, model: str | None = None, tools: Sequence[ToolSpec] = (),
        meta: CallMeta | None = None,
    ) -> Completion:
        max_tokens = (meta.max_tokens if meta else None) or self.max_tokens
        dep, client, est, reservation = self._admit(model, messages, meta, max_tokens)
        try:
            result = priced(dep, est, await client.complete(messages, tools=tools, max_tokens=max_tokens))
        except BaseException:
            self._settle(reservation, None)
            raise
        self._settle(reservation, result.cost)
        return result

    async def stream(
        self, messages: Sequence[Message], *, model: str | None = None, tools: Sequence[ToolSpec] = (),
        meta: CallMeta | None = None,
    ) -> AsyncGenerator[StreamEvent, None]:
        max_tokens = (meta.max_tokens if meta else None) or self.max_tokens
        dep, client, est, reservation = self._admit(model, messages, meta, max_tokens)
        cost: float | None = None  # stays None when the stream fails or the consumer stops early
        try:
            async for event in client.stream(messages, tools=tools, max_tokens=max_tokens):
                if isinstance(event, Completion):
                    event = priced(dep, est, event)
                    cost = event.cost
                yield event
        finally:
            self._settle(reservation, cost)

    async def aclose(self) -> None:
        if self._owns:
            for client in self.clients.values():
                await client.aclose()
