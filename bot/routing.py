"""Channel targets from settings: `slack:C0123,discord:112233,console` → conversations to post into."""
from __future__ import annotations

from commands.model import Conversation

PLATFORMS = ("console", "slack", "discord", "github")


def parse_targets(value: str | None, setting: str = "channel") -> list[Conversation]:
    """Parse a comma-separated target list; ValueError names the setting and the bad entry."""
    targets: list[Conversation] = []
    for entry in (value or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        platform, _, channel = entry.partition(":")
        platform = platform.strip().lower()
        if platform not in PLATFORMS:
            raise ValueError(f"{setting}: unknown platform {platform!r} in {entry!r} (use {', '.join(PLATFORMS)})")
        channel, _, thread = channel.strip().partition("/")
        if platform != "console" and not channel:
            raise ValueError(f"{setting}: {entry!r} needs a channel id after the colon, e.g. slack:C0123")
        targets.append(Conversation(platform, channel or "stdout", thread or None))
    return targets
