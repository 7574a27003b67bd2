"""Discord end to end: discord.py on a fake gateway + REST → Execution stored → worker → REST answer."""
from __future__ import annotations

from typing import Any

from bot.storage.models import Status
from commands.model import Button, Conversation, Reply
from tests.adapters.conftest import Chat
from tests.fakes.discord import APP_ID, BOT, snowflake

USER = {"id": "700000000000000007", "username": "test.user", "global_name": "Test User", "discriminator": "0", "avatar": None}


async def test_application_commands_are_synced_to_the_configured_guild_from_the_registry(chat: Chat) -> None:
    [put] = chat.discord.of("PUT", f"/applications/{APP_ID}/guilds/400000000000000004/commands")
    names = [c["name"] for c in put.json]
    assert names == [c.name for c in chat.bot.registry.visible()]
    ask = next(c for c in put.json if c["name"] == "ask")
    assert ask["options"][0] == {"type": 3, "name": "question", "description": "what to ask, in any language", "required": True}
    assert [o["name"] for o in ask["options"][1:]] == [o.name for o in chat.bot.registry.get("ask").options]


async def test_slash_command_is_deferred_then_answered_by_editing_the_original_response(chat: Chat) -> None:
    data = chat.interaction("discord/application_command.dm.json")
    await chat.discord.dispatch("INTERACTION_CREATE", data)
    callback_path = f"/interactions/{data['id']}/{data['token']}/callback"
    await chat.wait_for(lambda: chat.discord.of("POST", callback_path))
    [callback] = chat.discord.of("POST", callback_path)
    assert callback.json["type"] == 5  # deferred: "thinking…"
    [row] = await chat.executions()  # stored before the callback was sent
    assert (row["kind"], row["args"], row["source"]) == ("ask", {"model": None, "question": "what changed in PR #42?"}, "discord")
    assert row["idempotency_key"] == f"discord:{data['id']}"
    assert (await chat.bot.store.wait_finished(row["id"], timeout=10))["status"] == Status.COMPLETED
    # /ask streams: the deferred response is edited as the answer grows; the last edit is the whole answer
    edit = chat.discord.of("PATCH", f"/webhooks/{APP_ID}/{data['token']}/messages/@original")[-1]
    assert "echo: what changed in PR #42?" in edit.json["content"]
    assert edit.json["allowed_mentions"] == {"parse": []}


async def test_expired_interaction_is_answered_in_the_channel_instead(chat: Chat) -> None:
    data = chat.interaction("discord/application_command.dm.json", id=snowflake(at=1700000000))
    await chat.discord.dispatch("INTERACTION_CREATE", data)
    await chat.wait_for(lambda: chat.discord.of("POST", "/channels/500000000000000015/messages"))
    assert not chat.discord.of("PATCH", "/webhooks/")


async def test_button_click_is_routed_to_its_command_and_answered_with_a_follow_up(chat: Chat) -> None:
    data = chat.interaction("discord/message_component.button.json")
    data["data"] = dict(data["data"], custom_id="help:status")
    await chat.discord.dispatch("INTERACTION_CREATE", data)
    await chat.wait_for(lambda: chat.discord.of("POST", f"/interactions/{data['id']}/"))
    [callback] = chat.discord.of("POST", f"/interactions/{data['id']}/")
    assert callback.json["type"] == 6  # deferred update: the message with the button stays as it is
    [row] = await chat.executions()
    assert (row["kind"], row["args"], row["trigger"]) == ("help", {"command": "status"}, "button")
    await chat.bot.store.wait_finished(row["id"], timeout=10)
    [follow_up] = chat.discord.of("POST", f"/webhooks/{APP_ID}/{data['token']}")
    assert follow_up.query.get("wait") == "true" and "/status" in follow_up.json["content"]


async def test_click_on_a_button_no_command_handles_gets_an_ephemeral_answer(chat: Chat) -> None:
    data = chat.interaction("discord/message_component.button.json")  # custom_id alert:ack:cpu_high
    await chat.discord.dispatch("INTERACTION_CREATE", data)
    await chat.wait_for(lambda: chat.discord.of("POST", f"/interactions/{data['id']}/"))
    [callback] = chat.discord.of("POST", f"/interactions/{data['id']}/")
    assert callback.json["type"] == 4 and callback.json["data"]["flags"] == 64
    assert "/alert" in callback.json["data"]["content"]
    assert await chat.executions() == []


def mention(text: str, **changes: Any) -> dict[str, Any]:
    msg = {
        "id": snowflake(), "channel_id": "500000000000000005", "author": USER, "content": text,
        "timestamp": "2026-11-23T00:00:00.000000+00:00", "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "mentions": [BOT], "mention_roles": [], "attachments": [], "embeds": [],
        "pinned": False, "type": 0, "guild_id": "400000000000000004",
    }
    return {k: v for k, v in {**msg, **changes}.items() if v is not None}


async def test_mention_is_answered_with_a_reply_to_the_message(chat: Chat) -> None:
    msg = mention(f"<@{APP_ID}> how do leases work?")
    await chat.discord.dispatch("MESSAGE_CREATE", msg)
    await chat.wait_for(lambda: chat.discord.of("POST", "/channels/500000000000000005/messages"))
    [row] = await chat.executions()
    assert (row["kind"], row["args"]) == ("ask", {"model": None, "question": "how do leases work?"})
    [reply] = chat.discord.of("POST", "/channels/500000000000000005/messages")
    assert reply.json["message_reference"]["message_id"] == msg["id"]
    await chat.bot.store.wait_finished(row["id"], timeout=10)
    edits = [c for c in chat.discord.calls if c.method == "PATCH" and c.path.startswith("/channels/500000000000000005/messages/")]
    final = edits[-1].json["content"] if edits else reply.json["content"]
    assert "echo: how do leases work?" in final


async def test_messages_without_a_mention_or_from_bots_are_ignored(chat: Chat) -> None:
    await chat.discord.dispatch("MESSAGE_CREATE", mention("hello", mentions=[]))
    await chat.discord.dispatch("MESSAGE_CREATE", mention(f"<@{APP_ID}> status", author=dict(USER, bot=True)))
    marker = mention(f"<@{APP_ID}> status")
    await chat.discord.dispatch("MESSAGE_CREATE", marker)  # gateway events arrive in order: this one last
    await chat.wait_for(lambda: chat.discord.of("POST", "/channels/500000000000000005/messages"))
    rows = await chat.executions()
    assert [(r["kind"], r["raw"]["message_id"]) for r in rows] == [("status", marker["id"])]


async def test_direct_message_needs_no_mention(chat: Chat) -> None:
    await chat.discord.dispatch("MESSAGE_CREATE", mention("status", mentions=[], channel_id="500000000000000015", guild_id=None))
    await chat.wait_for(lambda: chat.discord.of("POST", "/channels/500000000000000015/messages"))
    [row] = await chat.executions()
    assert row["kind"] == "status"


async def test_a_failed_delivery_never_logs_the_interaction_token(chat: Chat, caplog) -> None:
    # the deferral, the first progress edit and the final delivery are refused
    chat.discord.fail_next += [(400, 0), (400, 0), (400, 0)]
    data = chat.interaction("discord/application_command.dm.json")
    await chat.discord.dispatch("INTERACTION_CREATE", data)
    await chat.wait_for(lambda: any("delivery to discord:" in r.getMessage() for r in caplog.records))
    [row] = await chat.executions()
    assert data["token"] not in caplog.text
    assert data["token"] not in ((await chat.bot.store.get(row["id"])) or {}).get("error", "")


async def test_a_button_too_long_for_a_custom_id_is_stored_and_its_click_runs_the_whole_line(chat: Chat) -> None:
    """An MCP confirm button carries its tool arguments: far over Discord's 100-character custom_id."""
    discord_out = chat.bot.opened["discord"].outbound
    assert discord_out is not None
    value = "summarize " + "x" * 150
    reply = Reply.text("Run it?", buttons=[Button("Confirm", "ask", value, "danger")])
    await discord_out.post(Conversation("discord", "500000000000000005"), reply)
    [posted] = chat.discord.of("POST", "/channels/500000000000000005/messages")
    [button] = posted.json["components"][0]["components"]
    assert button["custom_id"].startswith("~") and len(button["custom_id"]) <= 100
    data = chat.interaction("discord/message_component.button.json")
    data["data"] = dict(data["data"], custom_id=button["custom_id"])
    await chat.discord.dispatch("INTERACTION_CREATE", data)
    await chat.wait_for(lambda: chat.discord.of("POST", f"/interactions/{data['id']}/"))
    rows = await chat.executions()
    assert [r["text"] for r in rows] == [f"/ask {value}"] and rows[0]["trigger"] == "button"
    assert rows[0]["args"]["question"] == value


async def test_a_stored_button_whose_line_is_gone_gets_an_ephemeral_answer(chat: Chat) -> None:
    data = chat.interaction("discord/message_component.button.json")
    data["data"] = dict(data["data"], custom_id="~" + "0" * 40)
    await chat.discord.dispatch("INTERACTION_CREATE", data)
    await chat.wait_for(lambda: chat.discord.of("POST", f"/interactions/{data['id']}/"))
    [callback] = chat.discord.of("POST", f"/interactions/{data['id']}/")
    assert callback.json["type"] == 4 and callback.json["data"]["flags"] == 64
    assert "no longer works" in callback.json["data"]["content"]
    assert await chat.executions() == []
