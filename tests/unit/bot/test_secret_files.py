"""`<SETTING>_FILE`: every secret setting may come from a file (Docker and Kubernetes secrets)."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.check import key_sources
from bot.settings import ConfigError, load_settings


def test_a_secret_comes_from_its_file_with_one_trailing_newline_stripped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "openai").write_text("sk-from-file\n")
    monkeypatch.setenv("OPENAI_API_KEY_FILE", str(tmp_path / "openai"))
    # the .env file may name one too, for any section's secret
    (tmp_path / "slack").write_text("xoxb-from-file\n\n")
    (tmp_path / ".env").write_text(f"SLACK_BOT_TOKEN_FILE={tmp_path / 'slack'}\n")
    settings = load_settings(".env")
    assert settings.llm.openai_api_key.get_secret_value() == "sk-from-file"
    assert settings.slack.slack_bot_token.get_secret_value() == "xoxb-from-file\n"
    assert dict(key_sources(settings, [], ".env"))["openai (OPENAI_API_KEY)"] == "file (OPENAI_API_KEY_FILE)"
    assert dict(key_sources(settings, ["openai"], ".env"))["openai (OPENAI_API_KEY)"] == "stored (encrypted)"
    assert dict(key_sources(settings, [], ".env"))["gemini (GEMINI_API_KEY)"] == "not set"


def test_the_secret_key_itself_may_come_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.keys import fernet, generate_key

    key = generate_key()
    (tmp_path / "secret-key").write_text(key + "\n")
    monkeypatch.setenv("CHATOPS_SECRET_KEY_FILE", str(tmp_path / "secret-key"))
    keys = load_settings(env_file=None).keys
    assert keys.chatops_secret_key.get_secret_value() == key
    assert fernet(keys).decrypt(fernet(keys).encrypt(b"x")) == b"x"


def test_both_set_or_an_unreadable_file_is_one_line_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "key").write_text("sk-content-never-shown")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-env")
    monkeypatch.setenv("ANTHROPIC_API_KEY_FILE", str(tmp_path / "key"))
    with pytest.raises(ConfigError, match=r"^configuration error: ANTHROPIC_API_KEY and ANTHROPIC_API_KEY_FILE are both set"):
        load_settings(env_file=None)
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("ANTHROPIC_API_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match=r"^configuration error: ANTHROPIC_API_KEY_FILE: cannot read .*missing") as e:
        load_settings(env_file=None)
    assert "sk-content-never-shown" not in str(e.value)


def test_a_file_variant_of_a_setting_that_is_not_secret_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_MODEL_FILE", str(tmp_path / "missing"))
    assert load_settings(env_file=None).llm.llm_model == "gpt-4o-mini"
