"""Build pools over fake LLM servers for the tests."""
from __future__ import annotations

from typing import Any

from pool.config import Deployment, PoolConfig
from pool.direct import make_client
from pool.fake import FakeLLM
from pool.interface import Message
from pool.pool import LLMPool, PoolEvent

QUESTION = [Message("user", "what is a lease?")]


def deployment(name: str, fake: FakeLLM, **kw: Any) -> Deployment:
    kw.setdefault("model", "gpt-4o-mini")
    kw.setdefault("timeout", 5.0)
    return Deployment(name=name, kind=kw.pop("kind", "openai"), base_url=fake.base_url(kw.get("kind", "openai")), **kw)


def make_pool(
    *deps: Deployment, aliases: dict[str, tuple[str, ...]] | None = None,
    budgets: dict[str, dict[str, float]] | None = None, **kw: Any,
) -> tuple[LLMPool, list[PoolEvent]]:
    names = tuple(d.name for d in deps)
    config = PoolConfig(tuple(deps), {"default": names, **(aliases or {})}, budgets or {})
    kw.setdefault("backoff_base", 0.01)
    pool = LLMPool(config, {d.name: make_client(d, max_tokens=kw.get("max_tokens", 1024)) for d in deps}, **kw)
    events: list[PoolEvent] = []
    pool.subscribe(events.append)
    return pool, events


def said(fake: FakeLLM) -> list[str]:
    """The user's text of each request the fake received, in order."""
    return [r["body"]["messages"][-1]["content"] for r in fake.requests]
