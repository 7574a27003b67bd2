"""What GitHub says a person belongs to: organization teams (`github-team:<org>/<slug>`).

`GET /orgs/{org}/teams/{slug}/memberships/{login}` answers per person and team: 200 with `state`
"active" (or "pending", an invitation not yet accepted: not a member), 404 for anybody else. Each
answer is cached for the TTL. A failed call (403 without `read:org`, a timeout, a rate limit) is logged
and counts as "not a member", uncached, and never raises into the acknowledgement path. With a GitHub
App the call is made as the App's installation on that organization.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.members import Membership, TTLCache
from commands.access.identity import Identity
from commands.model import Event
from providers import NotFound

if TYPE_CHECKING:
    from githubkit import GitHub

    from providers import GitHubClient

log = logging.getLogger("chatops.github")
PREFIX = "github-team:"


class GitHubMembers:
    def __init__(self, client: GitHubClient, ttl: float) -> None:
        self._client = client
        self._teams: TTLCache[tuple[str, str, str], bool] = TTLCache(ttl)
        self._installations: dict[str, GitHub[Any]] = {}

    async def membership(self, identity: Identity, event: Event, wanted: frozenset[str]) -> Membership:
        if identity.platform != "github" or identity.user == "ghost":
            return Membership()
        groups = set()
        for selector in sorted(wanted):
            org, _, slug = selector.removeprefix(PREFIX).partition("/")
            if selector.startswith(PREFIX) and org and slug and await self._member(org, slug, identity.user):
                groups.add(selector)
        return Membership(frozenset(groups))

    async def _member(self, org: str, slug: str, login: str) -> bool:
        async def load() -> bool:
            path = f"/orgs/{org}/teams/{slug}/memberships/{login}"
            try:
                resp = await self._client.call(await self._org_client(org), "GET", path)
            except NotFound:  # not in the team (or no such team): a definite answer, cached
                return False
            return bool(resp.json().get("state") == "active")

        try:
            return await self._teams.get((org.lower(), slug.lower(), login.lower()), load)
        except Exception as e:  # deny-safe: not a member this time, asked again next time
            log.warning("github: team membership %s/%s of %s failed (%s): treated as not a member",
                        org, slug, login, type(e).__name__)
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
