"""What every platform's settings section shares: the same sources (environment, `.env`), frozen, blank = unset."""
from __future__ import annotations

from pydantic_settings import SettingsConfigDict

PLATFORM_CONFIG = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True)


def blank_to_none(v: object) -> object:
    return None if v == "" else v
