from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ConfigError, describe, load_settings


def test_defaults_are_sqlite_and_localhost() -> None:
    s = load_settings(env_file=None)
    assert s.core.database_url == "sqlite:///./data/chatops.db"
    assert (s.core.host, s.core.port) == ("127.0.0.1", 8000)
    assert s.llm.openai_endpoint() is None


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DATABASE_URL": "mysql://x@h/db"}, "configuration error: DATABASE_URL: unsupported database 'mysql'"),
        ({"DATABASE_URL": "::nonsense::"}, "configuration error: DATABASE_URL: not a database URL"),
        ({"OPENAI_BASE_URL": "not a url"}, "configuration error: OPENAI_BASE_URL: Input should be a valid URL"),
        ({"GITHUB_PRIVATE_KEY": "/nonexistent/key.pem"}, "configuration error: GITHUB_PRIVATE_KEY: cannot read the key file"),
        ({"ALERT_CHANNEL": "teams:123"}, "configuration error: ALERT_CHANNEL: channel: unknown platform 'teams'"),
        ({"PORT": "99999"}, "configuration error: PORT: Input should be less than or equal to 65535"),
    ],
)
def test_misconfiguration_is_one_line_naming_the_setting(monkeypatch: pytest.MonkeyPatch, env: dict, expected: str) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError) as e:
        load_settings(env_file=None)
    assert str(e.value).startswith(expected)
    assert "\n" not in str(e.value)


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    env = tmp_path / "custom.env"
    env.write_text("PORT=9123\nLLM_MODEL=tiny\n")
    s = load_settings(env_file=env)
    assert s.core.port == 9123 and s.llm.llm_model == "tiny"


def test_private_key_file_is_read_and_secrets_are_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "app.pem"
    key.write_text("-----BEGIN RSA PRIVATE KEY-----\nsecret-material\n-----END RSA PRIVATE KEY-----\n")
    monkeypatch.setenv("GITHUB_PRIVATE_KEY", str(key))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:hunter2@db.example:5432/chatops")
    s = load_settings(env_file=None)
    assert "secret-material" in s.github.github_private_key.get_secret_value()
    shown = "\n".join(f"{k}={v}" for k, v, _ in describe(s))
    for secret in ("secret-material", "sk-very-secret", "hunter2"):
        assert secret not in shown
    assert "OPENAI_API_KEY=(set, hidden)" in shown
    assert "DATABASE_URL=postgresql://bot:***@db.example:5432/chatops" in shown
