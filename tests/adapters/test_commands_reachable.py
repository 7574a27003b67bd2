"""Every visible command of the registry is reachable from Slack and Discord with the same arguments.

Generated from `default_commands()`, so a command added to the table is covered here automatically:
a slash command typed in Slack and the same command with options in Discord store equal Executions,
and both get an answer delivered on their own platform.
"""
from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from commands import Registry, default_commands
from commands.registry import Command
from tests.adapters.conftest import Chat, fixture_bytes
from tests.fakes.discord import APP_ID

REGISTRY = Registry(default_commands())


@pytest.fixture
def chat_policy() -> str:
    # reachability, not permission: the asker on both platforms may run every command (test_gate.py refuses)
    return """
[access]
dms = true
[roles.admin]
members = ["slack:T00FAKETEAM/U00FAKEUSER", "discord:dm/700000000000000007"]
"""


def sample_values(cmd: Command) -> dict[str, str]:
    """Required arguments only, each with a value the parser accepts."""
    values = {}
    for a in cmd.args:
        if a.required:
            values[a.name] = a.choices[0] if a.choices else ("what is a lease?" if a.rest else "x")
    return values


@pytest.mark.parametrize("name", [c.name for c in REGISTRY.visible()])
async def test_command_is_reachable_from_both_platforms_with_the_same_arguments(chat: Chat, name: str) -> None:
    cmd = REGISTRY.get(name)
    values = sample_values(cmd)

    fields = dict(urllib.parse.parse_qsl(fixture_bytes("slack/slash_command.form.txt").decode()))
    fields.update(command=f"/{name}", text=" ".join(values.values()))
    resp = await chat.slack_post(urllib.parse.urlencode(fields))
    assert resp.status_code == 200, resp.text

    data: dict[str, Any] = chat.interaction("discord/application_command.dm.json")
    data["data"] = {"id": "300000000000000013", "name": name, "type": 1,
                    "options": [{"name": k, "type": 3, "value": v} for k, v in values.items()]}
    await chat.discord.dispatch("INTERACTION_CREATE", data)
    await chat.wait_for(lambda: chat.discord.of("POST", f"/interactions/{data['id']}/"))

    slack_row, discord_row = await chat.executions()
    assert (slack_row["source"], discord_row["source"]) == ("slack", "discord")
    assert slack_row["kind"] == discord_row["kind"] == name
    assert slack_row["args"] == discord_row["args"]
    for row in (slack_row, discord_row):
        done = await chat.bot.store.wait_finished(row["id"], timeout=10)
        assert done["finished_at"] is not None, f"/{name} from {row['source']} did not finish"
    assert chat.slack.of("chat.postMessage") or chat.slack.of("chat.postEphemeral")
    assert chat.discord.of("PATCH", f"/webhooks/{APP_ID}/") or chat.discord.of("POST", f"/webhooks/{APP_ID}/")
