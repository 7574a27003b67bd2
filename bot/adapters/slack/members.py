"""What Slack says a person belongs to: user groups (`slack-group:<team>/<usergroup id>`) and guests.

Only the groups the policy names (`wanted`) are asked about, each group's member list once per TTL
(`usergroups.users.list`, one call answers for everybody in it), and each person's guest flag once per
TTL (`users.info`: `is_restricted` is a multi-channel guest, `is_ultra_restricted` a single-channel one).
A failed call is logged and answers the safe way, "not a member" / "a guest" (the fewest rights),
without being cached, so the next request asks again; it never raises into the acknowledgement path.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.members import FAILED_TTL, Membership, TTLCache
from commands.access.identity import Identity
from commands.model import Event

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("chatops.slack")
PREFIX = "slack-group:"


class SlackMembers:
    def __init__(self, client: AsyncWebClient, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._groups: TTLCache[tuple[str, str], frozenset[str]] = TTLCache(ttl, clock=clock)
        self._guests: TTLCache[tuple[str, str], bool] = TTLCache(ttl, clock=clock)

    async def membership(self, identity: Identity, event: Event, wanted: frozenset[str]) -> Membership:
        if identity.platform != "slack" or not identity.space:
            return Membership()
        team, user = identity.space, identity.user
        groups = set()
        for selector in sorted(wanted):
            space, _, group = selector.removeprefix(PREFIX).partition("/")
            if not selector.startswith(PREFIX) or space != team or not group:
                continue  # another platform's selector, or another workspace's group
            if user in await self._members(team, group):
                groups.add(selector)
        return Membership(frozenset(groups), await self._guest(team, user))

    async def _members(self, team: str, group: str) -> frozenset[str]:
        async def load() -> frozenset[str]:
            resp = await self._client.usergroups_users_list(usergroup=group, team_id=team)
            return frozenset(str(u) for u in resp.get("users") or ())

        try:
            return await self._groups.get((team, group), load)
        except Exception as e:  # deny-safe: not a member this time, asked again next time
            log.warning("slack: usergroups.users.list %s/%s failed (%s): treated as not a member", team, group, _why(e))
            self._groups.put((team, group), frozenset(), min(FAILED_TTL, self._groups.ttl))
            return frozenset()

    async def _guest(self, team: str, user: str) -> bool:
        async def load() -> bool:
            info = (await self._client.users_info(user=user)).get("user") or {}
            return bool(info.get("is_restricted") or info.get("is_ultra_restricted"))

        try:
            return await self._guests.get((team, user), load)
        except Exception as e:  # deny-safe: a guest has the fewest rights
            log.warning("slack: users.info %s/%s failed (%s): treated as a guest", team, user, _why(e))
            self._guests.put((team, user), True, min(FAILED_TTL, self._guests.ttl))
            return True


def _why(e: Exception) -> str:
    """The API's error code (`no_such_subteam`, `ratelimited`), or the exception's type: never a header."""
    data = getattr(getattr(e, "response", None), "data", None)  # a SlackApiError's body, when it was JSON
    code = data.get("error") if isinstance(data, dict) else None
    status = getattr(getattr(e, "response", None), "status_code", None)
    return str(code or (f"HTTP {status}" if status else type(e).__name__))
