"""Settings of the Slack platform (declared beside its code, composed by bot/settings.py)."""
from __future__ import annotations

from pydantic import AnyHttpUrl, Field, SecretStr
from pydantic_settings import BaseSettings

from bot.adapters.settings_base import PLATFORM_CONFIG


class SlackSettings(BaseSettings):
    model_config = PLATFORM_CONFIG

    slack_bot_token: SecretStr | None = Field(None, description="Bot token (xoxb-…)")
    slack_signing_secret: SecretStr | None = Field(None, description="Signing secret for /slack/events")
    slack_app_token: SecretStr | None = Field(None, description="App-level token (xapp-…) for Socket Mode")
    slack_api_url: AnyHttpUrl = Field(AnyHttpUrl("https://slack.com/api/"), description="Slack Web API base URL")

    @property
    def enabled(self) -> bool:
        return self.slack_bot_token is not None
