"""Settings of the Slack platform (declared beside its code, composed by bot/settings.py)."""
from __future__ import annotations

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from bot.adapters.settings_base import PLATFORM_CONFIG, blank_to_none


class SlackSettings(BaseSettings):
    model_config = PLATFORM_CONFIG

    slack_bot_token: SecretStr | None = Field(None, description="Bot token (xoxb-…)")
    slack_signing_secret: SecretStr | None = Field(None, description="Signing secret for /slack/events")
    slack_app_token: SecretStr | None = Field(None, description="App-level token (xapp-…) for Socket Mode")
    slack_api_url: AnyHttpUrl = Field(AnyHttpUrl("https://slack.com/api/"), description="Slack Web API base URL")
    slack_team_ids: str | None = Field(
        None, description="Comma-separated Slack workspace ids (T…) whose members may use the bot; empty allows any"
    )
    slack_members_ttl: float = Field(
        300.0, ge=0, description="Seconds a user group's members and a user's guest flag are cached"
    )

    @field_validator("slack_team_ids", mode="before")
    @classmethod
    def _blank(cls, v: object) -> object:
        return blank_to_none(v)

    def allowed_spaces(self) -> frozenset[str] | None:
        """The workspaces SLACK_TEAM_IDS allows; None when it is not set (any workspace)."""
        ids = frozenset(t.strip() for t in (self.slack_team_ids or "").split(",") if t.strip())
        return ids or None

    @property
    def enabled(self) -> bool:
        return self.slack_bot_token is not None
