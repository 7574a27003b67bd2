"""Build the LLM client the settings describe (the pool issue grows this into the pooled workers)."""
from __future__ import annotations

from pool.client import ChatClient
from pool.openai_compat import OpenAICompatClient
from pool.settings import LLMSettings

NOT_CONFIGURED_HINT = (
    "set OPENAI_BASE_URL (any OpenAI-compatible /v1 endpoint) and OPENAI_API_KEY, or OPENAI_API_KEY alone for OpenAI"
)


def build_chat_client(settings: LLMSettings) -> ChatClient | None:
    """The configured client, or None when no LLM is configured (commands then explain what to set)."""
    base = settings.openai_endpoint()
    if base is None:
        return None
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return OpenAICompatClient(base, api_key=key, model=settings.llm_model, timeout=settings.llm_timeout)
