"""Settings of the LLM side, read from the environment (and `.env`) by `bot/` at start-up."""
from __future__ import annotations

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class LLMSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True)

    openai_api_key: SecretStr | None = Field(None, description="API key for the OpenAI-compatible endpoint")
    openai_base_url: AnyHttpUrl | None = Field(
        None,
        description="OpenAI-compatible base URL, e.g. https://api.openai.com/v1 (set it, or OPENAI_API_KEY alone for OpenAI)",
    )
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the OpenAI-compatible endpoint")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds to wait for one LLM answer")
    anthropic_api_key: SecretStr | None = Field(None, description="Anthropic API key")
    anthropic_base_url: AnyHttpUrl | None = Field(None, description="Anthropic API base URL override")
    gemini_api_key: SecretStr | None = Field(None, description="Google Gemini API key")
    ollama_host: AnyHttpUrl | None = Field(None, description="Ollama server, e.g. http://127.0.0.1:11434")
    enable_llm_pool: bool = Field(False, description="Run the pooled LLM workers instead of one client")
    llm_pool_size: int = Field(5, ge=1, le=1000, description="Worker slots of the LLM pool")

    @field_validator("openai_base_url", "anthropic_base_url", "ollama_host", mode="before")
    @classmethod
    def _empty_is_none(cls, v: object) -> object:
        return None if v == "" else v

    def openai_endpoint(self) -> str | None:
        """The chat-completions base URL to use, or None when no OpenAI-compatible LLM is configured."""
        if self.openai_base_url is not None:
            return str(self.openai_base_url).rstrip("/")
        if self.openai_api_key is not None:
            return "https://api.openai.com/v1"
        return None
