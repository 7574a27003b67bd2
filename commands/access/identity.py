"""Who someone is, on which platform: one identity string per person and platform, never confused.

    slack:<team>/<user>     discord:<guild>/<user>   discord:dm/<user>
    github:<login>          console:<os user>        system:<job>   (the scheduler, agents)

Adapters put the identity in `Event.user`; the intake stores it as the Execution's requester. Group
selectors name what a platform says a person belongs to, in the same spirit:

    slack-group:<team>/<usergroup id>   discord-role:<guild>/<role id>   github-team:<org>/<team slug>
"""
from __future__ import annotations

from dataclasses import dataclass

PLATFORMS_WITH_SPACE = frozenset({"slack", "discord"})
DM = "dm"


@dataclass(frozen=True, slots=True)
class Identity:
    platform: str
    user: str
    space: str | None = None  # the Slack team, the Discord guild or "dm"; None where a platform has none

    def __str__(self) -> str:
        if self.platform in PLATFORMS_WITH_SPACE:
            return f"{self.platform}:{self.space or ''}/{self.user}"
        return f"{self.platform}:{self.user}"

    @classmethod
    def parse(cls, text: str) -> Identity:
        """`slack:T1/U1` → Identity("slack", "U1", "T1"); raises ValueError on anything else."""
        platform, sep, rest = text.partition(":")
        if not sep or not platform or not rest:
            raise ValueError(f"not an identity: {text!r} (e.g. slack:T0123/U0456, github:octocat)")
        if platform in PLATFORMS_WITH_SPACE:
            space, slash, user = rest.partition("/")
            if not slash or not space or not user:
                raise ValueError(f"not an identity: {text!r} ({platform}:<{'team' if platform == 'slack' else 'guild'}>/<user>)")
            return cls(platform, user, space)
        return cls(platform, rest)

    @property
    def dm(self) -> bool:
        return self.space == DM


def slack(team: str, user: str) -> str:
    return f"slack:{team}/{user}"


def discord(guild: str | None, user: str) -> str:
    return f"discord:{guild or DM}/{user}"


def github(login: str) -> str:
    return f"github:{login}"


def platform_user(identity: str) -> str:
    """The platform's own user id inside an identity (`slack:T1/U1` → `U1`), for mentions; the text itself
    when it is not an identity (rows stored before identities existed)."""
    try:
        return Identity.parse(identity).user
    except ValueError:
        return identity


def mention(identity: str) -> str:
    """How to name the person in their own platform's text: `<@U1>` on Slack and Discord (which both render
    it as a mention), the identity itself elsewhere."""
    try:
        parsed = Identity.parse(identity)
    except ValueError:
        return "@user"
    return f"<@{parsed.user}>" if parsed.platform in ("slack", "discord") else str(parsed)
