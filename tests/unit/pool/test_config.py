"""Configuration: environment for the simple case, a TOML file for the full one, clear one-line errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ConfigError, load_settings
from pool.direct import DirectLLM
from pool.errors import ProviderUnavailable
from pool.factory import build_llm, load_config
from pool.fake import Behavior, FakeLLM
from pool.pool import LLMPool
from tests.unit.pool.helpers import QUESTION

GOOD = """
[[deployment]]
name = "groq"
kind = "openai"
base_url = "http://127.0.0.1:1/v1"
key_env = "OPENAI_API_KEY"
model = "llama-3.1-8b-instant"
max_concurrency = 20
weight = 2
price_in = 0.05
price_out = 0.08

[[deployment]]
name = "claude"
kind = "anthropic"
key = "sk-ant-inline"
model = "claude-3-5-haiku-latest"

[aliases]
fast = ["groq", "claude"]
review = ["claude"]

[budgets]
deployment = { claude = 5.0 }
user = { "*" = 1.0, "slack:U1" = 3.0 }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "llm.toml"
    path.write_text(text)
    return path


def test_a_toml_file_gives_deployments_aliases_and_budgets(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-from-dotenv\n")
    settings = load_settings(env_file=".env", llm={"llm_config_file": write(tmp_path, GOOD)})
    config = load_config(settings.llm)
    groq, claude = config.deployments
    assert (groq.kind, groq.model, groq.max_concurrency, groq.weight, groq.price()) == (
        "openai", "llama-3.1-8b-instant", 20, 2.0, (0.05, 0.08)
    )
    assert groq.api_key == "sk-from-dotenv" and claude.api_key == "sk-ant-inline"
    assert "sk-" not in repr(groq) + repr(claude)  # keys stay out of logs
    assert claude.price() == (0.80, 4.00)  # from the known table
    assert config.candidates("fast") == ("groq", "claude") and config.candidates(None) == ("groq", "claude")
    assert config.candidates("claude") == ("claude",) and config.candidates("nope") is None
    assert config.budgets == {"deployment": {"claude": 5.0}, "user": {"*": 1.0, "slack:U1": 3.0}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[deployment]]\nname = "x"\nkind = "cohere"\nmodel = "m"\n',
         "LLM_CONFIG_FILE: deployment #1 ('x'): unknown deployment kind 'cohere'; known: openai, anthropic, gemini, ollama"),
        ('[[deployment]]\nname = "x"\nkind = "openai"\nmodel = "m"\n[aliases]\nfast = ["y"]\n',
         "LLM_CONFIG_FILE: alias 'fast' names unknown deployment(s) y; known: x"),
        ('[[deployment]]\nname = "x"\nkind = "openai"\nmodel = "m"\nkey_env = "NOT_SET_ANYWHERE"\n',
         "LLM_CONFIG_FILE: deployment #1 ('x'): key_env NOT_SET_ANYWHERE is not set"),
        ('[[deployment]]\nname = "x"\nkind = "openai"\n', "LLM_CONFIG_FILE: deployment #1 ('x'): missing model"),
        ('[budgets]\nteam = { a = 1 }\n[[deployment]]\nname = "x"\nkind = "openai"\nmodel = "m"\n',
         "LLM_CONFIG_FILE: unknown budget scope 'team'"),
        ("[[deployment]\n", "LLM_CONFIG_FILE: "),
    ],
)
def test_a_bad_file_stops_start_up_with_one_line_naming_the_setting(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_settings(env_file=None, llm={"llm_config_file": write(tmp_path, text)})
    assert message in str(e.value) and "\n" not in str(e.value)


def test_the_environment_alone_configures_one_deployment_per_provider() -> None:
    settings = load_settings(env_file=None, llm={
        "openai_base_url": "http://127.0.0.1:1/v1", "anthropic_api_key": "a", "gemini_api_key": "g",
        "gemini_base_url": "http://127.0.0.1:2", "ollama_host": "http://127.0.0.1:3", "llm_pool_size": 7,
    })
    config = load_config(settings.llm)
    assert [(d.name, d.kind, d.base_url) for d in config.deployments] == [
        ("openai", "openai", "http://127.0.0.1:1/v1"),
        ("anthropic", "anthropic", None),  # the client's default: https://api.anthropic.com
        ("gemini", "gemini", "http://127.0.0.1:2/"),
        ("ollama", "ollama", "http://127.0.0.1:3/"),
    ]
    assert config.deployments[0].max_concurrency == 7
    assert config.deployments[3].price() == (0, 0)  # local: free, and known to be free
    assert config.candidates("smart") == ("openai", "anthropic", "gemini", "ollama")


async def test_with_the_pool_disabled_one_client_answers_without_retries(fake_llm: FakeLLM) -> None:
    settings = load_settings(env_file=None, llm={"openai_base_url": fake_llm.url, "enable_llm_pool": False})
    llm = build_llm(settings.llm)
    assert isinstance(llm, DirectLLM) and llm.status() is None
    try:
        assert (await llm.complete(QUESTION)).text == "echo: what is a lease?"
        fake_llm.script.append(Behavior(status=500))
        with pytest.raises(ProviderUnavailable):
            await llm.complete(QUESTION)
        assert len(fake_llm.requests) == 2
    finally:
        await llm.aclose()


async def test_with_the_pool_enabled_the_settings_size_it(fake_llm: FakeLLM) -> None:
    settings = load_settings(env_file=None, llm={
        "openai_base_url": fake_llm.url, "enable_llm_pool": True, "llm_pool_size": 3, "llm_pool_queue": 9,
    })
    llm = build_llm(settings.llm)
    assert isinstance(llm, LLMPool)
    try:
        fake_llm.script.append(Behavior(status=500))
        assert (await llm.complete(QUESTION)).text == "echo: what is a lease?"
        status = llm.status()
        assert (status.slots, status.queue_limit) == (3, 9)
    finally:
        await llm.aclose()


def test_nothing_configured_means_no_llm() -> None:
    assert build_llm(load_settings(env_file=None).llm) is None
