"""The built-in GitHub provider as a real MCP server (mcp 2.x `MCPServer`), read-only.

Tools: `github.repos.list`, `github.repos.get`, `github.issues.list`, `github.issues.get`,
`github.pulls.list`, `github.pulls.get`, `github.commits.list`. Lists are one page with `next_page`.
The hub mounts it in-process: `build_server(settings.github)`; tests drive it with `mcp.Client(server)`.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Annotated, Any, Literal, TypeVar

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from providers.github.client import GitHubAuthSettings, GitHubClient
from providers.github.errors import GitHubError
from providers.github.reader import GitHubReader

INSTRUCTIONS = (
    "Read-only access to GitHub repositories, issues, pull requests and commits. Lists return one page "
    "(`items`, `next_page`); pass `page` to continue. Repositories are named owner/repo."
)

Repo = Annotated[str, Field(description="owner/repo, e.g. octocat/Hello-World", pattern=r"^[\w.-]+/[\w.-]+$")]
PageNo = Annotated[int, Field(ge=1, le=1000, description="page number, from 1")]
PerPage = Annotated[int, Field(ge=1, le=100, description="items per page (max 100)")]
State = Literal["open", "closed", "all"]
T = TypeVar("T")


def _split(repo: str) -> tuple[str, str]:
    owner, _, name = repo.partition("/")
    return owner, name


def build_server(settings: GitHubAuthSettings | None = None, *, reader: GitHubReader | None = None) -> MCPServer:
    """An MCPServer over a reader built from the settings (or the given reader)."""
    if reader is None:
        if settings is None:
            raise ValueError("build_server needs GitHub settings or a reader")
        reader = GitHubReader(GitHubClient.from_settings(settings))
    root = logging.getLogger()
    had_handlers = bool(root.handlers)
    server = MCPServer("github", instructions=INSTRUCTIONS, log_level="WARNING")
    if not had_handlers:  # MCPServer configures root logging; the host process owns that
        for h in list(root.handlers):
            root.removeHandler(h)
    r = reader

    async def guarded(coro: Awaitable[T]) -> T:
        try:
            return await coro
        except GitHubError as e:
            raise ToolError(e.message) from None

    @server.tool(name="github.repos.list", description="List repositories of an owner (user or org), or the caller's own.")
    async def repos_list(owner: str | None = None, page: PageNo = 1, per_page: PerPage = 30) -> dict[str, Any]:
        return (await guarded(r.list_repos(owner, page=page, per_page=per_page))).as_dict()

    @server.tool(name="github.repos.get", description="One repository: description, default branch, counts.")
    async def repos_get(repo: Repo) -> dict[str, Any]:
        return await guarded(r.get_repo(*_split(repo)))

    @server.tool(name="github.issues.list", description="Issues (not pull requests) of a repository, newest first.")
    async def issues_list(
        repo: Repo, state: State = "open",
        labels: Annotated[str | None, Field(description="comma-separated label names, all required")] = None,
        since: Annotated[str | None, Field(description="only issues updated at or after this ISO 8601 time")] = None,
        creator: str | None = None, page: PageNo = 1, per_page: PerPage = 30,
    ) -> dict[str, Any]:
        o, n = _split(repo)
        return (await guarded(r.list_issues(o, n, state=state, labels=labels, since=since, creator=creator,
                                            page=page, per_page=per_page))).as_dict()

    @server.tool(name="github.issues.get", description="One issue with its body.")
    async def issues_get(repo: Repo, number: Annotated[int, Field(ge=1)]) -> dict[str, Any]:
        return await guarded(r.get_issue(*_split(repo), number))

    @server.tool(name="github.pulls.list", description="Pull requests of a repository.")
    async def pulls_list(
        repo: Repo, state: State = "open",
        base: Annotated[str | None, Field(description="only PRs into this branch")] = None,
        head: Annotated[str | None, Field(description="only PRs from user:branch")] = None,
        page: PageNo = 1, per_page: PerPage = 30,
    ) -> dict[str, Any]:
        o, n = _split(repo)
        return (await guarded(r.list_pulls(o, n, state=state, base=base, head=head, page=page, per_page=per_page))).as_dict()

    @server.tool(name="github.pulls.get", description="One pull request with its body; `diff: true` adds the unified diff.")
    async def pulls_get(repo: Repo, number: Annotated[int, Field(ge=1)], diff: bool = False) -> dict[str, Any]:
        o, n = _split(repo)
        pr = await guarded(r.get_pull(o, n, number))
        if diff:
            pr["diff"] = await guarded(r.pull_diff(o, n, number))
        return pr

    @server.tool(name="github.commits.list", description="Commits of a branch or path, newest first.")
    async def commits_list(
        repo: Repo,
        sha: Annotated[str | None, Field(description="branch name or commit SHA to start from")] = None,
        path: Annotated[str | None, Field(description="only commits touching this path")] = None,
        author: Annotated[str | None, Field(description="GitHub login or e-mail")] = None,
        since: str | None = None, until: str | None = None, page: PageNo = 1, per_page: PerPage = 30,
    ) -> dict[str, Any]:
        o, n = _split(repo)
        return (await guarded(r.list_commits(o, n, sha=sha, path=path, author=author, since=since, until=until,
                                             page=page, per_page=per_page))).as_dict()

    return server
