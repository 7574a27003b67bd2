"""Reads from the GitHub REST API, returned as small plain dicts (never githubkit models).

Every list is one page (`page`, `per_page` ≤ 100) plus `next_page` read from the `Link` header, so a
caller (an MCP tool, a handler) decides how far to go. Handlers read diffs, files, comments and labels
here; the MCP server in `providers.github.server` exposes the same methods as tools.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from providers.github.client import DIFF, GitHubClient

_NEXT = re.compile(r'<[^>]*[?&]page=(\d+)[^>]*>;\s*rel="next"')


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    next_page: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "next_page": self.next_page, "count": len(self.items), **self.extra}


def _next_page(resp: httpx.Response) -> int | None:
    m = _NEXT.search(resp.headers.get("link", ""))
    return int(m.group(1)) if m else None


def _user(u: Any) -> str | None:
    return u.get("login") if isinstance(u, dict) else None


def slim_repo(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "full_name": r.get("full_name"), "description": r.get("description"), "private": r.get("private"),
        "default_branch": r.get("default_branch"), "language": r.get("language"),
        "stars": r.get("stargazers_count"), "open_issues": r.get("open_issues_count"),
        "archived": r.get("archived"), "html_url": r.get("html_url"), "pushed_at": r.get("pushed_at"),
    }


def slim_issue(i: dict[str, Any], body: bool = False) -> dict[str, Any]:
    out = {
        "number": i.get("number"), "title": i.get("title"), "state": i.get("state"), "user": _user(i.get("user")),
        "labels": [lb.get("name") for lb in i.get("labels") or [] if isinstance(lb, dict)],
        "comments": i.get("comments"), "created_at": i.get("created_at"), "updated_at": i.get("updated_at"),
        "html_url": i.get("html_url"), "is_pull_request": "pull_request" in i,
    }
    if body:
        out["body"] = i.get("body") or ""
    return out


def slim_pull(p: dict[str, Any], body: bool = False) -> dict[str, Any]:
    out = {
        "number": p.get("number"), "title": p.get("title"), "state": p.get("state"), "user": _user(p.get("user")),
        "draft": p.get("draft"), "merged": p.get("merged"), "base": (p.get("base") or {}).get("ref"),
        "head": (p.get("head") or {}).get("ref"), "head_sha": (p.get("head") or {}).get("sha"),
        "additions": p.get("additions"), "deletions": p.get("deletions"), "changed_files": p.get("changed_files"),
        "created_at": p.get("created_at"), "updated_at": p.get("updated_at"), "html_url": p.get("html_url"),
    }
    if body:
        out["body"] = p.get("body") or ""
    return out


def slim_commit(c: dict[str, Any]) -> dict[str, Any]:
    commit = c.get("commit") or {}
    author = commit.get("author") or {}
    return {
        "sha": c.get("sha"), "message": commit.get("message", ""), "author": _user(c.get("author")) or author.get("name"),
        "date": author.get("date"), "html_url": c.get("html_url"),
    }


def _params(**kw: Any) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if v is not None and v != ""}


class GitHubReader:
    def __init__(self, client: GitHubClient) -> None:
        self.client = client

    async def _get(self, owner: str, repo: str, path: str, inst: int | None = None, **kw: Any) -> httpx.Response:
        return await self.client.request(owner, repo, "GET", path, installation_id=inst, **kw)

    # -- repositories -------------------------------------------------------------------------------
    async def list_repos(self, owner: str | None = None, *, page: int = 1, per_page: int = 30) -> Page:
        params = _params(page=page, per_page=min(per_page, 100), sort="pushed")
        path = f"/users/{owner}/repos" if owner else "/user/repos"
        resp = await self.client.root_request("GET", path, params=params)
        return Page([slim_repo(r) for r in resp.json()], _next_page(resp))

    async def get_repo(self, owner: str, repo: str, inst: int | None = None) -> dict[str, Any]:
        return slim_repo((await self._get(owner, repo, f"/repos/{owner}/{repo}", inst)).json())

    async def labels(self, owner: str, repo: str, inst: int | None = None) -> list[dict[str, Any]]:
        resp = await self._get(owner, repo, f"/repos/{owner}/{repo}/labels", inst, params={"per_page": 100})
        return [{"name": lb.get("name"), "description": lb.get("description") or ""} for lb in resp.json()]

    # -- issues -------------------------------------------------------------------------------------
    async def list_issues(
        self, owner: str, repo: str, *, state: str = "open", labels: str | None = None, since: str | None = None,
        creator: str | None = None, page: int = 1, per_page: int = 30, inst: int | None = None,
    ) -> Page:
        params = _params(state=state, labels=labels, since=since, creator=creator, page=page, per_page=min(per_page, 100))
        resp = await self._get(owner, repo, f"/repos/{owner}/{repo}/issues", inst, params=params)
        # the issues endpoint lists pull requests too; those have their own tool
        items = [slim_issue(i) for i in resp.json() if "pull_request" not in i]
        return Page(items, _next_page(resp))

    async def get_issue(self, owner: str, repo: str, number: int, inst: int | None = None) -> dict[str, Any]:
        return slim_issue((await self._get(owner, repo, f"/repos/{owner}/{repo}/issues/{number}", inst)).json(), body=True)

    async def comments(
        self, owner: str, repo: str, number: int, *, per_page: int = 30, inst: int | None = None,
    ) -> list[dict[str, Any]]:
        """The most recent comments of an issue or PR conversation, oldest first."""
        path = f"/repos/{owner}/{repo}/issues/{number}/comments"
        first = await self._get(owner, repo, path, inst, params={"per_page": per_page})
        data, last = first.json(), _last_page(first)
        if last and last > 1:  # the API lists oldest first: jump to the last page for the recent ones
            data = (await self._get(owner, repo, path, inst, params={"per_page": per_page, "page": last})).json()
        return [
            {"id": c.get("id"), "user": _user(c.get("user")), "user_type": (c.get("user") or {}).get("type"),
             "body": c.get("body") or "", "created_at": c.get("created_at")}
            for c in data
        ]

    # -- pull requests ------------------------------------------------------------------------------
    async def list_pulls(
        self, owner: str, repo: str, *, state: str = "open", base: str | None = None, head: str | None = None,
        page: int = 1, per_page: int = 30, inst: int | None = None,
    ) -> Page:
        params = _params(state=state, base=base, head=head, page=page, per_page=min(per_page, 100))
        resp = await self._get(owner, repo, f"/repos/{owner}/{repo}/pulls", inst, params=params)
        return Page([slim_pull(p) for p in resp.json()], _next_page(resp))

    async def get_pull(self, owner: str, repo: str, number: int, inst: int | None = None) -> dict[str, Any]:
        return slim_pull((await self._get(owner, repo, f"/repos/{owner}/{repo}/pulls/{number}", inst)).json(), body=True)

    async def pull_diff(self, owner: str, repo: str, number: int, inst: int | None = None) -> str:
        resp = await self._get(owner, repo, f"/repos/{owner}/{repo}/pulls/{number}", inst, headers={"Accept": DIFF})
        return resp.text

    async def compare(self, owner: str, repo: str, base: str, head: str, inst: int | None = None) -> dict[str, Any]:
        """{status: ahead|behind|diverged|identical, ahead_by, diff}: what `head` adds on top of `base`."""
        path = f"/repos/{owner}/{repo}/compare/{base}...{head}"
        meta = (await self._get(owner, repo, path, inst, params={"per_page": 1})).json()
        diff = ""
        if meta.get("status") == "ahead":
            diff = (await self._get(owner, repo, path, inst, headers={"Accept": DIFF})).text
        return {"status": meta.get("status"), "ahead_by": meta.get("ahead_by"), "behind_by": meta.get("behind_by"), "diff": diff}

    # -- commits ------------------------------------------------------------------------------------
    async def list_commits(
        self, owner: str, repo: str, *, sha: str | None = None, path: str | None = None, author: str | None = None,
        since: str | None = None, until: str | None = None, page: int = 1, per_page: int = 30, inst: int | None = None,
    ) -> Page:
        params = _params(sha=sha, path=path, author=author, since=since, until=until, page=page, per_page=min(per_page, 100))
        resp = await self._get(owner, repo, f"/repos/{owner}/{repo}/commits", inst, params=params)
        return Page([slim_commit(c) for c in resp.json()], _next_page(resp))


_LAST = re.compile(r'<[^>]*[?&]page=(\d+)[^>]*>;\s*rel="last"')


def _last_page(resp: httpx.Response) -> int | None:
    m = _LAST.search(resp.headers.get("link", ""))
    return int(m.group(1)) if m else None
