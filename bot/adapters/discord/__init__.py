"""Discord: gateway inbound (interactions, mentions), message rendering, REST outbound.

Modules: `gateway` (payload → Event, `GatewayClient`), `schema` (application commands from the registry,
invite URL), `render` (Reply → message payloads), `outbound` (`DiscordOutbound`), `target` (where an
answer goes).
"""
from __future__ import annotations

from bot.adapters.discord.component import PLATFORM

__all__ = ["PLATFORM"]
