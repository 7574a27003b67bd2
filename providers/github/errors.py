"""Errors of the GitHub provider.

    GitHubError            any failed call (HTTP status in `.status` when there was one)
    ├── NotFound           404: the repository, issue or PR does not exist or is not visible
    └── RateLimited        a rate limit that would take longer than the configured wait (`.retry_after` s)
"""
from __future__ import annotations


class GitHubError(Exception):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message, self.status = message, status

    @property
    def transient(self) -> bool:
        """No answer (timeout, connection), a 5xx or a rate limit: the same call may work later."""
        return self.status is None or self.status >= 500 or isinstance(self, RateLimited)


class NotFound(GitHubError):
    def __init__(self, message: str) -> None:
        super().__init__(message, status=404)


class RateLimited(GitHubError):
    def __init__(self, retry_after: float, message: str) -> None:
        super().__init__(f"{message} (retry in {retry_after:.0f}s)", status=403)
        self.retry_after = retry_after
