"""The HTTP edge against hostile input (issue 14): the bot's real routes (open_bot(..., receive=True) and
build_http_app) through httpx's ASGI transport, and the real uvicorn server on 127.0.0.1 for the
limits a server enforces (raw sockets: slow senders, an oversized header).

Every network wait here is bounded: socket timeouts, and loops with a count and a deadline.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import metrics
from bot.app import Bot, open_bot
from bot.check import run_check
from bot.http import build_http_app
from bot.server import HttpServer
from bot.storage.models import Status
from tests.fakes.github import FakeGitHub, fixture, headers
from tests.fakes.slack import FakeSlack, signed_headers
from tests.scenarios.github_env import client_for, executions, github_settings, seed
from tests.scenarios.test_spine import run_one

SLASH = (Path(__file__).resolve().parents[1] / "fixtures" / "slack" / "slash_command.form.txt").read_bytes()
NON_ASCII = "sha256=é".encode("latin-1")  # what a hostile client can put in a header: any byte but CR/LF
DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"action": "opened", "extra": ' + DEEP + b"}"  # a webhook object with a field nested 100 000 deep
PASSWORD = "pw-s3cr3t"


# -- the bots ---------------------------------------------------------------------------------------
@pytest.fixture
async def fake_github() -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub(bot_login="chatops-bot") as fake:
        seed(fake)
        yield fake


@pytest.fixture
async def gh_bot(make_settings: Any, db_url: str, console: Any, fake_github: FakeGitHub) -> AsyncIterator[Bot]:
    settings = make_settings(core={"database_url": db_url}, **github_settings(fake_github))
    async with open_bot(settings, outbounds=[console], receive=True) as b:
        yield b


@pytest.fixture
async def slack_bot(make_settings: Any, db_url: str, tmp_path: Path) -> AsyncIterator[tuple[Bot, httpx.AsyncClient]]:
    policy = tmp_path / "policy.toml"
    policy.write_text("[access]\ndms = true\n", encoding="utf-8")
    async with FakeSlack() as slack:
        from tests.fakes.slack import SIGNING_SECRET

        settings = make_settings(
            core={"database_url": db_url, "policy_file": str(policy)},
            slack={"slack_bot_token": "xoxb-fake", "slack_signing_secret": SIGNING_SECRET, "slack_api_url": slack.api_url},
        )
        async with open_bot(settings, receive=True) as bot, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=build_http_app(bot)), base_url="http://bot"
        ) as http:
            yield bot, http


def _slack_json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def _mention(event_id: str = "Ev00000001") -> bytes:
    return _slack_json({
        "type": "event_callback", "team_id": "T00FAKETEAM", "api_app_id": "A00FAKEAPP", "event_id": event_id,
        "event_time": int(time.time()),
        "event": {"type": "app_mention", "user": "U00FAKEUSER", "text": "<@U0BOT> /help", "ts": "1700000000.000100",
                  "channel": "C00FAKECHAN", "event_ts": "1700000000.000100"},
    })


# -- 1. signatures that are not ASCII: 401, never 500 ----------------------------------------------
async def test_github_non_ascii_signature_is_401(gh_bot: Bot) -> None:
    body = fixture("pull_request.opened.json")
    async with client_for(gh_bot) as client:
        h: dict[str, Any] = headers("pull_request", body)
        h["X-Hub-Signature-256"] = NON_ASCII
        resp = await client.post("/github/webhook", content=body, headers=h)
    assert resp.status_code == 401, resp.text
    assert await executions(gh_bot) == []


async def test_slack_slash_command_with_non_ascii_signature_is_401(slack_bot: tuple[Bot, httpx.AsyncClient]) -> None:
    bot, http = slack_bot
    h: dict[str, Any] = signed_headers(SLASH)
    h["X-Slack-Signature"] = "v0=é".encode("latin-1")
    resp = await http.post("/slack/events", content=SLASH, headers=h)
    assert resp.status_code == 401, resp.text
    assert await executions(bot) == []


async def test_slack_bolt_event_with_non_ascii_signature_or_timestamp_is_401(slack_bot: tuple[Bot, httpx.AsyncClient]) -> None:
    bot, http = slack_bot
    body = _mention()
    for header in ("X-Slack-Signature", "X-Slack-Request-Timestamp"):
        h: dict[str, Any] = signed_headers(body, content_type="application/json")
        h[header] = (h[header] + "é").encode("latin-1")
        resp = await http.post("/slack/events", content=body, headers=h)
        assert resp.status_code == 401, (header, resp.text)
    assert await executions(bot) == []


# -- 2. a signed body nested too deeply: 400 with a reason -----------------------------------------
async def test_github_deeply_nested_signed_body_is_400(gh_bot: Bot) -> None:
    async with client_for(gh_bot) as client:
        resp = await client.post("/github/webhook", content=DEEP_OBJECT, headers=headers("issues", DEEP_OBJECT))
    assert resp.status_code == 400, resp.text
    assert "nested too deeply" in resp.json()["error"]


async def test_slack_deeply_nested_signed_bodies_are_400(slack_bot: tuple[Bot, httpx.AsyncClient]) -> None:
    _, http = slack_bot
    resp = await http.post("/slack/events", content=DEEP, headers=signed_headers(DEEP, content_type="application/json"))
    assert resp.status_code == 400, resp.text
    assert "nested too deeply" in resp.json()["error"]
    # a button's payload (a form field holding JSON) nested as deeply
    form = urllib.parse.urlencode({"payload": "[" * 50_000 + "]" * 50_000}).encode()
    resp = await http.post("/slack/events", content=form, headers=signed_headers(form))
    assert resp.status_code == 400, resp.text


# -- 3. label values chosen by the sender ------------------------------------------------------------
def _series(counter: Any) -> int:
    return sum(1 for m in counter.collect() for s in m.samples if s.name.endswith("_total"))


async def test_300_bogus_github_event_names_add_at_most_one_series(gh_bot: Bot) -> None:
    before = _series(metrics.GITHUB_WEBHOOKS)
    body = b"{}"
    async with client_for(gh_bot) as client:
        for i in range(300):
            h: dict[str, Any] = headers(f"bogus_event_{i}", body, signature="sha256=" + "0" * 64)
            resp = await client.post("/github/webhook", content=body, headers=h)
            assert resp.status_code == 401
    assert _series(metrics.GITHUB_WEBHOOKS) - before <= 1
    assert metrics.bounded("pull_request", metrics.GITHUB_EVENTS) == "pull_request"


# -- 4. the server's limits, on a real socket ----------------------------------------------------------
async def _read_all(reader: asyncio.StreamReader, within: float) -> bytes:
    """What the server sends until it closes the connection; fails if it is still open after `within`."""
    data = b""
    async with asyncio.timeout(within):
        for _ in range(10_000):  # bounded in count as well as time
            chunk = await reader.read(65536)
            if not chunk:
                return data
            data += chunk
    raise AssertionError("unreachable")


@pytest.fixture
async def served(gh_bot: Bot) -> AsyncIterator[int]:
    async with HttpServer(build_http_app(gh_bot), "127.0.0.1", 0, read_timeout=1.0) as server:
        yield server.port


async def test_a_header_sent_one_byte_per_second_is_cut_off_at_the_read_timeout(served: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", served)
    request = b"GET /health HTTP/1.1\r\nHost: bot\r\nX-Slow: " + b"a" * 20  # ~40 s at this pace
    started, answer = time.monotonic(), b""
    try:
        for byte in request:  # bounded: one byte a second until the server answers or closes
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                answer = await asyncio.wait_for(reader.read(65536), timeout=1.0)
                break  # an answer, or b"" at EOF
            except TimeoutError:
                assert time.monotonic() - started < 5, "still open after 5 s"
        answer += await _read_all(reader, within=2.0)
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        writer.close()
    elapsed = time.monotonic() - started
    assert elapsed < 3.5, elapsed  # the read timeout is 1 s
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:80]


async def test_a_body_that_stalls_is_cut_off_at_the_read_timeout(served: int) -> None:
    body = fixture("pull_request.opened.json")
    h = headers("pull_request", body)
    head = "POST /github/webhook HTTP/1.1\r\nHost: bot\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items())
    head += f"Content-Length: {len(body)}\r\n\r\n"
    reader, writer = await asyncio.open_connection("127.0.0.1", served)
    started = time.monotonic()
    try:
        writer.write(head.encode() + body[:100])  # then nothing more
        await writer.drain()
        await _read_all(reader, within=4.0)
    except ConnectionResetError:
        pass
    finally:
        writer.close()
    assert time.monotonic() - started < 3.5


async def test_a_one_megabyte_header_is_refused_and_not_logged(served: int, caplog: pytest.LogCaptureFixture) -> None:
    big = "a" * (1024 * 1024)
    body = b"{}"
    h = headers("pull_request", body, delivery=big)  # X-GitHub-Delivery is logged when the signature is refused
    head = "POST /github/webhook HTTP/1.1\r\nHost: bot\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items())
    head += f"Content-Length: {len(body)}\r\n\r\n"
    caplog.set_level(logging.DEBUG)
    reader, writer = await asyncio.open_connection("127.0.0.1", served)
    answer = b""
    try:
        writer.write(head.encode() + body)
        await writer.drain()
        answer = await _read_all(reader, within=4.0)
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        writer.close()
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431"), answer[:80]
    assert not any("a" * 1000 in r.getMessage() for r in caplog.records)


async def test_the_server_sets_its_limits() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:  # never called
        raise AssertionError

    config = HttpServer(app, "127.0.0.1", 0)._server.config
    assert config.limit_concurrency == 1000 and config.timeout_keep_alive == 5
    assert config.h11_max_incomplete_event_size == 32 * 1024


# -- 5. replays ----------------------------------------------------------------------------------------
async def test_a_replayed_slash_command_runs_once_and_gets_the_first_answer(slack_bot: tuple[Bot, httpx.AsyncClient]) -> None:
    bot, http = slack_bot
    h = signed_headers(SLASH)
    first = await http.post("/slack/events", content=SLASH, headers=h)
    again = await http.post("/slack/events", content=SLASH, headers=h)
    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert first.json() == again.json()  # the same execution id: the replay learns nothing and starts nothing
    assert len(await executions(bot)) == 1
    # a new request (a fresh timestamp: a new signature) is a new command
    later = await http.post("/slack/events", content=SLASH, headers=signed_headers(SLASH, timestamp=int(time.time()) + 1))
    assert later.status_code == 200 and len(await executions(bot)) == 2


async def test_a_replayed_slack_mention_is_stored_once(slack_bot: tuple[Bot, httpx.AsyncClient]) -> None:
    bot, http = slack_bot
    body = _mention("Ev0REPLAY")
    h = signed_headers(body, content_type="application/json")
    for _ in range(2):
        resp = await http.post("/slack/events", content=body, headers=h)
        assert resp.status_code == 200, resp.text
    assert len(await executions(bot)) == 1


async def test_a_replayed_github_body_under_a_new_delivery_id_is_a_duplicate(gh_bot: Bot) -> None:
    body = fixture("issues.opened.json")
    async with client_for(gh_bot) as client:
        first = await client.post("/github/webhook", content=body, headers=headers("issues", body, delivery="d-first"))
        again = await client.post("/github/webhook", content=body, headers=headers("issues", body, delivery="d-forged"))
    assert (first.status_code, again.status_code) == (202, 200), (first.text, again.text)
    assert again.json()["outcome"] == "duplicate" and again.json()["already_received"] is True
    [row] = await executions(gh_bot)
    assert row["raw"]["github_guid"] == "d-first"


# -- 6. credentials inside base URLs ---------------------------------------------------------------------
async def test_chatops_check_hides_credentials_of_base_urls(
    make_settings: Any, sqlite_url: str, capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings(
        core={"database_url": sqlite_url},
        llm={"openai_base_url": f"http://user:{PASSWORD}@127.0.0.1:1/v1"},
        slack={"slack_bot_token": "xoxb-x", "slack_signing_secret": "s", "slack_api_url": f"http://bot:{PASSWORD}@127.0.0.1:1/api/"},
    )
    await run_check(settings, env_file=None)
    out = capsys.readouterr().out
    assert "127.0.0.1:1" in out and "user:***@" in out
    assert PASSWORD not in out


async def test_an_unreachable_llm_error_shown_to_the_user_hides_the_credentials(
    make_settings: Any, sqlite_url: str, console: Any, transcript: Any,
) -> None:
    settings = make_settings(core={"database_url": sqlite_url, "poll_interval": 0.05},
                             llm={"openai_base_url": f"http://user:{PASSWORD}@127.0.0.1:1/v1", "llm_timeout": 2})
    async with open_bot(settings, outbounds=[console]) as bot:
        row = await run_one(bot, "/ask hello")
    assert row["status"] == Status.FAILED
    out = transcript.getvalue()
    assert "cannot reach http://user:***@127.0.0.1:1/v1" in out, out
    assert PASSWORD not in out and PASSWORD not in (row["error"] or "")
