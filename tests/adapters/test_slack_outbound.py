"""Reply → Slack Web API, with the real slack_sdk client against the fake: blocks, limits, files, 429s."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.adapters.slack import render
from bot.adapters.slack.outbound import SlackOutbound, web_client
from bot.adapters.slack.target import SlackTarget
from commands.model import Button, Image, Reply, Section
from tests.fakes.slack import FakeSlack

CHANNEL = SlackTarget("C00FAKECHAN", None, "U00FAKEUSER").conversation()
THREAD = SlackTarget("C00FAKECHAN", "1700000000.000200", "U00FAKEUSER").conversation()
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100


@pytest.fixture
async def slack() -> AsyncIterator[tuple[FakeSlack, SlackOutbound]]:
    async with FakeSlack() as fake:
        out = SlackOutbound(web_client("xoxb-fake", fake.api_url))
        await out.start()
        try:
            yield fake, out
        finally:
            await out.aclose()


async def test_start_checks_the_token_and_reports_ready(slack: tuple[FakeSlack, SlackOutbound]) -> None:
    fake, out = slack
    assert out.ready() and out.bot_user_id == "U00FAKEBOT"
    bad = SlackOutbound(web_client("xoxb-wrong", fake.api_url))
    await bad.start()
    assert not bad.ready()
    await bad.aclose()


async def test_post_renders_sections_fields_footer_and_buttons_as_block_kit(slack: tuple[FakeSlack, SlackOutbound]) -> None:
    fake, out = slack
    reply = Reply(
        sections=[Section("**CPU** is high, see [the graph](https://example.com/g?a=1&b=2)", title="Alert")],
        fields=[("host", "worker-1"), ("value", "92%")],
        footer="fake-model · 10 tokens",
        buttons=[Button("Acknowledge", "alerts", "ack cpu_high", style="primary"), Button("Silence", "alerts", "silence cpu_high")],
    )
    ts = await out.post(THREAD, reply)
    [call] = fake.of("chat.postMessage")
    assert ts and call["thread_ts"] == "1700000000.000200"
    kinds = [b["type"] for b in call["blocks"]]
    assert kinds == ["header", "section", "section", "context", "actions"]
    # the link shows where it goes (a label written by a model could lie), and nothing is unfurled
    assert call["blocks"][1]["text"]["text"] == "*CPU* is high, see the graph (<https://example.com/g?a=1&amp;b=2>)"
    assert str(call["unfurl_links"]).lower() == str(call["unfurl_media"]).lower() == "false"
    assert [f["text"] for f in call["blocks"][2]["fields"]] == ["*host*\nworker-1", "*value*\n92%"]
    buttons = call["blocks"][4]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [("alerts#0", "ack cpu_high"), ("alerts#1", "silence cpu_high")]
    assert buttons[0]["style"] == "primary" and "style" not in buttons[1]


@pytest.mark.parametrize("special", ["<!channel>", "<!here>", "<!everyone>", "<!subteam^S0123|@oncall>", "<!here|here>"])
async def test_model_written_broadcast_mentions_are_neutralized(slack: tuple[FakeSlack, SlackOutbound], special: str) -> None:
    fake, out = slack
    await out.post(CHANNEL, Reply.text(f"Attention {special} and @here and @channel: deploy done"))
    [call] = fake.of("chat.postMessage")
    wire = json.dumps(call)
    assert "<!" not in wire
    assert "@here" not in wire and "@channel" not in wire  # a word joiner keeps them from reading as mentions
    assert "&lt;!" in call["blocks"][0]["text"]["text"] and "&lt;!" in call["text"]


async def test_long_replies_are_split_within_section_and_block_limits(slack: tuple[FakeSlack, SlackOutbound]) -> None:
    fake, out = slack
    line = "x" * 99 + "\n"
    reply = Reply(sections=[Section(line * 2000)])  # 200 000 characters: about 70 sections, two messages
    await out.post(THREAD, reply)
    calls = fake.of("chat.postMessage")
    assert len(calls) == 2
    for call in calls:
        assert len(call["blocks"]) <= render.MAX_BLOCKS
        assert all(len(b["text"]["text"]) <= render.SECTION_CHARS for b in call["blocks"])
    total = "".join(b["text"]["text"] + "\n" for c in calls for b in c["blocks"])
    assert total.count("x" * 99) == 2000
    assert calls[1]["thread_ts"] == "1700000000.000200"


async def test_images_go_through_the_three_step_files_upload_v2(slack: tuple[FakeSlack, SlackOutbound]) -> None:
    fake, out = slack
    await out.post(THREAD, Reply(sections=[Section("chart")], images=[Image(PNG, "CPU last hour", "cpu.png")]))
    [step1] = fake.of("files.getUploadURLExternal")
    assert step1["filename"] == "cpu.png" and int(step1["length"]) == len(PNG)
    assert list(fake.uploads.values()) == [PNG]
    [step3] = fake.of("files.completeUploadExternal")
    assert step3["channel_id"] == "C00FAKECHAN" and step3["thread_ts"] == "1700000000.000200"
    assert json.loads(step3["files"])[0]["title"] == "CPU last hour"


async def test_ephemeral_reply_goes_to_the_asker_only(slack: tuple[FakeSlack, SlackOutbound]) -> None:
    fake, out = slack
    assert await out.post(CHANNEL, Reply.text("only you", ephemeral=True)) is None
    [call] = fake.of("chat.postEphemeral")
    assert call["user"] == "U00FAKEUSER" and call["channel"] == "C00FAKECHAN"
    assert fake.of("chat.postMessage") == []


async def test_progress_is_edited_in_place_and_an_ephemeral_final_replaces_it(slack: tuple[FakeSlack, SlackOutbound]) -> None:
    fake, out = slack
    ts = await out.post(CHANNEL, Reply.text("thinking…"), final=False)
    assert ts is not None
    await out.update(CHANNEL, ts, Reply.text("half"), final=False)
    [update] = fake.of("chat.update")
    assert update["ts"] == ts and "half" in update["blocks"][0]["text"]["text"]
    await out.update(CHANNEL, ts, Reply.text("private answer", ephemeral=True))
    assert fake.of("chat.delete") == [{"channel": "C00FAKECHAN", "ts": ts}]
    assert "private answer" in fake.of("chat.postEphemeral")[0]["text"]


async def test_rate_limited_call_is_retried_after_retry_after(slack: tuple[FakeSlack, SlackOutbound]) -> None:
    fake, out = slack
    fake.fail_next["chat.postMessage"] = (429, 1)
    await out.post(CHANNEL, Reply.text("eventually"))
    calls = [c for c in fake.calls if c.method == "chat.postMessage"]
    assert len(calls) == 2
    assert calls[1].at - calls[0].at >= 0.9  # Retry-After: 1 was honoured


async def test_alert_targets_from_settings_post_in_the_channel_or_thread(slack: tuple[FakeSlack, SlackOutbound]) -> None:
    from bot.routing import parse_targets

    fake, out = slack
    plain, threaded = parse_targets("slack:C0123,slack:C0456/1700000000.000200")
    await out.post(plain, Reply.text("alert", ephemeral=True))  # no asker to show it to: posted for all
    await out.post(threaded, Reply.text("report"))
    first, second = fake.of("chat.postMessage")
    assert (first["channel"], first.get("thread_ts")) == ("C0123", None)
    assert (second["channel"], second["thread_ts"]) == ("C0456", "1700000000.000200")


async def test_failures_go_only_to_the_asker(slack: tuple[FakeSlack, SlackOutbound]) -> None:
    fake, out = slack
    await out.post(THREAD, Reply.failure("No LLM is configured"))
    [call] = fake.of("chat.postEphemeral")
    assert call["user"] == "U00FAKEUSER" and call["thread_ts"] == "1700000000.000200"
    assert ":warning: No LLM is configured" in call["blocks"][0]["text"]["text"]


async def test_channel_the_bot_is_not_in_gets_the_answer_in_the_askers_dm(slack: tuple[FakeSlack, SlackOutbound]) -> None:
    fake, out = slack
    fake.not_member.add("C00FAKECHAN")
    ref = await out.post(CHANNEL, Reply.text("partial"), final=False)
    assert ref is not None and ref.startswith("D00FAKEUSER:")
    moved = fake.of("chat.postMessage")[-1]
    assert moved["channel"] == "U00FAKEUSER" and "invite me there" in moved["blocks"][0]["text"]["text"]
    await out.update(CHANNEL, ref, Reply.text("final answer"))
    [update] = fake.of("chat.update")
    assert update["channel"] == "D00FAKEUSER" and update["ts"] == ref.split(":")[1]
    assert "final answer" in update["blocks"][0]["text"]["text"]


async def test_not_in_channel_without_an_asker_is_a_delivery_failure(slack: tuple[FakeSlack, SlackOutbound]) -> None:
    from slack_sdk.errors import SlackApiError

    fake, out = slack
    fake.not_member.add("C0123")
    with pytest.raises(SlackApiError, match="not_in_channel"):
        await out.post(SlackTarget("C0123").conversation(), Reply.text("alert"))
