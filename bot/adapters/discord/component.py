"""Discord as a platform component: the REST outbound in every mode; when receiving, the gateway client
(interactions, mentions), which also syncs the application commands. discord.py is imported only when
Discord is configured."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

from pydantic_settings import BaseSettings

from bot.adapters.discord.settings import DiscordSettings
from bot.adapters.platform import Opened, Probe
from bot.adapters.probe import http_probe

if TYPE_CHECKING:
    import discord

    from bot.spine import Spine

log = logging.getLogger("chatops.discord")
GATEWAY_STOP_TIMEOUT = 5.0


class DiscordPlatform:
    name = "discord"
    sections: Mapping[str, type[BaseSettings]] = {"discord": DiscordSettings}

    def configured(self, sections: Mapping[str, BaseSettings]) -> bool:
        return _mine(sections).discord_token is not None

    def probes(self, sections: Mapping[str, BaseSettings]) -> dict[str, Probe]:
        s = _mine(sections)
        if s.discord_token is None:
            return {}
        url = f"{str(s.discord_api_url).rstrip('/')}/users/@me"
        headers = {"Authorization": f"Bot {s.discord_token.get_secret_value()}"}
        return {"discord": lambda: http_probe(url, headers)}

    @contextlib.asynccontextmanager
    async def open(self, spine: Spine, *, receive: bool) -> AsyncIterator[Opened]:
        s: DiscordSettings = spine.settings.discord
        if s.discord_token is None:
            yield Opened()
            return
        from bot.adapters.discord.gateway import GatewayClient
        from bot.adapters.discord.outbound import DiscordOutbound, point_at

        token = s.discord_token.get_secret_value()
        point_at(str(s.discord_api_url), s.discord_gateway_url)
        gateway = (
            GatewayClient(spine.intake, spine.registry, s.guild_ids(), **spine.options_for(self.name)) if receive else None
        )
        # the Store keeps the command lines of over-long buttons
        outbound = DiscordOutbound(token, button_store=spine.store, gateway=gateway)
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(outbound.aclose)
            await outbound.start()
            if gateway is not None:
                task = asyncio.create_task(_run_gateway(gateway, token), name="discord-gateway")

                async def stop() -> None:
                    await gateway.close()
                    with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
                        await asyncio.wait_for(task, timeout=GATEWAY_STOP_TIMEOUT)

                stack.push_async_callback(stop)
            yield Opened(outbound, inbound={"gateway": gateway} if gateway is not None else {})


async def _run_gateway(client: discord.Client, token: str) -> None:
    import discord

    try:
        await client.start(token, reconnect=True)
    except discord.LoginFailure as e:
        log.error("discord: the gateway refused the token: %s", e)
    except Exception:
        log.exception("discord: the gateway client stopped")


def _mine(sections: Mapping[str, BaseSettings]) -> DiscordSettings:
    section = sections["discord"]
    assert isinstance(section, DiscordSettings)
    return section


PLATFORM = DiscordPlatform()
