"""The platforms this bot speaks, in the order `open_bot` enters them. Adding one is its package plus a line."""
from __future__ import annotations

from bot.adapters import console, discord, github, slack
from bot.adapters.platform import Platform

PLATFORMS: tuple[Platform, ...] = (
    console.PLATFORM,
    slack.PLATFORM,
    discord.PLATFORM,
    github.PLATFORM,
)
