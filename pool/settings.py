"""Settings of the LLM side, read from the environment (and `.env`) by `bot/` at start-up.

The simple case is environment only (one deployment per configured provider); `LLM_CONFIG_FILE` names a
TOML file with deployments, aliases, prices and budgets (docs/llm.md). The file is parsed here, so a bad
one stops start-up with one line naming LLM_CONFIG_FILE.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class LLMSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True)

    openai_api_key: SecretStr | None = Field(None, description="API key for the OpenAI-compatible endpoint")
    openai_base_url: AnyHttpUrl | None = Field(
        None,
        description="OpenAI-compatible base URL, e.g. https://api.openai.com/v1 (set it, or OPENAI_API_KEY alone for OpenAI)",
    )
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the OpenAI-compatible endpoint")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds to wait for one LLM answer (one attempt)")
    anthropic_api_key: SecretStr | None = Field(None, description="Anthropic API key")
    anthropic_base_url: AnyHttpUrl | None = Field(None, description="Anthropic API base URL override (without /v1)")
    anthropic_model: str = Field("claude-3-5-haiku-latest", description="Model of the Anthropic deployment")
    gemini_api_key: SecretStr | None = Field(None, description="Google Gemini API key")
    gemini_base_url: AnyHttpUrl | None = Field(None, description="Gemini API base URL override (without /v1beta)")
    gemini_model: str = Field("gemini-2.0-flash", description="Model of the Gemini deployment")
    ollama_host: AnyHttpUrl | None = Field(None, description="Ollama server, e.g. http://127.0.0.1:11434")
    ollama_model: str = Field("llama3.2", description="Model of the Ollama deployment")
    enable_llm_pool: bool = Field(False, description="Run the pooled LLM workers instead of one client")
    llm_pool_size: int = Field(5, ge=1, le=1000, description="Worker slots of the LLM pool")
    llm_pool_queue: int = Field(100, ge=0, le=100_000, description="Requests that may wait for a slot; more get a busy reply")
    llm_deadline: float = Field(120.0, gt=0, description="Overall seconds for one LLM request, retries and fallbacks included")
    llm_retries: int = Field(
        2, ge=0, le=10, description="Extra attempts after a 429, 5xx or timeout, besides one try per fallback candidate",
    )
    llm_routing: Literal["least-busy", "latency", "cost"] = Field(
        "least-busy", description="How the pool picks among healthy candidates: least-busy, latency (EWMA) or cost"
    )
    llm_breaker_cooldown: float = Field(30.0, gt=0, description="Seconds a deployment's open circuit waits before a probe")
    llm_pool_cooldown: float = Field(60.0, gt=0, description="Seconds the pool stays off after 3 internal errors in a row")
    llm_max_tokens: int = Field(1024, ge=1, description="Answer length cap sent to providers (and reserved in budgets)")
    llm_config_file: Path | None = Field(
        None, description="TOML file with LLM deployments, aliases, prices and budgets (see docs/llm.md)"
    )

    @field_validator("openai_base_url", "anthropic_base_url", "gemini_base_url", "ollama_host", "llm_config_file", mode="before")
    @classmethod
    def _empty_is_none(cls, v: object) -> object:
        return None if v == "" else v

    @field_validator("llm_config_file")
    @classmethod
    def _parse_config(cls, v: Path | None, info: ValidationInfo) -> Path | None:
        if v is None:
            return v
        from pool.config import read_toml

        read_toml(v, known_keys(info.data))  # raises ValueError naming the problem
        return v

    def openai_endpoint(self) -> str | None:
        """The chat-completions base URL to use, or None when no OpenAI-compatible LLM is configured."""
        if self.openai_base_url is not None:
            return str(self.openai_base_url).rstrip("/")
        if self.openai_api_key is not None:
            return "https://api.openai.com/v1"
        return None


def known_keys(values: dict[str, object]) -> dict[str, str]:
    """API keys read from the environment or `.env`, by variable name, for a TOML file's `key_env`."""
    out: dict[str, str] = {}
    for name in ("openai_api_key", "anthropic_api_key", "gemini_api_key"):
        v = values.get(name)
        if isinstance(v, SecretStr):
            out[name.upper()] = v.get_secret_value()
    return out
