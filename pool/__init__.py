"""LLM provider clients and the pool. Knows nothing about chat or GitHub (never imports bot/ or commands/).

The names below are the package's public surface: other rooms import them from `pool` (`from pool import
CallMeta`), not from its modules. They are loaded on first use (PEP 562), so `import pool` stays cheap: the
one-shot `chatops say` never pays for aiohttp or the pool. `pool.fake.FakeLLM` is for tests and benchmarks.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pool.accounting import BudgetKey as BudgetKey
    from pool.breaker import utc_day as utc_day
    from pool.config import Deployment as Deployment
    from pool.config import PoolConfig as PoolConfig
    from pool.direct import make_client as make_client
    from pool.errors import BudgetExceeded as BudgetExceeded
    from pool.errors import CircuitOpen as CircuitOpen
    from pool.errors import PoolBusy as PoolBusy
    from pool.errors import PoolError as PoolError
    from pool.errors import ProviderError as ProviderError
    from pool.errors import ProviderTimeout as ProviderTimeout
    from pool.errors import ProviderUnavailable as ProviderUnavailable
    from pool.errors import RateLimited as RateLimited
    from pool.errors import UnknownModel as UnknownModel
    from pool.factory import NOT_CONFIGURED_HINT as NOT_CONFIGURED_HINT
    from pool.factory import build_chat_client as build_chat_client
    from pool.factory import build_llm as build_llm
    from pool.factory import load_config as load_config
    from pool.interface import CallMeta as CallMeta
    from pool.interface import ChatClient as ChatClient
    from pool.interface import Completion as Completion
    from pool.interface import LLMService as LLMService
    from pool.interface import Message as Message
    from pool.interface import StreamEvent as StreamEvent
    from pool.interface import ToolCall as ToolCall
    from pool.interface import ToolSpec as ToolSpec
    from pool.metrics import PoolCollector as PoolCollector
    from pool.pool import LLMPool as LLMPool
    from pool.pool import PoolEvent as PoolEvent
    from pool.probe import models_request as models_request
    from pool.settings import LLMSettings as LLMSettings
    from pool.snapshot import DeploymentStatus as DeploymentStatus
    from pool.snapshot import PoolStatus as PoolStatus

# Where each public name lives; the TYPE_CHECKING block above says the same to mypy (a test keeps them equal).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "pool.accounting": ("BudgetKey",),
    "pool.interface": (
        "CallMeta", "ChatClient", "Completion", "LLMService", "Message", "StreamEvent", "ToolCall", "ToolSpec",
    ),
    "pool.direct": ("make_client",),
    "pool.config": ("Deployment", "PoolConfig"),
    "pool.errors": (
        "BudgetExceeded", "CircuitOpen", "PoolBusy", "PoolError", "ProviderError", "ProviderTimeout",
        "ProviderUnavailable", "RateLimited", "UnknownModel",
    ),
    "pool.factory": ("NOT_CONFIGURED_HINT", "build_chat_client", "build_llm", "load_config"),
    "pool.breaker": ("utc_day",),
    "pool.metrics": ("PoolCollector",),
    "pool.pool": ("LLMPool", "PoolEvent"),
    "pool.probe": ("models_request",),
    "pool.settings": ("LLMSettings",),
    "pool.snapshot": ("DeploymentStatus", "PoolStatus"),
}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "NOT_CONFIGURED_HINT",
    "BudgetExceeded",
    "BudgetKey",
    "CallMeta",
    "ChatClient",
    "CircuitOpen",
    "Completion",
    "Deployment",
    "DeploymentStatus",
    "LLMPool",
    "LLMService",
    "LLMSettings",
    "Message",
    "PoolBusy",
    "PoolCollector",
    "PoolConfig",
    "PoolError",
    "PoolEvent",
    "PoolStatus",
    "ProviderError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimited",
    "StreamEvent",
    "ToolCall",
    "ToolSpec",
    "UnknownModel",
    "build_chat_client",
    "build_llm",
    "load_config",
    "make_client",
    "models_request",
    "utc_day",
]

if not TYPE_CHECKING:  # hidden from mypy, which would otherwise type every unknown `pool.X` as Any

    def __getattr__(name: str) -> Any:
        module = _HOME.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later look-ups skip this hook
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
