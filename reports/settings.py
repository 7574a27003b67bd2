"""Settings of health checks, alerts and reports, read by `bot/` at start-up and passed down."""
from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReportsSettings(BaseSettings):
    # env_ignore_empty: the blank `NAME=` lines of .env.example mean "use the default"
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True)

    health_interval: float = Field(5.0, ge=0.5, le=3600, description="Seconds between health checks (samples + alert rules)")
    health_retention_hours: float = Field(24.0, gt=0, le=24 * 90, description="Hours of health samples kept in the database")
    alert_rules_file: Path | None = Field(
        None, description="TOML file of alert rules replacing the defaults (see docs/alerts.md)",
    )
    alert_repeat_minutes: float = Field(60.0, gt=0, description="Default minutes between reminders of a firing alert")
    daily_cost_budget: float | None = Field(
        None, ge=0, description="USD per day of LLM cost; above it the daily_cost alert fires (empty: no budget rule)",
    )
    min_active_workers: int = Field(3, ge=0, description="The workers_low alert fires below this many active LLM worker slots")
    report_timezone: str = Field(
        "UTC", description="Time zone of report labels, the hourly/daily slots and the daily summary, e.g. Asia/Tokyo",
    )
    report_locale: str = Field("en", description="Language of scheduled reports and alerts: en or ja")
    report_enabled: bool = Field(True, description="Post the hourly report to REPORT_CHANNEL at the top of each hour")

    @field_validator("alert_rules_file", "daily_cost_budget", mode="before")
    @classmethod
    def _blank(cls, v: object) -> object:
        return None if v == "" else v

    @field_validator("report_timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name such as UTC or Asia/Tokyo)") from None
        return v

    @field_validator("report_locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        if v not in ("en", "ja"):
            raise ValueError("must be en or ja")
        return v

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.report_timezone)
