"""What the GitHub handlers need, as protocols: `bot/` builds the concrete objects (the provider's
reader, the review-state store, the GitHub adapter) and hands them over in `Services.github`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from commands.model import Conversation, Reply


class GitHubReads(Protocol):
    """The subset of `providers.github.reader.GitHubReader` the handlers use."""

    async def get_pull(self, owner: str, repo: str, number: int, inst: int | None = None) -> dict[str, Any]: ...
    async def pull_diff(self, owner: str, repo: str, number: int, inst: int | None = None) -> str: ...
    async def compare(self, owner: str, repo: str, base: str, head: str, inst: int | None = None) -> dict[str, Any]: ...
    async def get_issue(self, owner: str, repo: str, number: int, inst: int | None = None) -> dict[str, Any]: ...
    async def comments(
        self, owner: str, repo: str, number: int, *, per_page: int = 30, inst: int | None = None
    ) -> list[dict[str, Any]]: ...
    async def labels(self, owner: str, repo: str, inst: int | None = None) -> list[dict[str, Any]]: ...
    async def list_issues(self, owner: str, repo: str, *, state: str = "open", labels: str | None = None,
                          since: str | None = None, creator: str | None = None, page: int = 1, per_page: int = 30,
                          inst: int | None = None) -> Any: ...


class ReviewState(Protocol):
    async def get_review(self, repo: str, number: int) -> dict[str, Any] | None: ...
    async def save_review(
        self, repo: str, number: int, head_sha: str | None, findings: list[Any], notes: dict[str, Any]
    ) -> None: ...


class ThreadPoster(Protocol):
    """Posts (or upserts, by hidden marker) a Reply into a GitHub issue/PR thread; returns the comment id."""

    async def post(self, conversation: Conversation, reply: Reply, *, final: bool = True) -> str | None: ...


@dataclass(frozen=True, slots=True)
class GitHubServices:
    reader: GitHubReads
    state: ReviewState
    poster: ThreadPoster | None = None
    review_max_tokens: int = 12000  # budget for the diff in one review prompt
    context_max_tokens: int = 6000  # budget for the thread in a mention reply
