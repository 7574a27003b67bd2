"""Hypothesis fuzzing of what strangers can send (issue 14): the command parser, and signed bodies of any
shape on the GitHub webhook and Slack's events endpoint, answered by the real app on a real socket. A
bad input gets a 4xx or a usage line, never a 500 or a traceback. Bounded: a fixed number of examples,
a deterministic seed, and a per-request timeout."""
from __future__ import annotations

import asyncio
import json
import re
import string
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.app import open_bot
from bot.http import build_http_app
from bot.server import HttpServer
from bot.settings import load_settings
from commands import Registry, default_commands
from commands.errors import UnknownCommand, UsageError
from tests.fakes.github import headers as github_headers
from tests.fakes.slack import SIGNING_SECRET, FakeSlack, signed_headers

REGISTRY = Registry(default_commands())
FUZZ = settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)
words = st.sampled_from(["/ask", "/status", "/report", "/alerts", "/mcp", "/review", "/access", "/audit", "/noop",
                         "--model", "--post", "--confirm", "ack", "silence", "call", "grant", "7d", "\u3000", '"', "'",
                         "<@U1>", "1e9", "-1", "nan", "@here", "\\"])
lines = st.lists(words | text, max_size=8).map(" ".join)


@FUZZ
@given(line=lines)
def test_the_command_parser_answers_any_line_with_a_command_or_its_usage(line: str) -> None:
    try:
        cmd, args = REGISTRY.resolve(line)
    except (UnknownCommand, UsageError):
        return
    assert cmd.name and isinstance(args.values, dict)


# -- a bot on a real socket, in a thread of its own (hypothesis drives plain functions) ----------------------
KEYS = ["action", "pull_request", "issue", "comment", "repository", "sender", "installation", "number", "user",
        "login", "full_name", "body", "head", "base", "sha", "ref", "commits", "label", "name", "id", "type",
        "draft", "merged", "title", "state", "html_url", "owner", "default_branch", "review", "zen", "hook_id"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | text, inner, max_size=6),
    max_leaves=30,
)
EVENTS = st.sampled_from(["pull_request", "issues", "issue_comment", "pull_request_review", "push", "ping",
                          "installation", "check_run"]) | st.text(string.ascii_letters + "_", min_size=1, max_size=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    ready, stopping = threading.Event(), threading.Event()
    state: dict[str, Any] = {}

    async def serve() -> None:
        async with FakeSlack() as slack:
            config = load_settings(
                env_file=None, core={"database_url": f"sqlite:///{tmp / 'fuzz.db'}", "data_dir": tmp / "data",
                                     "rate_limits": "off", "log_level": "ERROR"},
                slack={"slack_bot_token": "xoxb-fuzz", "slack_signing_secret": SIGNING_SECRET,
                       "slack_api_url": slack.api_url},
                github={"github_webhook_secret": "fuzz-secret-not-the-fakes"},
            )
            async with open_bot(config, receive=True) as bot, HttpServer(build_http_app(bot), "127.0.0.1", 0) as http:
                state["url"] = f"http://127.0.0.1:{http.port}"
                ready.set()
                while not stopping.is_set():
                    await asyncio.sleep(0.05)

    thread = threading.Thread(target=lambda: asyncio.run(serve()), name="fuzz-bot", daemon=True)
    thread.start()
    assert ready.wait(30), "the bot did not start"
    try:
        yield state["url"]
    finally:
        stopping.set()
        thread.join(30)


def _sign_github(body: bytes, event: str) -> dict[str, str]:
    import hashlib
    import hmac

    h = github_headers(event, body)
    h["X-Hub-Signature-256"] = "sha256=" + hmac.new(b"fuzz-secret-not-the-fakes", body, hashlib.sha256).hexdigest()
    return h


@FUZZ
@given(event=EVENTS, payload=json_values)
def test_any_signed_github_delivery_is_answered_without_a_server_error(server: str, event: str, payload: Any) -> None:
    body = json.dumps(payload).encode()
    r = httpx.post(f"{server}/github/webhook", content=body, headers=_sign_github(body, event), timeout=10)
    assert r.status_code < 500, (r.status_code, r.text[:300])


slack_fields = st.dictionaries(
    st.sampled_from(["command", "text", "user_id", "team_id", "channel_id", "user_name", "response_url",
                     "trigger_id", "api_app_id", "channel_name", "payload", "ssl_check"]) | text,
    words | text, max_size=8)


@FUZZ
@given(fields=slack_fields, as_json=st.booleans(), payload=json_values)
@example(fields={}, as_json=True, payload=None)  # found by this test: Bolt raised on a JSON `null` (500)
@example(fields={"payload": "/ask"}, as_json=False, payload=None)  # and on a form `payload` that is not JSON
def test_any_signed_slack_request_is_answered_without_a_server_error(server: str, fields: dict[str, str],
                                                                     as_json: bool, payload: Any) -> None:
    if as_json:
        body = json.dumps(payload).encode()
        h = signed_headers(body, content_type="application/json")
    else:
        body = urllib.parse.urlencode(fields).encode()
        h = signed_headers(body)
    r = httpx.post(f"{server}/slack/events", content=body, headers=h, timeout=10)
    assert r.status_code < 500, (r.status_code, r.text[:300])


# what an HTTP client can put in a header (RFC 9110 field-value): visible ASCII and obs-text, inner spaces/tabs
_FIELD = re.compile(rb"^(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?\Z")
header_bytes = st.binary(max_size=90).filter(lambda b: _FIELD.match(b) is not None)


@FUZZ
@given(signature=header_bytes, timestamp=st.none() | header_bytes)
@example(signature=b"v0=abc", timestamp=b"C")  # found by this test: Bolt's verifier raised on it (500)
def test_any_signature_header_on_either_endpoint_is_refused(server: str, signature: bytes,
                                                                     timestamp: bytes | None) -> None:
    body = b'{"action":"opened","zen":"x"}'
    github = httpx.post(f"{server}/github/webhook", content=body, timeout=10, headers=[
        (b"X-GitHub-Event", b"ping"), (b"X-GitHub-Delivery", b"d-1"), (b"Content-Type", b"application/json"),
        (b"X-Hub-Signature-256", signature)])
    # 401, or 400 from the HTTP parser itself for bytes no header may hold (control characters)
    assert github.status_code in (400, 401), (github.status_code, github.text[:200])
    form = urllib.parse.urlencode({"command": "/status", "user_id": "U1", "channel_id": "C1", "team_id": "T1"}).encode()
    slack_headers = [(b"Content-Type", b"application/x-www-form-urlencoded"), (b"X-Slack-Signature", signature)]
    if timestamp is not None:
        slack_headers.append((b"X-Slack-Request-Timestamp", timestamp))
    slack_answer = httpx.post(f"{server}/slack/events", content=form, headers=slack_headers, timeout=10)
    assert slack_answer.status_code in (400, 401), (slack_answer.status_code, slack_answer.text[:200])
