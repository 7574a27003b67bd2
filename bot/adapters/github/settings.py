"""Settings of the GitHub platform, declared beside its code: credentials and the webhook (`GitHubSettings`),
routing and handler budgets (`GitHubBotSettings`). bot/settings.py composes them."""
from __future__ import annotations

from pathlib import Path

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.adapters.settings_base import PLATFORM_CONFIG, blank_to_none
from commands.model import Conversation


def parse_routes(value: str | None) -> dict[str, list[Conversation]]:
    """`org/repo=slack:C1;org/other=discord:2,console` → {'org/repo': [...]}; `*` is every other repo."""
    from bot.routing import parse_targets

    routes: dict[str, list[Conversation]] = {}
    for entry in (value or "").split(";"):
        entry = entry.strip()
        if not entry:
            continue
        repo, eq, targets = entry.partition("=")
        repo = repo.strip().lower()
        if not eq or not repo or (repo != "*" and repo.count("/") != 1):
            raise ValueError(f"GITHUB_ROUTES: {entry!r} is not owner/repo=targets (e.g. org/repo=slack:C0123)")
        routes[repo] = parse_targets(targets, "GITHUB_ROUTES")
    return routes


class GitHubSettings(BaseSettings):
    model_config = PLATFORM_CONFIG

    github_webhook_secret: SecretStr | None = Field(None, description="Secret that signs webhook deliveries")
    github_token: SecretStr | None = Field(None, description="Token for the REST API (or use a GitHub App)")
    github_app_id: str | None = Field(None, description="GitHub App id (with GITHUB_PRIVATE_KEY)")
    github_private_key: SecretStr | None = Field(
        None, description="GitHub App private key: a path to the .pem file or the PEM text itself"
    )
    github_allowed_repos: str | None = Field(None, description="Comma-separated owner/repo list; empty allows all")
    github_api_url: AnyHttpUrl = Field(AnyHttpUrl("https://api.github.com/"), description="GitHub REST base URL")
    github_members_ttl: float = Field(
        300.0, ge=0, description="Seconds a person's membership of an organization team is cached"
    )

    @field_validator("github_app_id", "github_allowed_repos", mode="before")
    @classmethod
    def _blank(cls, v: object) -> object:
        return blank_to_none(v)

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


class GitHubBotSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    github_bot_handle: str | None = Field(
        None, description="@handle that makes the bot answer in issue/PR comments (default: the App's or token's login)"
    )
    github_routes: str | None = Field(
        None, description="Where notifications of each repository go: org/repo=slack:C1;org/other=discord:2;*=console"
    )
    github_review_label: str = Field(
        "bot:review", description="Adding this label to a PR asks for a review (to an issue: a triage)"
    )
    github_review_max_tokens: int = Field(12000, ge=500, description="Token budget for the diff in one review prompt")
    github_max_body_bytes: int = Field(
        25 * 1024 * 1024, ge=1024, description="Largest webhook body accepted (GitHub caps at 25 MB)"
    )
    github_keep_bodies: bool = Field(
        False,
        description="Also keep each stored delivery's raw body (~28 KB per PR event) for audit; GitHub keeps them for redelivery",
    )
    github_rate_limit_max_wait: float = Field(
        60.0, ge=0, description="Longest wait for a GitHub rate limit to reset before the call fails"
    )

    @field_validator("github_bot_handle", "github_routes", mode="before")
    @classmethod
    def _blank(cls, v: object) -> object:
        return None if v == "" else v

    @field_validator("github_bot_handle")
    @classmethod
    def _handle(cls, v: str | None) -> str | None:
        return v.strip().lstrip("@") or None if v else None

    @field_validator("github_routes")
    @classmethod
    def _routes(cls, v: str | None) -> str | None:
        parse_routes(v)
        return v
