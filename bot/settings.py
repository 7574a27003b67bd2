"""Settings: read once from the environment and `.env`, validated, immutable, passed down.

Each package declares its own section beside its code (`pool/settings.py`, each platform's
`bot/adapters/<platform>/settings.py`, …); this module declares the section `bot/` owns (`core`) and
composes them all into one `Settings`. A bad value stops start-up with one line
that names the setting (`ConfigError`).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar, get_args

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.keys import KeySettings
from pool import LLMSettings
from providers import MCPSettings
from reports import ReportsSettings

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
        30.0, gt=0,
        description="Wait before another attempt of a GitHub event or scheduled job that met a transient failure"
        " (doubles each time, at most 10 min)",
    )
    poll_interval: float = Field(0.5, gt=0, description="Seconds between queue polls when idle")
    alert_channel: str | None = Field(None, description="Where alerts go, e.g. slack:C0123,discord:112233")
    report_channel: str | None = Field(None, description="Where the hourly report goes")
    policy_file: Path | None = Field(
        None, description="TOML file of roles, members and permission rules (docs/access.md); the defaults apply without one",
    )
    audit_retention_days: float = Field(
        90.0, gt=0, description="Days of audit events kept (refusals, access changes), and of executions' rows",
    )
    execution_retention_days: float = Field(
        30.0, gt=0, description="Days an execution keeps what was written and answered (text, arguments, raw payload,"
        " reply); who, what, when, outcome, tokens and cost stay until AUDIT_RETENTION_DAYS",
    )
    rate_limits: str = Field(
        "user=30/60s,channel=120/60s,github=30/3600s,tokens=200000/3600s",
        description="Requests allowed per person (user), per conversation (channel) and per GitHub sender (github),"
        " and LLM tokens per person (tokens), shared by every process; `off` turns them off",
    )
    command_deadline: float = Field(
        120.0, gt=0, description="Seconds one attempt of a command may run before it is stopped and marked FAILED"
        " (/ask 300, reviews 600 unless COMMAND_DEADLINES says otherwise)",
    )
    command_deadlines: str | None = Field(
        None, description="Per command kind, e.g. ask=600,report=60,github-review=900 (seconds)",
    )
    public_url: str | None = Field(
        None, description="The address people open the web pages at, e.g. https://chatops.example.com; /access link"
        " builds its sign-in links from it (default http://HOST:PORT). https also marks the session cookie Secure",
    )
    status_public: bool = Field(
        False, description="true: the status page, /api/* (but /api/audit) and /charts/* answer without signing in",
    )
    metrics_host: str = Field("127.0.0.1", description="Listen address of the separate Prometheus listener")
    metrics_port: int | None = Field(
        None, ge=1, le=65535,
        description="A separate listener serving only /metrics without a token (for a Prometheus on a private network)",
    )

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

    @field_validator("alert_channel", "report_channel", "policy_file", "public_url", "metrics_port", "command_deadlines",
                     mode="before")
    @classmethod
    def _blank(cls, v: object) -> object:
        return _blank_to_none(v)

    @field_validator("rate_limits")
    @classmethod
    def _check_rates(cls, v: str) -> str:
        from bot.ratelimit import parse_limits

        parse_limits(v)
        return v

    @field_validator("command_deadlines")
    @classmethod
    def _check_deadlines(cls, v: str | None) -> str | None:
        cls.deadline_map(v)
        return v

    @staticmethod
    def deadline_map(v: str | None) -> dict[str, float]:
        found: dict[str, float] = {}
        for part in (v or "").split(","):
            if not part.strip():
                continue
            kind, sep, seconds = part.partition("=")
            try:
                value = float(seconds)
            except ValueError:
                value = -1.0
            if not sep or not kind.strip() or not 0 < value < float("inf"):
                raise ValueError(f"{part.strip()!r}: expected kind=seconds, e.g. ask=600")
            found[kind.strip().lstrip("/").lower()] = value
        return found

    def deadline_for(self, kind: str, default: float | None) -> float:
        """Seconds one attempt of `kind` may run: COMMAND_DEADLINES, else the command's own, else COMMAND_DEADLINE."""
        return self.deadline_map(self.command_deadlines).get(kind) or default or self.command_deadline

    @field_validator("public_url")
    @classmethod
    def _check_url(cls, v: str | None) -> str | None:
        if v is None:
            return None
        if not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v.rstrip("/")

    def web_url(self) -> str:
        """Where a browser reaches this bot: PUBLIC_URL, else the listen address."""
        return self.public_url or f"http://{self.host}:{self.port}"

    @field_validator("alert_channel", "report_channel")
    @classmethod
    def _targets(cls, v: str | None) -> str | None:
        from bot.routing import parse_targets

        parse_targets(v)
        return v


_S = TypeVar("_S", bound=BaseSettings)


class Settings:
    """Every section, by name: `core`, `llm`, `mcp`, `reports`, and the sections the platforms declare
    (`slack`, `discord`, `github`, `github_bot`, …) reached the same way (`settings.slack`)."""

    __slots__ = ("_sections",)
    _sections: dict[str, BaseSettings]

    def __init__(self, sections: Mapping[str, BaseSettings]) -> None:
        object.__setattr__(self, "_sections", dict(sections))

    def _section(self, name: str, cls: type[_S]) -> _S:
        section = self._sections[name]
        assert isinstance(section, cls)  # load_settings built it from _SECTIONS[name]
        return section

    @property
    def core(self) -> CoreSettings:
        return self._section("core", CoreSettings)

    @property
    def llm(self) -> LLMSettings:
        return self._section("llm", LLMSettings)

    @property
    def mcp(self) -> MCPSettings:
        return self._section("mcp", MCPSettings)

    @property
    def reports(self) -> ReportsSettings:
        return self._section("reports", ReportsSettings)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._sections[name]
        except KeyError:
            raise AttributeError(f"no settings section {name!r}; known: {', '.join(self._sections)}") from None

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("settings are read once and never change")

    def sections(self) -> dict[str, BaseSettings]:
        return dict(self._sections)


def _sections() -> dict[str, type[BaseSettings]]:
    from bot.adapters.platforms import PLATFORMS

    found: dict[str, type[BaseSettings]] = {"core": CoreSettings, "llm": LLMSettings}
    for platform in PLATFORMS:
        found.update(platform.sections)
    return {**found, "mcp": MCPSettings, "reports": ReportsSettings}


_SECTIONS: dict[str, type[BaseSettings]] = {**_sections(), "keys": KeySettings}


def load_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Build every section; `overrides` maps a section name to a dict of field values (tests use it).
    Every secret may instead come from a file named by `<SETTING>_FILE` (Docker and Kubernetes secrets)."""
    env = _environment(env_file)
    built: dict[str, BaseSettings] = {}
    for name, cls in _SECTIONS.items():
        try:
            built[name] = cls(_env_file=env_file, **{**_secret_files(cls, env), **overrides.get(name, {})})
        except ValidationError as e:
            raise ConfigError(_one_line(e)) from None
    return Settings(built)


def _environment(env_file: str | Path | None) -> dict[str, str]:
    """The process environment over the `.env` file, names upper-cased (settings ignore case), empty = unset."""
    from dotenv import dotenv_values

    merged: dict[str, str | None] = {}
    if env_file is not None and Path(env_file).is_file():
        merged.update(dotenv_values(env_file))
    merged.update(os.environ)
    return {k.upper(): v for k, v in merged.items() if v}


def _is_secret(annotation: object) -> bool:
    return annotation is SecretStr or SecretStr in get_args(annotation)


def secret_file_settings(env_file: str | Path | None) -> set[str]:
    """The secret settings (upper-case names) whose value comes from a `<SETTING>_FILE`."""
    env = _environment(env_file)
    return {
        name.upper() for cls in _SECTIONS.values() for name, info in cls.model_fields.items()
        if _is_secret(info.annotation) and f"{name.upper()}_FILE" in env
    }


def _secret_files(cls: type[BaseSettings], env: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, info in cls.model_fields.items():
        var = f"{name.upper()}_FILE"
        if not _is_secret(info.annotation) or var not in env:
            continue
        if name.upper() in env:
            raise ConfigError(f"configuration error: {name.upper()} and {var} are both set; set one of them")
        try:
            text = Path(env[var]).expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            reason = getattr(e, "strerror", None) or "not UTF-8 text"
            raise ConfigError(f"configuration error: {var}: cannot read {env[var]}: {reason}") from None
        # one trailing newline is the editor's or `echo`'s, not the secret's; an empty file is no value
        if value := text.removesuffix("\n").removesuffix("\r"):
            out[name] = value
    return out


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
