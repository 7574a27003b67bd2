"""The spine: what every platform component is given when it opens (and all it may use of the bot).

Storage, the command table, the intake (the only way in for work), the process identity, the settings,
and the one GitHub REST client (one rate-limit gate, shared by the GitHub platform and the MCP
provider). Platforms never see the worker, the scheduler or the assembly (tests/test_arrows.py).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.intake import Intake
from bot.settings import Settings
from bot.storage.store import Store
from commands.registry import Registry

if TYPE_CHECKING:
    from bot.members import MemberLookup
    from providers import GitHubClient


@dataclass(frozen=True, slots=True)
class Spine:
    settings: Settings
    store: Store
    registry: Registry
    intake: Intake
    instance: str
    github: GitHubClient | None = None
    # per-platform options that are not settings (tests: discord.py client options such as guild_ready_timeout)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # platform → its member lookup (groups, guests), registered by the platform when it opens (bot/members.py)
    members: dict[str, MemberLookup] = field(default_factory=dict)

    def options_for(self, platform: str) -> Mapping[str, Any]:
        return self.options.get(platform, {})
