"""Settings: read once from the environment and `.env`, validated, immutable, passed down.

Each package declares its own section beside its code (`pool/settings.py`, …); this module declares the
sections `bot/` owns and composes them all into one `Settings`. A bad value stops start-up with one line
that names the setting (`ConfigError`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.adapters.github.settings import GitHubBotSettings
from pool.settings import LLMSettings
from providers.settings import MCPSettings
from reports.settings import ReportsSettings

_CONFIG = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True)


class ConfigError(Exception):
    """One configuration problem, phrased as one line naming the setting."""


def _blank_to_none(v: object) -> object:
    return None if v == "" else v


class CoreSettings(BaseSettings):
    model_config = _CONFIG

    database_url: str = Field(
        "sqlite:///./data/chatops.db",
        description="sqlite:///path (default ./data/chatops.db) or postgresql://user:pass@host:5432/db",
    )
    data_dir: Path = Field(Path("./data"), description="Where the console adapter writes images and history")
    host: str = Field("127.0.0.1", description="HTTP listen address of `run` and `web`")
    port: int = Field(8000, ge=0, le=65535, description="HTTP listen port of `run` and `web`")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    worker_concurrency: int = Field(8, ge=1, le=1000, description="Executions one worker process runs at once")
    lease_seconds: float = Field(30.0, gt=0, description="How long a claimed execution stays owned without a heartbeat")
    max_attempts: int = Field(3, ge=1, description="Attempts before an execution is marked FAILED for good")
    retry_delay: float = Field(
        30.0, gt=0, description="Wait before another attempt of a GitHub event or scheduled job that met a transient failure (doubles each time, at most 10 min)"
    )
    poll_interval: float = Field(0.5, gt=0, description="Seconds between queue polls when idle")
    alert_channel: str | None = Field(None, description="Where alerts go, e.g. slack:C0123,discord:112233")
    report_channel: str | None = Field(None, description="Where the hourly report goes")

    @field_validator("database_url")
    @classmethod
    def _check_db(cls, v: str) -> str:
        from bot.storage.engine import async_url

        async_url(v)  # raises ValueError with the reason
        return v

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, v: str) -> str:
        if v.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return v.upper()

    @field_validator("alert_channel", "report_channel", mode="before")
    @classmethod
    def _blank(cls, v: object) -> object:
        return _blank_to_none(v)

    @field_validator("alert_channel", "report_channel")
    @classmethod
    def _targets(cls, v: str | None) -> str | None:
        from bot.routing import parse_targets

        parse_targets(v)
        return v


class SlackSettings(BaseSettings):
    model_config = _CONFIG

    slack_bot_token: SecretStr | None = Field(None, description="Bot token (xoxb-…)")
    slack_signing_secret: SecretStr | None = Field(None, description="Signing secret for /slack/events")
    slack_app_token: SecretStr | None = Field(None, description="App-level token (xapp-…) for Socket Mode")
    slack_api_url: AnyHttpUrl = Field(AnyHttpUrl("https://slack.com/api/"), description="Slack Web API base URL")

    @property
    def enabled(self) -> bool:
        return self.slack_bot_token is not None


class DiscordSettings(BaseSettings):
    model_config = _CONFIG

    discord_token: SecretStr | None = Field(None, description="Bot token")
    discord_api_url: AnyHttpUrl = Field(AnyHttpUrl("https://discord.com/api/v10"), description="Discord REST base URL")
    discord_gateway_url: str | None = Field(None, description="Gateway WebSocket URL override (ws:// or wss://)")
    discord_guild_ids: str | None = Field(
        None, description="Comma-separated guild ids to sync slash commands to at once; empty syncs them globally"
    )

    @field_validator("discord_gateway_url", "discord_guild_ids", mode="before")
    @classmethod
    def _blank(cls, v: object) -> object:
        return _blank_to_none(v)

    @field_validator("discord_guild_ids")
    @classmethod
    def _ids(cls, v: str | None) -> str | None:
        bad = [g for g in (v or "").split(",") if g.strip() and not g.strip().isdigit()]
        if bad:
            raise ValueError(f"guild ids are numbers, got {bad[0].strip()!r}")
        return v

    def guild_ids(self) -> list[int]:
        return [int(g) for g in (self.discord_guild_ids or "").split(",") if g.strip()]

    @property
    def enabled(self) -> bool:
        return self.discord_token is not None


class GitHubSettings(BaseSettings):
    model_config = _CONFIG

    github_webhook_secret: SecretStr | None = Field(None, description="Secret that signs webhook deliveries")
    github_token: SecretStr | None = Field(None, description="Token for the REST API (or use a GitHub App)")
    github_app_id: str | None = Field(None, description="GitHub App id (with GITHUB_PRIVATE_KEY)")
    github_private_key: SecretStr | None = Field(
        None, description="GitHub App private key: a path to the .pem file or the PEM text itself"
    )
    github_allowed_repos: str | None = Field(None, description="Comma-separated owner/repo list; empty allows all")
    github_api_url: AnyHttpUrl = Field(AnyHttpUrl("https://api.github.com/"), description="GitHub REST base URL")

    @field_validator("github_app_id", "github_allowed_repos", mode="before")
    @classmethod
    def _blank(cls, v: object) -> object:
        return _blank_to_none(v)

    @field_validator("github_private_key")
    @classmethod
    def _readable_key(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value():
            return None
        text = v.get_secret_value()
        if "-----BEGIN" in text:
            return v
        try:
            return SecretStr(Path(text).expanduser().read_text())
        except OSError as e:
            raise ValueError(f"cannot read the key file {text!r}: {e.strerror}") from None

    @property
    def enabled(self) -> bool:
        return self.github_token is not None or self.github_app_id is not None


@dataclass(frozen=True, slots=True)
class Settings:
    core: CoreSettings
    llm: LLMSettings
    slack: SlackSettings
    discord: DiscordSettings
    github: GitHubSettings
    mcp: MCPSettings
    github_bot: GitHubBotSettings
    reports: ReportsSettings

    def sections(self) -> dict[str, BaseSettings]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


_SECTIONS: dict[str, type[BaseSettings]] = {
    "core": CoreSettings,
    "llm": LLMSettings,
    "slack": SlackSettings,
    "discord": DiscordSettings,
    "github": GitHubSettings,
    "mcp": MCPSettings,
    "github_bot": GitHubBotSettings,
    "reports": ReportsSettings,
}


def load_settings(env_file: str | os.PathLike[str] | None = ".env", **overrides: Any) -> Settings:
    """Build every section; `overrides` maps a section name to a dict of field values (tests use it)."""
    built: dict[str, BaseSettings] = {}
    for name, cls in _SECTIONS.items():
        try:
            built[name] = cls(_env_file=env_file, **overrides.get(name, {}))  # type: ignore[call-arg]
        except ValidationError as e:
            raise ConfigError(_one_line(e)) from None
    return Settings(**built)  # type: ignore[arg-type]


def _one_line(e: ValidationError) -> str:
    err = e.errors()[0]
    setting = str(err["loc"][0]).upper() if err["loc"] else "?"
    msg = err["msg"].removeprefix("Value error, ")
    more = f" (and {len(e.errors()) - 1} more)" if len(e.errors()) > 1 else ""
    return f"configuration error: {setting}: {msg}{more}"


def describe(settings: Settings) -> list[tuple[str, str, str]]:
    """(SETTING, value, description) for every setting, secrets masked: what `chatops check` prints."""
    rows: list[tuple[str, str, str]] = []
    for section in settings.sections().values():
        for name, info in type(section).model_fields.items():
            value = getattr(section, name)
            if isinstance(value, SecretStr):
                shown = "(set, hidden)"
            elif value is None:
                shown = "(not set)"
            elif name == "database_url":
                from bot.storage.engine import masked_url

                shown = masked_url(str(value))
            else:
                shown = str(value)
            rows.append((name.upper(), shown, info.description or ""))
    return rows
