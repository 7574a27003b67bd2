"""Every platform stores the asker as an identity (commands/access/identity.py), end to end through the
real clients: signed Slack requests through Bolt, discord.py on the fake gateway, signed GitHub webhooks,
the console's `say` and the scheduler. Discord members' roles become `Event.groups` from the payload."""
from __future__ import annotations

import copy
import getpass
import json
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from bot.adapters.console import ConsoleOutbound
from bot.adapters.discord.gateway import GatewayClient, command_event, mention_event
from bot.adapters.discord.settings import DiscordSettings
from bot.adapters.slack.settings import SlackSettings
from bot.app import Bot, open_bot
from bot.repl import say
from bot.scheduler import Scheduler
from commands.access.identity import Identity
from tests.adapters.conftest import Chat, fixture_bytes, fixture_json
from tests.adapters.test_discord_gateway import mention
from tests.fakes.discord import APP_ID, snowflake
from tests.fakes.github import FakeGitHub, fixture
from tests.scenarios.github_env import client_for, deliver, executions, github_settings, seed

TEAM, USER = "T00FAKETEAM", "U00FAKEUSER"
SLACK_ID = f"slack:{TEAM}/{USER}"
GUILD, MEMBER, ROLE = "400000000000000004", "700000000000000007", "800000000000000008"


@pytest.fixture
def chat_policy() -> str:
    # the fixtures' Discord member silences alerts: their guild role is an operator
    return f'[access]\ndms = true\n[roles.operator]\nmembers = ["discord-role:{GUILD}/{ROLE}"]\n'


# -- Slack ----------------------------------------------------------------------------------------------
async def test_slack_slash_command_mention_dm_and_button_store_the_team_and_user(chat: Chat) -> None:
    await chat.slack_post(fixture_bytes("slack/slash_command.form.txt"))
    await chat.slack_post(fixture_bytes("slack/app_mention.json"), content_type="application/json")
    envelope = fixture_json("slack/app_mention.json")  # a DM event names no team: the envelope's team_id
    envelope["event"] = {"type": "message", "channel_type": "im", "channel": "D00FAKEDM", "user": USER,
                         "text": "status", "ts": "1700000040.000100", "event_ts": "1700000040.000100"}
    envelope["event_id"] = "Ev00FAKEDM1"
    await chat.slack_post(json.dumps(envelope), content_type="application/json")
    payload = fixture_json("slack/block_actions.json")
    payload["actions"][0].update(action_id="help#0", value="status")
    payload["response_url"] = chat.slack.response_url()
    await chat.slack_post(urllib.parse.urlencode({"payload": json.dumps(payload)}))
    rows = await chat.executions()
    assert [(r["source"], r["trigger"], r["requester"]) for r in rows] == [
        ("slack", "chat", SLACK_ID), ("slack", "chat", SLACK_ID), ("slack", "chat", SLACK_ID), ("slack", "button", SLACK_ID),
    ]
    # the answer still goes to the raw user: the conversation carries the Slack user id, not the identity
    assert all(r["conversation"]["thread"].endswith(f"@{USER}") for r in (rows[0], rows[3]))


async def test_slack_connect_mention_names_the_askers_own_workspace(chat: Chat) -> None:
    envelope = fixture_json("slack/app_mention.json")
    # a person of another organization is a guest here (users.info does not know them): `status` is theirs
    envelope["event"] = dict(envelope["event"], user="U00GUESTORG", user_team="T00OTHERORG", text="<@U00FAKEBOT> status")
    envelope["event_id"] = "Ev00FAKECONNECT"
    await chat.slack_post(json.dumps(envelope), content_type="application/json")
    [row] = await chat.executions()
    assert row["requester"] == "slack:T00OTHERORG/U00GUESTORG"


async def test_a_rejected_slack_mention_is_answered_ephemerally_to_the_raw_user_id(chat: Chat) -> None:
    envelope = fixture_json("slack/app_mention.json")
    envelope["event"] = dict(envelope["event"], text="<@U00FAKEBOT> /report 一週間")  # bad usage: rejected
    await chat.slack_post(json.dumps(envelope), content_type="application/json")
    await chat.wait_for(lambda: chat.slack.of("chat.postEphemeral"))
    [ephemeral] = chat.slack.of("chat.postEphemeral")
    assert ephemeral["user"] == USER and ephemeral["channel"] == "C00FAKECHAN"
    assert await chat.executions() == []


def test_slack_and_discord_allowed_spaces() -> None:
    assert SlackSettings().allowed_spaces() is None
    assert SlackSettings(slack_team_ids=" T1, T2 ,").allowed_spaces() == frozenset({"T1", "T2"})
    assert SlackSettings(slack_team_ids="").allowed_spaces() is None
    assert SlackSettings().slack_members_ttl == 300
    assert DiscordSettings().allowed_spaces() is None
    assert DiscordSettings(discord_guild_ids="1,22").allowed_spaces() == frozenset({"1", "22"})


# -- Discord --------------------------------------------------------------------------------------------
async def test_discord_guild_and_dm_commands_store_guild_or_dm_identities(chat: Chat) -> None:
    guild = chat.interaction("discord/application_command.json")
    dm = chat.interaction("discord/application_command.dm.json", id=snowflake(seq=1))  # ids must differ
    for data in (guild, dm):
        await chat.discord.dispatch("INTERACTION_CREATE", data)
    await chat.wait_for(lambda: all(chat.discord.of("POST", f"/interactions/{d['id']}/") for d in (guild, dm)))
    rows = {r["idempotency_key"]: r["requester"] for r in await chat.executions()}
    dm_user = dm["user"]["id"]
    assert rows == {f"discord:{guild['id']}": f"discord:{GUILD}/{MEMBER}", f"discord:{dm['id']}": f"discord:dm/{dm_user}"}


async def test_discord_mentions_store_the_guild_and_a_dm_stores_dm(chat: Chat) -> None:
    in_guild = mention(f"<@{APP_ID}> status")
    direct = mention("status", mentions=[], channel_id="500000000000000015", guild_id=None, id=snowflake(seq=1))
    for msg in (in_guild, direct):
        await chat.discord.dispatch("MESSAGE_CREATE", msg)
    await chat.wait_for(lambda: len(chat.discord.of("POST", "/channels/")) >= 2)
    rows = {r["raw"]["message_id"]: r["requester"] for r in await chat.executions()}
    assert rows == {in_guild["id"]: f"discord:{GUILD}/{MEMBER}", direct["id"]: f"discord:dm/{MEMBER}"}


def _gateway(chat: Chat) -> GatewayClient:
    gateway = chat.bot.opened["discord"].inbound["gateway"]
    assert isinstance(gateway, GatewayClient)
    return gateway


async def test_discord_member_roles_become_groups_without_an_api_call(chat: Chat) -> None:
    """discord.py parses the same payloads the gateway delivers; the roles come from the payload alone."""
    gateway = _gateway(chat)
    state = gateway._connection
    calls_before = len(chat.discord.calls)
    data = chat.interaction("discord/application_command.json")
    data["member"] = dict(data["member"], roles=[ROLE, "800000000000000009"])
    event = command_event(gateway.registry, discord.Interaction(data=copy.deepcopy(data), state=state))
    assert event.user == f"discord:{GUILD}/{MEMBER}"
    assert event.groups == (f"discord-role:{GUILD}/{ROLE}", f"discord-role:{GUILD}/800000000000000009")

    dm = discord.Interaction(data=chat.interaction("discord/application_command.dm.json"), state=state)
    assert command_event(gateway.registry, dm).groups == ()

    msg = mention(f"<@{APP_ID}> status", member={"roles": [ROLE], "joined_at": "2023-11-14T22:13:20.000000+00:00",
                                                 "deaf": False, "mute": False, "flags": 0})
    channel, _ = state._get_guild_channel(msg)
    event = mention_event(gateway.registry, discord.Message(state=state, channel=channel, data=msg))  # type: ignore[arg-type]
    assert (event.user, event.groups) == (f"discord:{GUILD}/{MEMBER}", (f"discord-role:{GUILD}/{ROLE}",))
    assert len(chat.discord.calls) == calls_before


# -- GitHub ---------------------------------------------------------------------------------------------
@pytest.fixture
async def gh_bot(make_settings: Any, db_url: str, console: ConsoleOutbound) -> AsyncIterator[tuple[Bot, FakeGitHub]]:
    async with FakeGitHub(bot_login="chatops-bot") as fake:
        seed(fake)
        settings = make_settings(core={"database_url": db_url}, **github_settings(fake))
        async with open_bot(settings, outbounds=[console], receive=True) as bot:
            yield bot, fake


async def test_github_deliveries_store_the_sender_login_or_ghost(gh_bot: tuple[Bot, FakeGitHub]) -> None:
    bot, _ = gh_bot
    body = fixture("pull_request.opened.json")
    sender = json.loads(body)["sender"]["login"]
    no_sender = json.loads(body)
    del no_sender["sender"]
    async with client_for(bot) as client:
        assert (await deliver(client, "pull_request", body)).status_code == 202
        assert (await deliver(client, "pull_request", json.dumps(no_sender).encode())).status_code == 202
    rows = await executions(bot)
    assert [r["requester"] for r in rows] == [f"github:{sender}", "github:ghost"]
    assert Identity.parse(rows[0]["requester"]) == Identity("github", sender)
    assert "github" in bot.spine.members  # a GitHub client exists: the team lookup is registered


# -- console and scheduler --------------------------------------------------------------------------------
async def test_console_say_and_the_scheduler_store_console_and_system_identities(
    make_settings: Any, db_url: str, console: ConsoleOutbound
) -> None:
    settings = make_settings(core={"database_url": db_url, "report_channel": "console"})
    async with open_bot(settings, outbounds=[console]) as bot:
        assert await say(bot, console, "/status", timeout=0.01) == 1  # no worker: stored, not finished in time
        assert await Scheduler(bot).enqueue_report("report", "2026-11-23T10", "1h") == 1
        rows = await executions(bot)
        assert "slack" not in bot.spine.members and "github" not in bot.spine.members  # neither configured
    assert [(r["source"], r["requester"]) for r in rows] == [
        ("console", f"console:{getpass.getuser()}"), ("scheduler", "system:scheduler"),
    ]
