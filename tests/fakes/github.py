"""A fake GitHub REST API on 127.0.0.1 (aiohttp.web), driven by the real githubkit client.

Holds repositories with labels, issues, pull requests (JSON and `application/vnd.github.diff`),
comments, commits and compares; organization teams (`teams["org/slug"] = {login: "active"|"pending"}`,
answered per member like GitHub: 404 for anybody else); authenticates tokens and GitHub App JWTs (verified with the App's public
key) and issues installation tokens that really expire; scripts secondary (403 + Retry-After) and
primary (X-RateLimit-Remaining: 0) rate limits, and an outage (`outage = 503`: every call answered as
GitHub does when it is down, until set back to None; `delay`: every answer held back that many
seconds). Every request is logged in `requests`.
"""
from __future__ import annotations

import asyncio
import itertools
import json as _json
import re
import time
import uuid as _uuid
from dataclasses import dataclass, field
from pathlib import Path as _Path
from typing import Any

import jwt
from aiohttp import web
from githubkit.webhooks import sign as _sign  # an implementation independent of the bot's verifier

from tests.fakes.serve import serve_local

OUTAGE_MESSAGE = ("No server is currently available to service your request. Sorry about that. "
                  "Please try resubmitting your request and contact us if the problem persists.")


@dataclass
class FakeRepo:
    full_name: str
    default_branch: str = "main"
    labels: list[dict[str, Any]] = field(default_factory=list)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    diffs: dict[int, str] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    commits: list[dict[str, Any]] = field(default_factory=list)
    compares: dict[str, dict[str, Any]] = field(default_factory=dict)  # "base...head" → {status, diff}
    installation_id: int = 1

    def add_issue(self, number: int, title: str, body: str = "", labels: tuple[str, ...] = (), user: str = "octocat") -> dict[str, Any]:
        issue = {
            "number": number, "title": title, "body": body, "state": "open", "user": {"login": user, "type": "User"},
            "labels": [{"name": n} for n in labels], "comments": 0, "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-01T00:00:00Z", "html_url": f"https://github.com/{self.full_name}/issues/{number}",
        }
        self.issues[number] = issue
        return issue

    def add_pull(self, number: int, title: str, diff: str, body: str = "", head_sha: str = "abc123", draft: bool = False) -> dict[str, Any]:
        pr = {
            "number": number, "title": title, "body": body, "state": "open", "draft": draft, "merged": False,
            "user": {"login": "octocat", "type": "User"}, "base": {"ref": self.default_branch},
            "head": {"ref": "feature", "sha": head_sha}, "additions": diff.count("\n+"), "deletions": diff.count("\n-"),
            "changed_files": diff.count("diff --git"), "html_url": f"https://github.com/{self.full_name}/pull/{number}",
            "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z",
        }
        self.pulls[number] = pr
        self.diffs[number] = diff
        issue = self.add_issue(number, title, body)
        issue["pull_request"] = {"url": pr["html_url"]}
        return pr


@dataclass
class FakeGitHub:
    tokens: set[str] = field(default_factory=lambda: {"ghp_test"})
    app_id: str | None = None
    app_public_key: str | None = None
    token_ttl: float = 3600.0  # lifetime of installation tokens the fake issues
    bot_login: str = "chatops-bot[bot]"
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    secondary_limit: int = 0  # answer the next N API calls with 403 + Retry-After
    server_errors: int = 0  # answer the next N API calls with 502 Bad Gateway
    outage: int | None = None  # while set: every API call answered with this 5xx status (503: GitHub is down)
    delay: float = 0.0  # seconds every answer is held back (a GitHub that does not answer in time)
    retry_after: int = 1
    primary_reset_in: float | None = None  # next response says the primary budget is spent until now+N
    installation_tokens: dict[str, float] = field(default_factory=dict)
    teams: dict[str, dict[str, str]] = field(default_factory=dict)  # "org/slug" → login → membership state
    org_installations: dict[str, int] = field(default_factory=dict)  # org → the App's installation id there
    token_exchanges: int = 0
    url: str = ""
    _ids: Any = field(default_factory=lambda: itertools.count(1000))
    _runner: web.AppRunner | None = None

    def repo(self, full_name: str, **kw: Any) -> FakeRepo:
        if full_name not in self.repos:
            self.repos[full_name] = FakeRepo(full_name, **kw)
        return self.repos[full_name]

    def bot_comments(self, full_name: str, number: int) -> list[dict[str, Any]]:
        return [c for c in self.repos[full_name].comments.get(number, []) if c["user"]["login"] == self.bot_login]

    # -- server ---------------------------------------------------------------------------------------
    async def __aenter__(self) -> FakeGitHub:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner, base = await serve_local(app)
        self.url = f"{base}/"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        h = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": str(int(time.time()) + 3600)}
        if self.primary_reset_in is not None:
            h.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time() + self.primary_reset_in))})
            self.primary_reset_in = None
        h.update(headers or {})
        import json

        return web.Response(text=json.dumps(data), status=status, content_type="application/json", headers=h)

    def _auth(self, request: web.Request, path: str) -> str | None:
        """The credential kind ('token', 'jwt', 'installation'), or None when refused."""
        header = request.headers.get("Authorization", "")
        scheme, _, cred = header.partition(" ")
        if scheme.lower() == "bearer" and self.app_public_key:
            try:
                claims = jwt.decode(cred, self.app_public_key, algorithms=["RS256"])
            except jwt.PyJWTError:
                return None
            return "jwt" if str(claims.get("iss")) == str(self.app_id) else None
        if cred in self.tokens:
            return "token"
        expires = self.installation_tokens.get(cred)
        if expires is not None and expires > time.time():
            return "installation"
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body = await request.json() if request.can_read_body else None
        auth = self._auth(request, path)
        self.requests.append({"method": request.method, "path": path, "query": dict(request.query), "auth": auth,
                              "authorization": request.headers.get("Authorization", ""), "body": body,
                              "accept": request.headers.get("Accept", "")})
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.outage is not None:  # GitHub's own words when no backend answers
            return self._json({"message": OUTAGE_MESSAGE}, self.outage)
        if auth is None:
            return self._json({"message": "Bad credentials"}, 401)
        if self.server_errors > 0:
            self.server_errors -= 1
            return self._json({"message": "Server Error"}, 502)
        if self.secondary_limit > 0:
            self.secondary_limit -= 1
            return self._json({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."},
                              403, {"Retry-After": str(self.retry_after)})
        for method, pattern, handler in self._routes():
            m = re.fullmatch(pattern, path)
            if m and request.method == method:
                return await handler(request, auth, body, *m.groups())
        return self._json({"message": "Not Found"}, 404)

    def _routes(self) -> list[tuple[str, str, Any]]:
        repo = r"/repos/([^/]+/[^/]+)"
        return [
            ("POST", r"/app/installations/(\d+)/access_tokens", self._access_token),
            ("GET", r"/app", self._app),
            ("GET", r"/user", self._user),
            ("GET", r"/user/repos", self._user_repos),
            ("GET", r"/users/([^/]+)/repos", self._owner_repos),
            ("GET", repo + r"/installation", self._repo_installation),
            ("GET", r"/orgs/([^/]+)/installation", self._org_installation),
            ("GET", r"/orgs/([^/]+)/teams/([^/]+)/memberships/([^/]+)", self._team_membership),
            ("GET", repo, self._repo),
            ("GET", repo + r"/labels", self._labels),
            ("GET", repo + r"/issues", self._issues),
            ("GET", repo + r"/issues/(\d+)", self._issue),
            ("GET", repo + r"/issues/(\d+)/comments", self._comments),
            ("POST", repo + r"/issues/(\d+)/comments", self._create_comment),
            ("PATCH", repo + r"/issues/comments/(\d+)", self._update_comment),
            ("GET", repo + r"/pulls", self._pulls),
            ("GET", repo + r"/pulls/(\d+)", self._pull),
            ("GET", repo + r"/compare/([^/]+)\.\.\.([^/]+)", self._compare),
            ("GET", repo + r"/commits", self._commits),
        ]

    def _find(self, name: str) -> FakeRepo | None:
        return self.repos.get(name) or next((r for k, r in self.repos.items() if k.lower() == name.lower()), None)

    def _paged(self, request: web.Request, items: list[Any]) -> web.Response:
        per_page = int(request.query.get("per_page", 30))
        page = int(request.query.get("page", 1))
        chunk = items[(page - 1) * per_page: page * per_page]
        links = []
        last = max(1, -(-len(items) // per_page))
        base = f"{self.url.rstrip('/')}{request.path}"
        if page < last:
            links.append(f'<{base}?per_page={per_page}&page={page + 1}>; rel="next"')
        if last > 1:
            links.append(f'<{base}?per_page={per_page}&page={last}>; rel="last"')
        return self._json(chunk, headers={"Link": ", ".join(links)} if links else None)

    # -- handlers -------------------------------------------------------------------------------------
    async def _access_token(self, request: web.Request, auth: str, body: Any, inst: str) -> web.Response:
        if auth != "jwt":
            return self._json({"message": "A JSON web token could not be decoded"}, 401)
        self.token_exchanges += 1
        token = f"ghs_{inst}_{self.token_exchanges}"
        expires = time.time() + self.token_ttl
        self.installation_tokens[token] = expires
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
        return self._json({"token": token, "expires_at": stamp, "permissions": {}, "repository_selection": "all"}, 201)

    async def _app(self, request: web.Request, auth: str, body: Any) -> web.Response:
        slug = self.bot_login.removesuffix("[bot]")
        return self._json({"id": self.app_id, "slug": slug, "name": slug})

    async def _user(self, request: web.Request, auth: str, body: Any) -> web.Response:
        return self._json({"login": self.bot_login, "type": "Bot" if self.bot_login.endswith("[bot]") else "User"})

    def _repo_json(self, r: FakeRepo) -> dict[str, Any]:
        return {"full_name": r.full_name, "default_branch": r.default_branch, "private": False, "description": "fake",
                "html_url": f"https://github.com/{r.full_name}", "open_issues_count": len(r.issues)}

    async def _user_repos(self, request: web.Request, auth: str, body: Any) -> web.Response:
        return self._paged(request, [self._repo_json(r) for r in self.repos.values()])

    async def _owner_repos(self, request: web.Request, auth: str, body: Any, owner: str) -> web.Response:
        return self._paged(request, [self._repo_json(r) for k, r in self.repos.items() if k.split("/")[0] == owner])

    async def _repo_installation(self, request: web.Request, auth: str, body: Any, name: str) -> web.Response:
        r = self._find(name)
        if r is None or auth != "jwt":
            return self._json({"message": "Not Found"}, 404)
        return self._json({"id": r.installation_id, "app_id": self.app_id})

    async def _org_installation(self, request: web.Request, auth: str, body: Any, org: str) -> web.Response:
        inst = next((i for o, i in self.org_installations.items() if o.lower() == org.lower()), None)
        if inst is None or auth != "jwt":
            return self._json({"message": "Not Found"}, 404)
        return self._json({"id": inst, "app_id": self.app_id, "account": {"login": org, "type": "Organization"}})

    async def _team_membership(self, request: web.Request, auth: str, body: Any, org: str, slug: str, login: str) -> web.Response:
        """GET /orgs/{org}/teams/{slug}/memberships/{username}: 200 with role and state, 404 otherwise
        (GitHub does not say whether the team exists); an App JWT is not an installation: 401 as GitHub."""
        if auth == "jwt":
            return self._json({"message": "A JSON web token could not be decoded"}, 401)
        team = next((t for k, t in self.teams.items() if k.lower() == f"{org}/{slug}".lower()), {})
        state = next((s for u, s in team.items() if u.lower() == login.lower()), None)
        if state is None:
            return self._json({"message": "Not Found"}, 404)
        return self._json({"url": f"{self.url}orgs/{org}/teams/{slug}/memberships/{login}", "role": "member", "state": state})

    async def _repo(self, request: web.Request, auth: str, body: Any, name: str) -> web.Response:
        r = self._find(name)
        return self._json(self._repo_json(r)) if r else self._json({"message": "Not Found"}, 404)

    async def _labels(self, request: web.Request, auth: str, body: Any, name: str) -> web.Response:
        r = self._find(name)
        return self._paged(request, r.labels) if r else self._json({"message": "Not Found"}, 404)

    async def _issues(self, request: web.Request, auth: str, body: Any, name: str) -> web.Response:
        r = self._find(name)
        if r is None:
            return self._json({"message": "Not Found"}, 404)
        state = request.query.get("state", "open")
        items = [i for i in sorted(r.issues.values(), key=lambda i: -i["number"]) if state == "all" or i["state"] == state]
        if "labels" in request.query:
            wanted = set(request.query["labels"].split(","))
            items = [i for i in items if wanted <= {lb["name"] for lb in i["labels"]}]
        return self._paged(request, items)

    async def _issue(self, request: web.Request, auth: str, body: Any, name: str, number: str) -> web.Response:
        r = self._find(name)
        issue = r.issues.get(int(number)) if r else None
        return self._json(issue) if issue else self._json({"message": "Not Found"}, 404)

    async def _comments(self, request: web.Request, auth: str, body: Any, name: str, number: str) -> web.Response:
        r = self._find(name)
        if r is None:
            return self._json({"message": "Not Found"}, 404)
        return self._paged(request, r.comments.get(int(number), []))

    async def _create_comment(self, request: web.Request, auth: str, body: Any, name: str, number: str) -> web.Response:
        r = self._find(name)
        if r is None:
            return self._json({"message": "Not Found"}, 404)
        cid = next(self._ids)
        comment = {"id": cid, "body": body["body"], "user": {"login": self.bot_login, "type": "Bot"},
                   "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ"), "html_url": f"https://github.com/{name}/issues/{number}#issuecomment-{cid}"}
        r.comments.setdefault(int(number), []).append(comment)
        return self._json(comment, 201)

    async def _update_comment(self, request: web.Request, auth: str, body: Any, name: str, cid: str) -> web.Response:
        r = self._find(name)
        for comments in (r.comments.values() if r else []):
            for c in comments:
                if c["id"] == int(cid):
                    c["body"] = body["body"]
                    c["updated"] = c.get("updated", 0) + 1
                    return self._json(c)
        return self._json({"message": "Not Found"}, 404)

    async def _pulls(self, request: web.Request, auth: str, body: Any, name: str) -> web.Response:
        r = self._find(name)
        if r is None:
            return self._json({"message": "Not Found"}, 404)
        state = request.query.get("state", "open")
        return self._paged(request, [p for p in r.pulls.values() if state == "all" or p["state"] == state])

    async def _pull(self, request: web.Request, auth: str, body: Any, name: str, number: str) -> web.StreamResponse:
        r = self._find(name)
        pr = r.pulls.get(int(number)) if r else None
        if pr is None:
            return self._json({"message": "Not Found"}, 404)
        if "diff" in request.headers.get("Accept", ""):
            return web.Response(text=r.diffs[int(number)], content_type="text/plain")  # type: ignore[union-attr]
        return self._json(pr)

    async def _compare(self, request: web.Request, auth: str, body: Any, name: str, base: str, head: str) -> web.StreamResponse:
        r = self._find(name)
        found = r.compares.get(f"{base}...{head}") if r else None
        if found is None:
            return self._json({"message": "No common ancestor between the commits."}, 404)
        if "diff" in request.headers.get("Accept", ""):
            return web.Response(text=found.get("diff", ""), content_type="text/plain")
        return self._json({"status": found["status"], "ahead_by": found.get("ahead_by", 1), "behind_by": found.get("behind_by", 0)})

    async def _commits(self, request: web.Request, auth: str, body: Any, name: str) -> web.Response:
        r = self._find(name)
        if r is None:
            return self._json({"message": "Not Found"}, 404)
        items = r.commits
        if "author" in request.query:
            items = [c for c in items if (c.get("author") or {}).get("login") == request.query["author"]]
        return self._paged(request, items)


# -- signed deliveries of the shared fixtures ----------------------------------------------------------
FIXTURES = _Path(__file__).resolve().parents[1] / "fixtures" / "github"  # byte-exact copies of ../shared/fixtures
SECRET = "It's a Secret to Everybody"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_names() -> list[str]:
    return sorted(p.name for p in FIXTURES.glob("*.json") if p.name not in ("signatures.json", "headers.example.json"))


def real_signature(name: str) -> str:
    return _json.loads((FIXTURES / "signatures.json").read_text())["files"][name]["X-Hub-Signature-256"]


def sign(body: bytes, secret: str = SECRET) -> str:
    return _sign(secret, body)


def event_of(name: str) -> str:
    return name.split(".", 1)[0]


def unwrapped(name: str) -> bytes:
    """The webhook body inside a Probot-wrapped capture ({"event","name","payload"})."""
    return _json.dumps(_json.loads(fixture(name))["payload"]).encode()


def headers(event: str, body: bytes, *, delivery: str | None = None, signature: str | None = None) -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(_uuid.uuid4()),
        "X-Hub-Signature-256": signature if signature is not None else sign(body),
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/test",
    }
