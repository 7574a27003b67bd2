"""The permission gate as the bot runs it: the policy built from the settings (defaults, POLICY_FILE,
MCP_OPERATORS, GITHUB_ALLOWED_REPOS), the gate for the intake, and what /access and /audit use."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.gate import Gate
from bot.members import MemberLookup
from bot.ratelimit import RateLimiter
from bot.settings import Settings
from bot.storage.access import AccessStore
from bot.storage.tokens import TokenStore
from commands.access.policy import Policy, PolicyError, default_policy, parse_policy

log = logging.getLogger("chatops.access")
LoginLinks = Callable[[str, str], Awaitable[str]]


class PolicyFileError(Exception):
    """POLICY_FILE cannot be used; the text is the one line start-up prints."""


def load_policy(settings: Settings) -> Policy:
    path: Path | None = settings.core.policy_file
    if path is None:
        policy = default_policy()
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise PolicyFileError(f"POLICY_FILE {path}: {e.strerror or e}") from None
        try:
            policy = parse_policy(text, source=str(path))
        except PolicyError as e:
            raise PolicyFileError(str(e)) from None
    operators = sorted(settings.mcp.operators())
    if operators:
        log.warning("MCP_OPERATORS is deprecated: put these in the operator role of POLICY_FILE (docs/access.md)")
        policy = policy.with_operators(operators)
    repos = settings.github.github_allowed_repos
    return policy.with_repos(repos.split(",") if repos else None)


def allowed_spaces(settings: Settings) -> dict[str, frozenset[str] | None]:
    """Slack workspaces and Discord guilds the bot serves; None where the setting is empty (all that can
    reach it: Slack's signing secret and Discord's token already bind it to its own installations)."""
    spaces: dict[str, frozenset[str] | None] = {}
    for name in ("slack", "discord"):
        section = getattr(settings, name)
        spaces[name] = section.allowed_spaces()
    return spaces


class BotAccess(AccessStore):
    """The storage of grants and audit, the web's tokens and sessions, and the one-time login links."""

    def __init__(self, store: AccessStore, gate: Gate | None = None, links: LoginLinks | None = None,
                 tokens: TokenStore | None = None) -> None:
        super().__init__(store.engine, store.clock)
        self.gate, self.links = gate, links
        self.tokens = tokens or TokenStore(store.engine)

    async def grant(self, subject: str, role: str, by: str, place: str) -> bool:
        done = await super().grant(subject, role, by, place)
        if self.gate is not None:
            self.gate.grants.invalidate()
        return done

    async def revoke(self, subject: str, role: str | None, by: str, place: str) -> list[str]:
        taken = await super().revoke(subject, role, by, place)
        if self.gate is not None:
            self.gate.grants.invalidate()
        return taken

    async def login_link(self, subject: str, role: str) -> str | None:
        return None if self.links is None else await self.links(subject, role)


def build_gate(settings: Settings, store: AccessStore, members: dict[str, MemberLookup], policy: Policy,
               rates: RateLimiter | None = None) -> Gate:
    return Gate(policy, store, members, allowed_spaces(settings), rates=rates)
