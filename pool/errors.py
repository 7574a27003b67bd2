"""Errors of `pool/`; each client maps its transport's errors into these in one place.

    PoolError
    └── ProviderError            carries `provider` (the deployment's name) for the user message
        ├── ProviderTimeout      per-attempt timeout or overall deadline
        ├── ProviderUnavailable  connection refused/reset, 5xx
        ├── RateLimited          429, with `retry_after` seconds when the provider said
        ├── BadResponse          a body that is not the dialect's JSON
        └── RequestRejected      4xx other than 429 (bad key, bad model): not retried
"""
from __future__ import annotations


class PoolError(Exception):
    pass


class ProviderError(PoolError):
    def __init__(self, provider: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status

    @property
    def message(self) -> str:
        return str(self.args[0])


class ProviderTimeout(ProviderError):
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
