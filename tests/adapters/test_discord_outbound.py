"""Reply → Discord REST with discord.py's HTTP client against the fake: routes, limits, files, 429s."""
from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from bot.adapters.discord import render
from bot.adapters.discord.outbound import DiscordOutbound, point_at
from bot.adapters.discord.target import DiscordTarget, safe_str
from commands.model import Button, Image, Reply, Section
from tests.fakes.discord import APP_ID, TOKEN, FakeDiscord, snowflake

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 50
CHANNEL = DiscordTarget("500000000000000005").conversation()


def interaction(kind: str = "i", at: float | None = None) -> DiscordTarget:
    return DiscordTarget("500000000000000005", kind, APP_ID, snowflake(at), "tok-123")


@pytest.fixture
async def discord_out() -> AsyncIterator[tuple[FakeDiscord, DiscordOutbound]]:
    async with FakeDiscord() as fake:
        point_at(fake.api_url, fake.gateway_url)
        out = DiscordOutbound(TOKEN)
        await out.start()
        try:
            yield fake, out
        finally:
            await out.aclose()


def test_conversation_round_trips_and_logs_never_show_the_token() -> None:
    target = interaction()
    assert DiscordTarget.of(target.conversation()) == target
    assert "tok-123" not in safe_str(target.conversation())
    assert target.webhook_usable() and not interaction(at=time.time() - 15 * 60).webhook_usable()


async def test_deferred_command_is_finished_by_editing_the_original_response(discord_out: tuple[FakeDiscord, DiscordOutbound]) -> None:
    fake, out = discord_out
    conv = interaction().conversation()
    ref = await out.post(conv, Reply.text("partial"), final=False)
    assert ref == "w:@original"
    await out.update(conv, ref, Reply.text("done"))
    edits = fake.of("PATCH", f"/webhooks/{APP_ID}/tok-123/messages/@original")
    assert [e.json["content"] for e in edits] == ["partial", "done"]


async def test_channel_message_with_fields_buttons_and_image(discord_out: tuple[FakeDiscord, DiscordOutbound]) -> None:
    fake, out = discord_out
    reply = Reply(
        sections=[Section("CPU is high", title="Alert")], fields=[("host", "worker-1")], footer="rule cpu_high",
        images=[Image(PNG, "cpu", "cpu.png")], buttons=[Button("Ack", "alerts", "ack cpu_high", style="primary")],
    )
    ref = await out.post(CHANNEL, reply)
    [call] = fake.of("POST", "/channels/500000000000000005/messages")
    assert ref and ref.isdigit()
    assert call.json["content"] == "**Alert**\nCPU is high"
    assert call.json["embeds"][0]["fields"][0]["name"] == "host" and call.json["embeds"][0]["footer"]["text"] == "rule cpu_high"
    assert call.json["components"] == [{"type": 1, "components": [
        {"type": 2, "style": 1, "label": "Ack", "custom_id": "alerts:ack cpu_high"}]}]
    assert call.files == {"cpu.png": PNG}
    assert render.parse_custom_id("alerts:ack cpu_high") == "/alerts ack cpu_high"


async def test_everyone_here_and_role_mentions_are_neutralized(discord_out: tuple[FakeDiscord, DiscordOutbound]) -> None:
    fake, out = discord_out
    await out.post(CHANNEL, Reply.text("ping @everyone and @here and <@&800000000000000008>"))
    [call] = fake.of("POST", "/channels/")
    assert call.json["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in call.json["content"] and "@here" not in call.json["content"]
    assert "<@&" not in call.json["content"]


async def test_long_content_is_split_at_2000_and_very_long_content_attached(discord_out: tuple[FakeDiscord, DiscordOutbound]) -> None:
    fake, out = discord_out
    await out.post(CHANNEL, Reply.text(("y" * 79 + "\n") * 60))  # 4 800 characters → 3 messages
    calls = fake.of("POST", "/channels/")
    assert len(calls) == 3 and all(len(c.json["content"]) <= 2000 for c in calls)
    assert sum(c.json["content"].count("y" * 79) for c in calls) == 60
    fake.calls.clear()
    text = "z" * 20_000
    await out.post(CHANNEL, Reply.text(text))
    [call] = fake.of("POST", "/channels/")
    assert "reply.md" in call.json["content"] and call.files["reply.md"] == text.encode()


async def test_ephemeral_answer_to_a_command_replaces_the_public_deferral(discord_out: tuple[FakeDiscord, DiscordOutbound]) -> None:
    fake, out = discord_out
    assert await out.post(interaction().conversation(), Reply.text("just you", ephemeral=True)) is None
    assert fake.of("DELETE", f"/webhooks/{APP_ID}/tok-123/messages/@original")
    [follow] = fake.of("POST", f"/webhooks/{APP_ID}/tok-123")
    assert follow.json["flags"] == 64 and follow.json["content"] == "just you"


async def test_token_expiring_mid_answer_moves_the_answer_to_the_channel(discord_out: tuple[FakeDiscord, DiscordOutbound]) -> None:
    fake, out = discord_out
    stale = interaction(at=time.time() - 20 * 60).conversation()
    await out.update(stale, "w:@original", Reply.text("late"))
    assert not fake.of("PATCH", "/webhooks/")
    [call] = fake.of("POST", "/channels/500000000000000005/messages")
    assert call.json["content"] == "late"


async def test_rate_limited_request_is_retried(discord_out: tuple[FakeDiscord, DiscordOutbound]) -> None:
    fake, out = discord_out
    fake.fail_next.append((429, 0.3))
    started = time.monotonic()
    await out.post(CHANNEL, Reply.text("after the limit"))
    calls = fake.of("POST", "/channels/")
    assert len(calls) == 2 and calls[1].json["content"] == "after the limit"
    assert time.monotonic() - started >= 0.3


async def test_interaction_that_is_gone_is_answered_in_the_channel(discord_out: tuple[FakeDiscord, DiscordOutbound]) -> None:
    fake, out = discord_out
    fake.fail_next.append((404, 0))  # e.g. the deferral never reached Discord within 3 seconds
    ref = await out.post(interaction().conversation(), Reply.text("answer"))
    assert ref and ref.isdigit()
    [call] = fake.of("POST", "/channels/500000000000000005/messages")
    assert call.json["content"] == "answer"


async def test_failures_go_only_to_the_asker(discord_out: tuple[FakeDiscord, DiscordOutbound]) -> None:
    fake, out = discord_out
    await out.post(interaction().conversation(), Reply.failure("the LLM provider failed"))
    [follow] = fake.of("POST", f"/webhooks/{APP_ID}/tok-123")
    assert follow.json["flags"] == 64 and "the LLM provider failed" in follow.json["content"]


async def test_a_long_button_is_stored_once_a_day_while_it_is_posted(tmp_path) -> None:
    """Edits in place store nothing new; a day later a re-post refreshes the row, so retention keeps it."""
    from sqlalchemy import select

    from bot.adapters.discord.outbound import REMEMBER_FOR
    from bot.storage.engine import create_engine
    from bot.storage.migrate import upgrade
    from bot.storage.store import BUTTONS, Store
    from tests.fakes.health import ManualClock

    engine = create_engine(f"sqlite:///{tmp_path / 'buttons.db'}")
    await upgrade(engine)
    store = Store(engine)

    async def stored_at() -> list[float]:
        async with engine.connect() as conn:
            return list((await conn.execute(select(BUTTONS.c.created_at))).scalars())

    clock = ManualClock(1000.0)
    reply = Reply.text("Run it?", buttons=[Button("Confirm", "ask", "summarize " + "x" * 150, "danger")])
    async with FakeDiscord() as fake:
        point_at(fake.api_url, fake.gateway_url)
        out = DiscordOutbound(TOKEN, clock=clock)
        out.button_store = store
        await out.start()
        try:
            await out.post(CHANNEL, reply)
            [first] = await stored_at()
            clock.advance(REMEMBER_FOR / 2)
            await out.post(CHANNEL, reply)
            assert await stored_at() == [first]  # within the day: not written again
            clock.advance(REMEMBER_FOR)
            await out.post(CHANNEL, reply)
            [refreshed] = await stored_at()
            assert refreshed > first
        finally:
            await out.aclose()
            await store.aclose()
            await engine.dispose()
