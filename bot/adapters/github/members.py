"""What GitHub says a person belongs to: organization teams (`github-team:<org>/<slug>`).

`GET /orgs/{org}/teams/{slug}/memberships/{login}` answers per person and team: 200 with `state`
"active" (or "pending", an invitation not yet accepted: not a member), 404 for anybody else. Each
answer is cached for the TTL. A failed call is logged, counts as "not a member" and never raises into
the acknowledgement path. When GitHub is down (a 5xx, no answer within `CALL_TIMEOUT`, the connection
refused) that deny-safe answer is kept `FAILED_TTL` seconds, as Slack's is (bot/members.py): during an
outage each person and team costs one slow call per quarter minute, not one per request. A refusal
that says something about the credential or the quota (403 without `read:org`, a rate limit) is not
kept: the next request asks again. With a GitHub App the call is made as the App's installation on
that organization. The teams a request needs are asked about together, so one request waits for
GitHub at most `CALL_TIMEOUT` (below the gate's own 1.5 s limit, so the answer is kept, not cancelled).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.members import FAILED_TTL, Membership, TTLCache
from commands.access.identity import Identity
from commands.model import Event
from providers import GitHubError, NotFound

if TYPE_CHECKING:
    from githubkit import GitHub

    from providers import GitHubClient

log = logging.getLogger("chatops.github")
PREFIX = "github-team:"
# How long one membership question may take (githubkit's in-call 5xx retries included): under the gate's
# LOOKUP_TIMEOUT (bot/gate.py), so a slow GitHub ends here, as a failure that is remembered.
CALL_TIMEOUT = 1.0


class GitHubMembers:
    def __init__(self, client: GitHubClient, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._teams: TTLCache[tuple[str, str, str], bool] = TTLCache(ttl, clock=clock)
        self._installations: dict[str, GitHub[Any]] = {}

    async def membership(self, identity: Identity, event: Event, wanted: frozenset[str]) -> Membership:
        if identity.platform != "github" or identity.user == "ghost":
            return Membership()
        teams = []
        for selector in sorted(wanted):
            org, _, slug = selector.removeprefix(PREFIX).partition("/")
            if selector.startswith(PREFIX) and org and slug:
                teams.append((selector, org, slug))
        found = await asyncio.gather(*(self._member(org, slug, identity.user) for _, org, slug in teams))
        return Membership(frozenset(selector for (selector, _, _), member in zip(teams, found, strict=True) if member))

    async def _member(self, org: str, slug: str, login: str) -> bool:
        async def load() -> bool:
            path = f"/orgs/{org}/teams/{slug}/memberships/{login}"
            try:
                async with asyncio.timeout(CALL_TIMEOUT):
                    resp = await self._client.call(await self._org_client(org), "GET", path)
            except NotFound:  # not in the team (or no such team): a definite answer, cached
                return False
            return bool(resp.json().get("state") == "active")

        key = (org.lower(), slug.lower(), login.lower())
        try:
            return await self._teams.get(key, load)
        except Exception as e:  # deny-safe: not a member this time
            down = _github_down(e)
            log.warning("github: team membership %s/%s of %s failed (%s): treated as not a member%s",
                        org, slug, login, _why(e), f" for {min(FAILED_TTL, self._teams.ttl):.0f}s" if down else "")
            if down:  # GitHub is away: remember the answer a short while rather than wait on it per request
                self._teams.put(key, False, min(FAILED_TTL, self._teams.ttl))
            return False

    async def _org_client(self, org: str) -> GitHub[Any]:
        """The token client, or the App's installation client on `org` (found once per organization)."""
        if not self._client.is_app:
            return await self._client.for_repo(org, "")
        key = org.lower()
        if key not in self._installations:
            resp = await self._client.root_request("GET", f"/orgs/{org}/installation")
            # for_repo with an installation id builds (and keeps) that installation's client without a call
            self._installations[key] = await self._client.for_repo(org, "", installation_id=int(resp.json()["id"]))
        return self._installations[key]


def _github_down(e: Exception) -> bool:
    """No answer (a timeout, the connection refused) or a 5xx: GitHub itself is failing. A rate limit
    (status 403) or a refused credential is an answer about this bot, not an outage."""
    if isinstance(e, TimeoutError):
        return True
    return isinstance(e, GitHubError) and (e.status is None or e.status >= 500)


def _why(e: Exception) -> str:
    """The HTTP status or the kind of failure: never a header or a token."""
    if isinstance(e, TimeoutError):
        return f"no answer within {CALL_TIMEOUT:.1f}s"
    status = getattr(e, "status", None)
    return f"HTTP {status}" if status else type(e).__name__
