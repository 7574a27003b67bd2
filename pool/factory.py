"""Build the LLM service the settings describe: the pool, the single-client path, or None."""
from __future__ import annotations

from pool.config import PoolConfig, from_env, read_toml
from pool.direct import DirectLLM, make_client
from pool.interface import ChatClient, LLMService
from pool.pool import LLMPool
from pool.settings import LLMSettings, known_keys

NOT_CONFIGURED_HINT = (
    "set OPENAI_BASE_URL (any OpenAI-compatible /v1 endpoint) and OPENAI_API_KEY, or ANTHROPIC_API_KEY, "
    "GEMINI_API_KEY, OLLAMA_HOST, or LLM_CONFIG_FILE (see docs/llm.md)"
)


def load_config(settings: LLMSettings) -> PoolConfig:
    if settings.llm_config_file is not None:
        return read_toml(settings.llm_config_file, known_keys(dict(settings)))
    return from_env(settings)


def build_llm(settings: LLMSettings) -> LLMService | None:
    """`ENABLE_LLM_POOL=false`: one client per deployment called directly; true: the pool. None: nothing set."""
    config = load_config(settings)
    if not config.deployments:
        return None
    clients: dict[str, ChatClient] = {d.name: make_client(d, max_tokens=settings.llm_max_tokens) for d in config.deployments}
    if not settings.enable_llm_pool:
        return DirectLLM(config, clients, max_tokens=settings.llm_max_tokens)
    return LLMPool(
        config, clients, size=settings.llm_pool_size, queue=settings.llm_pool_queue, deadline=settings.llm_deadline,
        retries=settings.llm_retries, routing=settings.llm_routing, breaker_cooldown=settings.llm_breaker_cooldown,
        pool_cooldown=settings.llm_pool_cooldown, max_tokens=settings.llm_max_tokens,
    )


def build_chat_client(settings: LLMSettings) -> LLMService | None:
    """The name the spine used; kept so callers need not change."""
    return build_llm(settings)
