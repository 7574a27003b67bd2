"""The HTTP edge's small checks on their own: the GitHub signature compared as bytes, label values bounded,
credentials hidden in texts, Slack replay keys (issue 14)."""
from __future__ import annotations

import hashlib
import hmac

import pytest

from bot import metrics
from bot.adapters.github.webhook import signature_ok
from bot.adapters.slack.inbound import replay_key
from bot.storage.engine import masked_credentials
from pool import ProviderUnavailable

SECRET, BODY = b"s", b'{"a": 1}'
GOOD = "sha256=" + hmac.new(SECRET, BODY, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("header", [
    "sha256=é".encode("latin-1"), "sha256=é", b"sha256=\xff" + b"0" * 63, "sha256=" + "\u00e9" * 64, b"\x00", b"", None,
])
def test_any_signature_header_is_a_mismatch_not_an_error(header: bytes | str | None) -> None:
    assert signature_ok(SECRET, BODY, header) is False


def test_the_right_signature_passes_as_bytes_or_text() -> None:
    assert signature_ok(SECRET, BODY, GOOD) and signature_ok(SECRET, BODY, GOOD.encode())
    assert not signature_ok(SECRET, BODY + b" ", GOOD.encode())


def test_label_values_are_known_or_other() -> None:
    assert metrics.bounded("push", metrics.GITHUB_EVENTS) == "push"
    assert metrics.bounded("push2", metrics.GITHUB_EVENTS) == metrics.OTHER
    assert {"pull_request", "issues", "issue_comment", "pull_request_review", "push", "ping"} <= metrics.GITHUB_EVENTS


@pytest.mark.parametrize(("text", "shown"), [
    ("cannot reach http://user:secret@127.0.0.1:1/v1 (ClientConnectorError)",
     "cannot reach http://user:***@127.0.0.1:1/v1 (ClientConnectorError)"),
    ("https://ghp_secret@api.example/x", "https://***@api.example/x"),
    ("a https://u:secret@h/ and b postgresql+asyncpg://pg:secret@db/x", "a https://u:***@h/ and b postgresql+asyncpg://pg:***@db/x"),
    ("https://host/path@v2 mail me@example.org", "https://host/path@v2 mail me@example.org"),
    ("no url at all", "no url at all"),
    ("http://user:p@ss@host:1/x", "http://user:***@host:1/x"),  # an '@' left unencoded in the password
])
def test_credentials_in_urls_are_hidden(text: str, shown: str) -> None:
    assert masked_credentials(text) == shown


def test_provider_errors_never_carry_a_url_password() -> None:
    e = ProviderUnavailable("openai", "cannot reach https://user:secret@llm.example/v1 (OSError)")
    assert "secret" not in str(e) and "secret" not in e.message and "user:***@llm.example" in e.message


def test_slack_replay_keys_come_from_the_signature() -> None:
    sig = "v0=" + "a" * 64
    assert replay_key(sig) == "slack:v0:" + "a" * 64
    assert replay_key(sig, "bolt") != replay_key(sig) and replay_key(None) is None
    assert len(replay_key("v0=" + "b" * 500) or "") <= 255  # the column's width, whatever the header says
