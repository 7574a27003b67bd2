"""Settings of the Discord platform (declared beside its code, composed by bot/settings.py)."""
from __future__ import annotations

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from bot.adapters.settings_base import PLATFORM_CONFIG, blank_to_none


class DiscordSettings(BaseSettings):
    model_config = PLATFORM_CONFIG

    discord_token: SecretStr | None = Field(None, description="Bot token")
    discord_api_url: AnyHttpUrl = Field(AnyHttpUrl("https://discord.com/api/v10"), description="Discord REST base URL")
    discord_gateway_url: str | None = Field(None, description="Gateway WebSocket URL override (ws:// or wss://)")
    discord_guild_ids: str | None = Field(
        None, description="Comma-separated guild ids to sync slash commands to at once; empty syncs them globally"
    )

    @field_validator("discord_gateway_url", "discord_guild_ids", mode="before")
    @classmethod
    def _blank(cls, v: object) -> object:
        return blank_to_none(v)

    @field_validator("discord_guild_ids")
    @classmethod
    def _ids(cls, v: str | None) -> str | None:
        bad = [g for g in (v or "").split(",") if g.strip() and not g.strip().isdigit()]
        if bad:
            raise ValueError(f"guild ids are numbers, got {bad[0].strip()!r}")
        return v

    def guild_ids(self) -> list[int]:
        return [int(g) for g in (self.discord_guild_ids or "").split(",") if g.strip()]

    def allowed_spaces(self) -> frozenset[str] | None:
        """The guilds DISCORD_GUILD_IDS names, as identity spaces; None when it is not set (any guild)."""
        return frozenset(str(g) for g in self.guild_ids()) or None

    @property
    def enabled(self) -> bool:
        return self.discord_token is not None
