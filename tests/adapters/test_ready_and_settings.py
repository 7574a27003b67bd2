"""/ready reports the chat adapters; the Discord settings reject bad guild ids with one clear line."""
from __future__ import annotations

from typing import Any

import pytest

from bot.settings import ConfigError
from tests.adapters.conftest import Chat


async def test_ready_reports_slack_and_discord_and_notices_a_lost_gateway(chat: Chat) -> None:
    resp = await chat.http.get("/ready")
    assert resp.status_code == 200
    assert resp.json()["checks"] == {"database": "ok", "console": "ok", "slack": "ok", "discord": "ok"}
    gateway = chat.bot.opened["discord"].inbound.get("gateway")
    assert gateway is not None
    await gateway.close()
    resp = await chat.http.get("/ready")
    assert resp.status_code == 503 and resp.json()["checks"]["discord"] == "not connected"


def test_guild_ids_are_parsed_and_bad_ones_named(make_settings: Any) -> None:
    settings = make_settings(discord={"discord_guild_ids": "111, 222,"})
    assert settings.discord.guild_ids() == [111, 222]
    assert make_settings(discord={"discord_guild_ids": ""}).discord.guild_ids() == []
    with pytest.raises(ConfigError, match="DISCORD_GUILD_IDS: guild ids are numbers, got 'abc'"):
        make_settings(discord={"discord_guild_ids": "111,abc"})
