"""Slack's HTTP endpoint end to end: signed requests → Bolt → Execution stored → worker → Web API."""
from __future__ import annotations

import json
import time
import urllib.parse

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette

from bot.adapters.slack.http import slack_route
from bot.adapters.slack.inbound import build_bolt_app
from bot.storage.models import Status
from tests.adapters.conftest import Chat, fixture_bytes, fixture_json
from tests.fakes.slack import SIGNING_SECRET, signed_headers

SLASH = fixture_bytes("slack/slash_command.form.txt")


def form(**changes: str) -> bytes:
    fields = dict(urllib.parse.parse_qsl(SLASH.decode()))
    fields.update(changes)
    return urllib.parse.urlencode(fields).encode()


class _FixtureClock:
    @staticmethod
    def now() -> float:
        return 1700000000.0


@pytest.mark.parametrize("name", [n for n, f in fixture_json("slack/signatures.json")["files"].items() if f["is_wire_body"]])
def test_fixture_signatures_verify_with_the_scheme_the_fakes_sign_with(name: str) -> None:
    entry = fixture_json("slack/signatures.json")["files"][name]
    body = fixture_bytes(f"slack/{name}")
    verifier = SignatureVerifier(SIGNING_SECRET, clock=_FixtureClock())
    assert verifier.is_valid(body, entry["X-Slack-Request-Timestamp"], entry["X-Slack-Signature"])
    assert signed_headers(body, timestamp=1700000000)["X-Slack-Signature"] == entry["X-Slack-Signature"]


async def test_signed_slash_command_is_stored_acked_and_answered_in_the_channel(chat: Chat) -> None:
    resp = await chat.slack_post(SLASH)
    assert resp.status_code == 200
    ack = resp.json()
    assert ack["response_type"] == "ephemeral" and "/ask what changed in PR #42?" in ack["text"]
    [row] = await chat.executions()
    assert row["kind"] == "ask" and row["args"] == {"model": None, "question": "what changed in PR #42?"}
    assert row["conversation"] == {"platform": "slack", "channel": "C00FAKECHAN", "thread": "@U00FAKEUSER", "locale": "en"}
    done = await chat.bot.store.wait_finished(row["id"], timeout=10)
    assert done["status"] == Status.COMPLETED
    # /ask streams: one message is posted, then edited in place until the whole answer shows
    [posted] = chat.slack.of("chat.postMessage")
    assert posted["channel"] == "C00FAKECHAN"
    final = chat.slack.of("chat.update")[-1]
    assert final["ts"] == posted["ts"] if "ts" in posted else True
    assert "echo: what changed in PR #42?" in json.dumps(final["blocks"])


@pytest.mark.parametrize("case", ["wrong signature", "missing headers", "stale timestamp"])
async def test_bad_signatures_get_401_and_store_nothing(chat: Chat, case: str) -> None:
    if case == "wrong signature":
        headers = signed_headers(SLASH, secret="not-the-secret")
    elif case == "missing headers":
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    else:
        headers = signed_headers(SLASH, timestamp=int(time.time()) - 6 * 60)
    resp = await chat.slack_post(SLASH, headers=headers)
    assert resp.status_code == 401
    assert await chat.executions() == []
    assert chat.slack.of("chat.postMessage") == []


async def test_url_verification_answers_the_challenge(chat: Chat) -> None:
    body = fixture_bytes("slack/url_verification.json")
    resp = await chat.slack_post(body, content_type="application/json")
    assert resp.status_code == 200
    assert resp.json()["challenge"] == fixture_json("slack/url_verification.json")["challenge"]
    assert await chat.executions() == []


async def test_unknown_slash_command_is_answered_ephemeral_with_suggestions_and_not_stored(chat: Chat) -> None:
    resp = await chat.slack_post(form(command="/stauts", text=""))
    assert resp.status_code == 200
    assert resp.json()["response_type"] == "ephemeral"
    assert "/status" in resp.json()["text"]
    assert await chat.executions() == []


async def test_usage_error_is_answered_with_the_usage_line(chat: Chat) -> None:
    resp = await chat.slack_post(form(command="/ask", text=""))
    assert "Usage: `/ask [--model &lt;model&gt;] &lt;question&gt;…`" in resp.json()["text"]  # Slack shows &lt; as <
    assert await chat.executions() == []


async def test_mention_in_a_thread_is_answered_in_that_thread(chat: Chat) -> None:
    resp = await chat.slack_post(fixture_bytes("slack/app_mention.thread.json"), content_type="application/json")
    assert resp.status_code == 200
    [row] = await chat.executions()
    assert row["kind"] == "ask" and row["args"] == {"model": None, "question": "summarize this thread"}
    await chat.bot.store.wait_finished(row["id"], timeout=10)
    [posted] = chat.slack.of("chat.postMessage")
    assert posted["thread_ts"] == "1700000000.000200" and posted["channel"] == "C00FAKECHAN"
    assert "echo: summarize this thread" in json.dumps(chat.slack.of("chat.update")[-1]["blocks"])


async def test_mention_outside_a_thread_starts_one_and_retries_are_stored_once(chat: Chat) -> None:
    body = fixture_bytes("slack/app_mention.json")
    first = await chat.slack_post(body, content_type="application/json")
    headers = {**signed_headers(body, content_type="application/json"), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    retry = await chat.slack_post(body, headers=headers)
    assert first.status_code == retry.status_code == 200
    [row] = await chat.executions()
    event = fixture_json("slack/app_mention.json")["event"]
    assert row["idempotency_key"] == f"slack:{fixture_json('slack/app_mention.json')['event_id']}"
    await chat.bot.store.wait_finished(row["id"], timeout=10)
    [posted] = chat.slack.of("chat.postMessage")
    assert posted["thread_ts"] == event["ts"]


async def test_direct_message_is_answered_inline_and_bot_messages_are_ignored(chat: Chat) -> None:
    envelope = fixture_json("slack/app_mention.json")
    envelope["event"] = {"type": "message", "channel_type": "im", "channel": "D00FAKEDM", "user": "U00FAKEUSER",
                         "text": "status", "ts": "1700000040.000100", "event_ts": "1700000040.000100"}
    envelope["event_id"] = "Ev00FAKEDM1"
    await chat.slack_post(json.dumps(envelope), content_type="application/json")
    envelope["event"] = dict(envelope["event"], bot_id="B0OTHER", text="status")
    envelope["event_id"] = "Ev00FAKEDM2"
    await chat.slack_post(json.dumps(envelope), content_type="application/json")
    [row] = await chat.executions()
    assert row["kind"] == "status"
    await chat.bot.store.wait_finished(row["id"], timeout=10)
    [posted] = chat.slack.of("chat.postMessage")
    assert posted["channel"] == "D00FAKEDM" and posted.get("thread_ts") is None


def block_actions(chat: Chat, action_id: str, value: str) -> bytes:
    payload = fixture_json("slack/block_actions.json")
    payload["actions"][0].update(action_id=action_id, value=value)
    payload["response_url"] = chat.slack.response_url()
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


async def test_button_click_is_routed_to_its_command_and_answered_in_the_message_thread(chat: Chat) -> None:
    resp = await chat.slack_post(block_actions(chat, "help#0", "status"))
    assert resp.status_code == 200
    [row] = await chat.executions()
    assert (row["kind"], row["args"], row["trigger"]) == ("help", {"command": "status"}, "button")
    await chat.bot.store.wait_finished(row["id"], timeout=10)
    # /help <command> is public; it goes in the thread of the message that carried the button
    [posted] = chat.slack.of("chat.postMessage")
    assert posted["thread_ts"] == "1700000000.000200"
    assert "/status" in json.dumps(posted["blocks"])


async def test_click_on_a_button_no_command_handles_is_answered_through_response_url(chat: Chat) -> None:
    wire = fixture_bytes("slack/block_actions.form.txt")
    payload = json.loads(urllib.parse.parse_qs(wire.decode())["payload"][0])
    payload["response_url"] = chat.slack.response_url()
    resp = await chat.slack_post(urllib.parse.urlencode({"payload": json.dumps(payload)}))
    assert resp.status_code == 200
    assert await chat.executions() == []
    [answer] = chat.slack.responses
    assert answer["response_type"] == "ephemeral" and "alert_ack" in answer["text"]


async def test_acknowledgement_follows_the_language_of_the_question(chat: Chat) -> None:
    resp = await chat.slack_post(form(text="リースとは何ですか？"))
    assert resp.json()["text"].startswith("`/ask リースとは何ですか？` を実行しています")


async def test_other_events_are_acknowledged_and_ignored(chat: Chat) -> None:
    envelope = fixture_json("slack/app_mention.json")
    envelope["event"] = {"type": "reaction_added", "user": "U00FAKEUSER", "reaction": "eyes",
                         "item": {"type": "message", "channel": "C00FAKECHAN", "ts": "1700000000.000200"}}
    resp = await chat.slack_post(json.dumps(envelope), content_type="application/json")
    assert resp.status_code == 200
    assert await chat.executions() == []


@pytest.mark.parametrize("changes", [{"text": "what changed?"}, {"command": "/stauts", "text": ""}, {"command": "/ask", "text": ""},
                                     {"text": "日本語で要約して"}])
async def test_the_slash_command_fast_path_answers_exactly_as_bolts_listener(chat: Chat, changes: dict[str, str]) -> None:
    """HTTP slash commands skip Bolt's dispatch (SlashCommands); Socket Mode still goes through Bolt's
    listener. Both must store the same row and send the same acknowledgement."""
    slack = chat.bot.opened["slack"].outbound
    assert slack is not None
    bolt_only = Starlette(routes=[slack_route(build_bolt_app(slack.client, SIGNING_SECRET, chat.bot.intake, chat.bot.registry))])
    body = form(**changes)
    fast = await chat.slack_post(body)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bolt_only), base_url="http://bot") as http:
        slow = await http.post("/slack/events", content=body, headers=signed_headers(body))
    assert fast.status_code == slow.status_code == 200
    assert fast.headers["content-type"].startswith("application/json")
    rows = await chat.executions()
    if rows:  # accepted: one row each, the acknowledgements differ only in the execution id
        first, second = rows
        same = ("kind", "trigger", "source", "requester", "conversation", "text", "args", "locale", "priority", "raw")
        assert {k: first[k] for k in same} == {k: second[k] for k in same}
        assert f"#{first['id']}" in fast.json()["text"]
        assert fast.json()["text"].replace(f"#{first['id']}", "#N") == slow.json()["text"].replace(f"#{second['id']}", "#N")
    else:
        assert fast.json() == slow.json()


async def test_ssl_check_goes_to_bolt_and_an_incomplete_form_gets_400_storing_nothing(chat: Chat) -> None:
    resp = await chat.slack_post(b"ssl_check=1&token=legacy&command=%2Fask&text=hi")
    assert resp.status_code == 200 and resp.text == ""  # Bolt's answer to Slack's certificate check
    resp = await chat.slack_post(b"command=%2Fask&text=hi")  # no channel or user: not a slash command Slack sends
    assert resp.status_code == 400 and "channel_id, user_id" in resp.json()["error"]
    assert await chat.executions() == []


async def test_a_body_larger_than_any_slack_payload_is_refused_with_413(chat: Chat) -> None:
    body = form(text="x" * (1024 * 1024))
    resp = await chat.slack_post(body)
    assert resp.status_code == 413
    assert await chat.executions() == []
