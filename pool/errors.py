"""Errors of `pool/`; each client maps its transport's errors into these in one place.

    PoolError
    ├── ProviderError            carries `provider` (the deployment's name) for the user message
    │   ├── ProviderTimeout      per-attempt timeout
    │   │   └── DeadlineExceeded the overall deadline passed: not retried
    │   ├── ProviderUnavailable  connection refused/reset, 5xx
    │   ├── RateLimited          429, with `retry_after` seconds when the provider said
    │   ├── BadResponse          a body that is not the dialect's JSON
    │   └── RequestRejected      4xx other than 429 (bad key, bad model): not retried
    ├── CircuitOpen              every candidate's breaker is open
    ├── BudgetExceeded           a budget (deployment, user, channel, repo) would be overshot
    ├── PoolBusy                 the bounded queue is full: `position` is where the caller would be
    └── UnknownModel             an alias or deployment name that is not configured
"""
from __future__ import annotations

import re

# the user-info part of any URL in a text: `scheme://user:password@` or `scheme://token@`
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/?#\s]*)@")


def _hide_credentials(text: str) -> str:
    """`text` with the credentials of every URL in it hidden: `https://user:pass@host/v1` →
    `https://user:***@host/v1`, `https://token@host` → `https://***@host`. Error texts name the URL they
    could not reach, and a base URL may carry its credentials (OPENAI_BASE_URL, …). The bot's own copy,
    for everything else it prints, is bot.storage.engine.masked_credentials (pool/ does not import bot/)."""
    if "@" not in text:
        return text
    return _USERINFO.sub(_masked, text)


def _masked(m: re.Match[str]) -> str:
    user, colon, _ = m.group(2).partition(":")
    return f"{m.group(1)}{user}:***@" if colon else f"{m.group(1)}***@"


class PoolError(Exception):
    pass


class ProviderError(PoolError):
    def __init__(self, provider: str, message: str, *, status: int | None = None) -> None:
        super().__init__(_hide_credentials(message))  # these texts reach chat
        self.provider = provider
        self.status = status

    @property
    def message(self) -> str:
        return str(self.args[0])


class ProviderTimeout(ProviderError):
    pass


class DeadlineExceeded(ProviderTimeout):
    pass


class ProviderUnavailable(ProviderError):
    pass


class RateLimited(ProviderError):
    def __init__(self, provider: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(provider, message, status=429)
        self.retry_after = retry_after


class BadResponse(ProviderError):
    pass


class RequestRejected(ProviderError):
    pass


class CircuitOpen(PoolError):
    def __init__(self, deployments: list[str], retry_in: float) -> None:
        super().__init__(f"circuit open for {', '.join(deployments)}; retry in {retry_in:.0f}s")
        self.deployments = deployments
        self.retry_in = retry_in


class BudgetExceeded(PoolError):
    def __init__(self, budget: str, limit: float, spent: float) -> None:
        super().__init__(f"budget {budget} reached (${spent:.4f} of ${limit:.2f} today)")
        self.budget = budget  # e.g. "user:slack:U1", "deployment:openai"
        self.limit = limit
        self.spent = spent


class PoolBusy(PoolError):
    def __init__(self, position: int, queue_size: int) -> None:
        super().__init__(f"busy: position {position} in a queue of {queue_size}")
        self.position = position
        self.queue_size = queue_size


class UnknownModel(PoolError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown model {name!r}; known: {', '.join(known) or 'none'}")
        self.name = name
        self.known = known
