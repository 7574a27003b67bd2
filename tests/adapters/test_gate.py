"""The permission gate end to end on Slack and Discord (issue 13), through the real clients: signed Slack
requests through the bot's HTTP app, discord.py on the fake gateway, the worker answering on the fakes.

The policy is the defaults (DMs off, everyone in an allowed workspace or guild a member, Slack guests
viewers) plus an admin by id on each platform and operators by Slack user id and by Discord role id;
SLACK_TEAM_IDS and DISCORD_GUILD_IDS name one workspace and one guild, and the in-process `db` MCP
provider is mounted so `/mcp call db.query` names a tool that exists. For each platform a member, an
operator, an admin, a guest (Slack), someone from another workspace or guild, and a DM try the protected
commands, a tool and the alert buttons: exactly the allowed ones are stored and run, every refusal is
answered only to the asker (Slack: the ack body, `chat.postEphemeral` or the response_url with
`response_type: ephemeral`; Discord: an interaction response or follow-up with flags 64), names the role
and the `/access grant` that gives it, in the asker's language, is counted and is in the audit trail.
Mentions too: Slack answers a refused one with `chat.postEphemeral`; a Discord channel message cannot be
ephemeral, so a refusal or a data tool's rows asked by mention go to the author's DMs (a reaction when
their DMs are closed), never into the channel.

A grant made by `/access grant` in this process reaches a SECOND process at once: a real `chatops web`
subprocess (the process that receives requests runs the gate; see tests/adapters/test_processes.py) on
the same database (the SQLite file, or the PostgreSQL database when TEST_DATABASE_URL is set) admits the
new operator within about a second of the grant and refuses them again within about a second of the revoke.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import sqlite3
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from bot.storage.models import AUDIT, Status
from tests.adapters.conftest import Chat, fixture_bytes, fixture_json
from tests.adapters.test_discord_gateway import mention
from tests.adapters.test_processes import free_port, stop
from tests.fakes.discord import APP_ID, snowflake
from tests.fakes.slack import SIGNING_SECRET, signed_headers

TEAM, OTHER_TEAM = "T00FAKETEAM", "T00OTHERTEAM"
S_MEMBER, S_OPERATOR, S_ADMIN, S_GUEST, S_NEWBIE = "U00FAKEUSER", "U00OPERATOR", "U00ADMIN", "U00GUEST", "U00NEWBIE"
GUILD, OTHER_GUILD = "400000000000000004", "400000000000000099"
D_MEMBER, D_ADMIN, D_NEWBIE = "700000000000000007", "700000000000000077", "700000000000000078"
OPS_ROLE = "800000000000000008"  # the fixtures' member has this role: here it is what makes an operator
CHANNEL, D_CHANNEL, DM_CHANNEL = "C00FAKECHAN", "500000000000000005", "500000000000000015"  # DM: the fixtures' DM
_SEQ = itertools.count(1)  # interaction ids made in the same millisecond must still differ


@pytest.fixture
def chat_policy() -> str:
    # no [access] table: DMs stay off, as out of the box
    return f"""
[roles.admin]
members = ["slack:{TEAM}/{S_ADMIN}", "discord:{GUILD}/{D_ADMIN}"]

[roles.operator]
members = ["slack:{TEAM}/{S_OPERATOR}", "discord-role:{GUILD}/{OPS_ROLE}"]
"""


@pytest.fixture
def make_settings(make_settings: Any, tmp_path: Path) -> Any:
    """The `chat` fixture's settings plus SLACK_TEAM_IDS and the in-process db MCP provider on a notes table."""
    notes = tmp_path / "notes.db"
    with sqlite3.connect(notes) as c:
        c.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        c.execute("INSERT INTO notes (body) VALUES ('alpha-secret-row')")

    def make(**sections: Any) -> Any:
        slack = {"slack_team_ids": TEAM, **sections.pop("slack", {})}
        mcp = {"mcp_db_url": f"sqlite:///{notes}", **sections.pop("mcp", {})}
        return make_settings(slack=slack, mcp=mcp, **sections)

    return make


@pytest.fixture
def chat(chat: Chat) -> Chat:
    # the workspace's people as users.info tells them: a multi-channel guest among them
    chat.slack.users.update({S_OPERATOR: {}, S_ADMIN: {}, S_NEWBIE: {}, S_GUEST: {"is_restricted": True}})
    return chat


# -- sending and reading ------------------------------------------------------------------------------------
def slash_form(command: str, text: str = "", *, user: str = S_MEMBER, team: str = TEAM, channel: str = CHANNEL) -> bytes:
    fields = dict(urllib.parse.parse_qsl(fixture_bytes("slack/slash_command.form.txt").decode()))
    fields.update(command=command, text=text, user_id=user, team_id=team, channel_id=channel, user_name=user.lower())
    # each slash command Slack sends has its own trigger_id: two alike in one second are not a replay
    fields["trigger_id"] = f"{next(_SEQ)}.0000000000.fake0trigger"
    if channel.startswith("D"):
        fields["channel_name"] = "directmessage"
    return urllib.parse.urlencode(fields).encode()


async def slash(chat: Chat, command: str, text: str = "", **who: str) -> dict[str, Any]:
    """A signed slash command through Bolt's route; the JSON body Slack shows the asker (only them)."""
    resp = await chat.slack_post(slash_form(command, text, **who))
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def click_slack(chat: Chat, value: str, *, user: str = S_MEMBER) -> str:
    """A click on an alert button as the bot renders it (`action_id` alerts#0, `value` e.g. `ack cpu_high`)."""
    payload = fixture_json("slack/block_actions.json")
    payload["user"] = dict(payload["user"], id=user)
    payload["trigger_id"] = f"{next(_SEQ)}.0000000000.fake0trigger"
    payload["actions"][0].update(action_id="alerts#0", value=value)
    name = f"r{next(_SEQ)}"
    payload["response_url"] = chat.slack.response_url(name)
    resp = await chat.slack_post(urllib.parse.urlencode({"payload": json.dumps(payload)}))
    assert resp.status_code == 200, resp.text
    return name


def _guild_payload(data: dict[str, Any], user: str, roles: tuple[str, ...], guild: str) -> dict[str, Any]:
    data.update(guild_id=guild, guild=dict(data["guild"], id=guild), channel=dict(data["channel"], guild_id=guild))
    data["member"] = dict(data["member"], roles=list(roles), user=dict(data["member"]["user"], id=user))
    data["authorizing_integration_owners"] = {"0": guild}
    return data


async def discord_command(chat: Chat, name: str, values: dict[str, str] | None = None, *, user: str = D_MEMBER,
                          roles: tuple[str, ...] = (), guild: str | None = GUILD,
                          locale: str = "en-US") -> tuple[dict[str, Any], dict[str, Any]]:
    """A slash command interaction; (the interaction, the body of its interaction response)."""
    if guild is None:
        data = chat.interaction("discord/application_command.dm.json", id=snowflake(seq=next(_SEQ)))
        data["user"] = dict(data["user"], id=user)
    else:
        data = _guild_payload(chat.interaction("discord/application_command.json", id=snowflake(seq=next(_SEQ))),
                              user, roles, guild)
    data["locale"], data["token"] = locale, f"FAKE_INTERACTION_TOKEN_gate_{next(_SEQ)}"  # one per interaction
    data["data"] = {"id": "300000000000000013", "name": name, "type": 1,
                    "options": [{"name": k, "type": 3, "value": v} for k, v in (values or {}).items()]}
    return data, await _callback(chat, data)


async def click_discord(chat: Chat, custom_id: str, *, user: str = D_MEMBER,
                        roles: tuple[str, ...] = ()) -> tuple[dict[str, Any], dict[str, Any]]:
    data = _guild_payload(chat.interaction("discord/message_component.button.json", id=snowflake(seq=next(_SEQ))),
                          user, roles, GUILD)
    data["data"] = dict(data["data"], custom_id=custom_id)
    data["token"] = f"FAKE_INTERACTION_TOKEN_gate_{next(_SEQ)}"
    return data, await _callback(chat, data)


async def _callback(chat: Chat, data: dict[str, Any]) -> dict[str, Any]:
    await chat.discord.dispatch("INTERACTION_CREATE", data)
    path = f"/interactions/{data['id']}/{data['token']}/callback"
    await chat.wait_for(lambda: chat.discord.of("POST", path), timeout=5)
    [callback] = chat.discord.of("POST", path)
    return dict(callback.json)


def refused_privately_on_discord(callback: dict[str, Any]) -> str:
    """An immediate interaction response (type 4) that only the asker sees (flags 64): its text."""
    assert callback["type"] == 4 and callback["data"]["flags"] == 64, callback
    return str(callback["data"]["content"])


def refusal_parts(action: str, role: str, who: str) -> tuple[str, str]:
    return f"`{action}` needs the {role} role", f"Ask an admin: `/access grant {who} {role}`"


def refused(reason: str) -> float:
    return REGISTRY.get_sample_value("chatops_access_refused_total", {"reason": reason}) or 0.0


async def audit_rows(chat: Chat, actor: str) -> list[dict[str, Any]]:
    """The audit events (refusals, access changes) of one identity, oldest first, read by SQL."""
    query = select(AUDIT).where(AUDIT.c.actor == actor).order_by(AUDIT.c.id)
    async with chat.bot.store.engine.connect() as conn:
        return [dict(r) for r in (await conn.execute(query)).mappings().all()]


async def finished(chat: Chat, execution_id: int) -> dict[str, Any]:
    return dict(await chat.bot.store.wait_finished(execution_id, timeout=10))


def public_slack_texts(chat: Chat) -> list[str]:
    """Everything the channel saw: chat.postMessage and chat.update (ephemeral posts are not in here)."""
    return [str(b.get("text", "")) + json.dumps(b.get("blocks", "")) for b in chat.slack.of("chat.postMessage") + chat.slack.of("chat.update")]


def public_discord_texts(chat: Chat) -> list[str]:
    """Everything a Discord channel saw: channel messages, non-ephemeral webhook messages and edits of the
    deferred (public) interaction response, and public interaction responses."""
    out = []
    private = {DM_CHANNEL, *chat.discord.dm_channels.values()}
    for c in chat.discord.calls:
        body = c.json if isinstance(c.json, dict) else {}
        if c.path.startswith("/channels/") and c.path.split("/")[2] in private:
            continue  # a DM: only the asker reads it
        if c.path.startswith("/interactions/"):
            body = body.get("data") or {}
        elif not (c.path.startswith("/channels/") or c.path.startswith("/webhooks/")) or c.method not in ("POST", "PATCH"):
            continue
        if not (body.get("flags", 0) & 64):
            out.append(json.dumps(body, ensure_ascii=False))
    return out


def ephemeral_slack_texts(chat: Chat, user: str) -> list[str]:
    return [str(b["text"]) for b in chat.slack.of("chat.postEphemeral") if b.get("user") == user]


def ephemeral_discord_followups(chat: Chat, token: str) -> list[str]:
    return [str(c.json["content"]) for c in chat.discord.of("POST", f"/webhooks/{APP_ID}/{token}")
            if isinstance(c.json, dict) and c.json.get("flags") == 64]


# -- a member ------------------------------------------------------------------------------------------------
PROTECTED = [  # (command, text, the action the refusal names, the role it needs)
    ("/alerts", "ack cpu_high", "alerts.ack", "operator"),
    ("/alerts", "silence cpu_high 60", "alerts.silence", "operator"),
    ("/access", f"grant <@{S_NEWBIE}> operator", "access.grant", "admin"),
    ("/access", "show", "access.show", "admin"),
    ("/audit", "", "audit", "admin"),
]


async def test_slack_member_runs_status_and_every_protected_command_is_refused_privately_and_audited(chat: Chat) -> None:
    permission_before = refused("permission")
    ok = await slash(chat, "/status")
    assert ok["response_type"] == "ephemeral" and ok["text"].startswith("Working on `/status`")

    for command, text, action, role in PROTECTED:
        body = await slash(chat, command, text)
        need, how = refusal_parts(action, role, f"&lt;@{S_MEMBER}&gt;")  # Slack text escapes < and >
        assert body["response_type"] == "ephemeral", body  # the ack body: only the asker sees it
        assert need in body["text"] and how in body["text"], body["text"]
    ja = await slash(chat, "/audit", "昨日の分")  # a Japanese request is refused in Japanese
    assert "`audit` には admin ロールが必要です。管理者に依頼してください" in ja["text"]
    assert refused("permission") - permission_before == len(PROTECTED) + 1

    rows = await audit_rows(chat, f"slack:{TEAM}/{S_MEMBER}")
    assert [(r["action"], r["outcome"], r["detail"]["reason"]) for r in rows] == [
        *((a, "refused", "permission") for _, _, a, _ in PROTECTED), ("audit", "refused", "permission")]
    assert all(r["place"] == f"slack:{CHANNEL}" and r["platform"] == "slack" for r in rows)

    [status] = await chat.executions()  # refusals store nothing
    assert (status["kind"], status["roles"]) == ("status", "member,viewer")
    assert (await finished(chat, status["id"]))["status"] == Status.COMPLETED
    assert not any("needs the" in t for t in public_slack_texts(chat))


async def test_slack_member_tool_call_is_refused_without_telling_whether_the_tool_exists(chat: Chat) -> None:
    """`/mcp call` is a member's command; the tool is the handler's to check (`tool:db.query`, operator).
    The refusal is built from rule patterns alone: for a mounted tool and for a made-up one it reads the
    same, and it reaches only the asker; the failed Execution is the audit entry, with the refusal."""
    hub = chat.bot.services.mcp
    assert hub is not None and "db.query" in {t.name for t in hub.list_tools()}  # mounted: the tool exists
    for tool in ("db.query", "db.nosuchtool"):
        assert (await slash(chat, "/mcp", f"call {tool} sql=\"SELECT body FROM notes\""))["text"].startswith("Working on")
    real, made_up = [await finished(chat, r["id"]) for r in await chat.executions()]
    assert real["status"] == made_up["status"] == Status.FAILED
    need, how = refusal_parts("db.query", "operator", f"<@{S_MEMBER}>")
    assert need in real["error"] and how in real["error"]
    assert made_up["error"] == real["error"].replace("db.query", "db.nosuchtool")
    await chat.wait_for(lambda: len(ephemeral_slack_texts(chat, S_MEMBER)) == 2)
    first, second = ephemeral_slack_texts(chat, S_MEMBER)
    assert second == first.replace("db.query", "db.nosuchtool") and "needs the operator role" in first
    assert not any("alpha-secret-row" in t or "needs the" in t for t in public_slack_texts(chat))
    audited = {e.execution_id: e for e in await chat.bot.access.audit(actor=f"slack:{TEAM}/{S_MEMBER}")}
    entry = audited[real["id"]]
    assert entry.outcome == "failed" and need in (entry.detail or {})["error"]


async def test_discord_member_runs_status_and_every_protected_command_is_refused_privately_and_audited(chat: Chat) -> None:
    permission_before = refused("permission")
    _, ok = await discord_command(chat, "status")
    assert ok == {"type": 5}  # deferred: admitted
    for command, text, action, role in PROTECTED:
        action_value, _, rest = text.partition(" ")
        values = {"action": action_value} if command != "/audit" else {}
        if command == "/alerts":
            values["rule"] = rest.split()[0]
        elif rest:
            values["rest"] = rest.replace(S_NEWBIE, D_NEWBIE)
        _, callback = await discord_command(chat, command.lstrip("/"), values)
        need, how = refusal_parts(action, role, f"<@{D_MEMBER}>")
        content = refused_privately_on_discord(callback)
        assert need in content and how in content, content
    _, ja = await discord_command(chat, "alerts", {"action": "silence", "rule": "cpu_high"}, locale="ja")
    assert "`alerts.silence` には operator ロールが必要です。管理者に依頼してください" in refused_privately_on_discord(ja)
    assert refused("permission") - permission_before == len(PROTECTED) + 1

    rows = await audit_rows(chat, f"discord:{GUILD}/{D_MEMBER}")
    assert [(r["action"], r["outcome"]) for r in rows] == [
        *((a, "refused") for _, _, a, _ in PROTECTED), ("alerts.silence", "refused")]
    assert all(r["place"] == f"discord:{D_CHANNEL}" and r["detail"]["reason"] == "permission" for r in rows)

    # the tool: admitted as /mcp call, refused by the handler, the same words for a tool that does not exist
    calls = [await discord_command(chat, "mcp", {"action": "call", "rest": f"{tool} sql=\"SELECT body FROM notes\""})
             for tool in ("db.query", "db.nosuchtool")]
    status, real, made_up = [await finished(chat, r["id"]) for r in await chat.executions()]
    assert status["status"] == Status.COMPLETED and real["status"] == made_up["status"] == Status.FAILED
    assert made_up["error"] == real["error"].replace("db.query", "db.nosuchtool")
    for (data, _), tool in zip(calls, ("db.query", "db.nosuchtool"), strict=True):
        await chat.wait_for(lambda d=data: ephemeral_discord_followups(chat, d["token"]))
        [followup] = ephemeral_discord_followups(chat, data["token"])
        assert refusal_parts(tool, "operator", f"<@{D_MEMBER}>")[0] in followup
    assert not any("needs the" in t or "alpha-secret-row" in t for t in public_discord_texts(chat))


# -- an operator ---------------------------------------------------------------------------------------------
async def test_operators_pass_the_gate_for_alerts_and_tools_on_both_platforms(chat: Chat) -> None:
    for text in ("silence cpu_high 30", "ack cpu_high"):
        assert (await slash(chat, "/alerts", text, user=S_OPERATOR))["text"].startswith("Working on")
        await discord_command(chat, "alerts", dict(zip(("action", "rule", "minutes"), text.split(), strict=False)),
                              roles=(OPS_ROLE,))
    await slash(chat, "/mcp", "call db.query sql=\"SELECT body FROM notes\"", user=S_OPERATOR)
    mcp_data, _ = await discord_command(chat, "mcp", {"action": "call", "rest": "db.query sql=\"SELECT body FROM notes\""},
                                        roles=(OPS_ROLE,))
    rows = [await finished(chat, r["id"]) for r in await chat.executions()]
    assert [(r["source"], r["kind"], r["args"].get("action")) for r in rows] == [
        ("slack", "alerts", "silence"), ("discord", "alerts", "silence"), ("slack", "alerts", "ack"),
        ("discord", "alerts", "ack"), ("slack", "mcp", "call"), ("discord", "mcp", "call")]
    assert all("operator" in r["roles"].split(",") for r in rows)
    s_silence, d_silence, s_ack, d_ack, s_tool, d_tool = rows
    assert s_silence["status"] == d_silence["status"] == Status.COMPLETED
    assert "Silenced `cpu_high` for 30 min" in s_silence["result_summary"]
    # ack ran past the gate into the handler: nothing is firing in a fresh bot
    assert "not firing" in s_ack["error"] and "not firing" in d_ack["error"]
    assert s_tool["status"] == d_tool["status"] == Status.COMPLETED
    # a data tool's rows go only to the asker (no [[share]] rule opens this channel)
    await chat.wait_for(lambda: any("alpha-secret-row" in t for t in ephemeral_slack_texts(chat, S_OPERATOR)))
    await chat.wait_for(lambda: any("alpha-secret-row" in t for t in ephemeral_discord_followups(chat, mcp_data["token"])))
    assert not any("alpha-secret-row" in t for t in public_slack_texts(chat) + public_discord_texts(chat))
    assert await audit_rows(chat, f"slack:{TEAM}/{S_OPERATOR}") == []  # nothing refused
    assert await audit_rows(chat, f"discord:{GUILD}/{D_MEMBER}") == []


# -- an admin ------------------------------------------------------------------------------------------------
async def test_slack_admin_grants_shows_audits_and_revokes(chat: Chat) -> None:
    newbie = f"slack:{TEAM}/{S_NEWBIE}"
    assert "needs the operator role" in (await slash(chat, "/alerts", "silence cpu_high 60", user=S_NEWBIE))["text"]

    for text in (f"grant <@{S_NEWBIE}|newbie> operator", "show", ""):
        command = "/audit" if not text else "/access"
        assert (await slash(chat, command, text, user=S_ADMIN))["text"].startswith("Working on")
        row = (await chat.executions())[-1]
        assert (await finished(chat, row["id"]))["status"] == Status.COMPLETED, row
    granted, shown, audited = [r for r in await chat.executions() if r["requester"] == f"slack:{TEAM}/{S_ADMIN}"]
    assert f"`{newbie}` now has the operator role" in (await finished(chat, granted["id"]))["result_summary"]
    # /access show and /audit are for the admin's eyes only
    await chat.wait_for(lambda: len(ephemeral_slack_texts(chat, S_ADMIN)) >= 2)
    show_text, audit_text = ephemeral_slack_texts(chat, S_ADMIN)[:2]
    assert f"`{newbie}` → operator" in show_text and f"slack:{TEAM}/{S_ADMIN}" in show_text
    assert f"`{newbie}` alerts.silence — refused (permission)" in audit_text
    assert f"access.grant → `{newbie}` — done operator" in audit_text

    # the grant holds at once in this process (it invalidated its own cache)
    assert (await slash(chat, "/alerts", "silence cpu_high 60", user=S_NEWBIE))["text"].startswith("Working on")
    assert (await slash(chat, "/access", f"revoke <@{S_NEWBIE}>", user=S_ADMIN))["text"].startswith("Working on")
    revoke = (await chat.executions())[-1]
    assert f"`{newbie}` no longer has: operator" in (await finished(chat, revoke["id"]))["result_summary"]
    assert "needs the operator role" in (await slash(chat, "/alerts", "silence cpu_high 60", user=S_NEWBIE))["text"]
    assert [(r["action"], r["outcome"]) for r in await audit_rows(chat, f"slack:{TEAM}/{S_ADMIN}")] == [
        ("access.grant", "done"), ("access.revoke", "done")]
    assert not any(newbie in t and "→" in t for t in public_slack_texts(chat))  # the grant list stayed private


async def test_discord_admin_grants_shows_audits_and_revokes(chat: Chat) -> None:
    newbie = f"discord:{GUILD}/{D_NEWBIE}"
    _, first = await discord_command(chat, "alerts", {"action": "silence", "rule": "cpu_high"}, user=D_NEWBIE)
    assert "needs the operator role" in refused_privately_on_discord(first)

    asked = [await discord_command(chat, name, values, user=D_ADMIN) for name, values in (
        ("access", {"action": "grant", "rest": f"<@{D_NEWBIE}> operator"}), ("access", {"action": "show"}), ("audit", {}))]
    assert all(callback == {"type": 5} for _, callback in asked)
    granted, shown, audited = [await finished(chat, r["id"]) for r in await chat.executions()]
    assert all(r["status"] == Status.COMPLETED for r in (granted, shown, audited))
    assert f"`{newbie}` now has the operator role" in granted["result_summary"]
    for (data, _), expected in zip(asked[1:], (f"`{newbie}` → operator", f"`{newbie}` alerts.silence — refused (permission)"),
                                   strict=True):
        await chat.wait_for(lambda d=data: ephemeral_discord_followups(chat, d["token"]))
        assert expected in ephemeral_discord_followups(chat, data["token"])[0]

    _, later = await discord_command(chat, "alerts", {"action": "silence", "rule": "cpu_high"}, user=D_NEWBIE)
    assert later == {"type": 5}
    await discord_command(chat, "access", {"action": "revoke", "rest": f"<@{D_NEWBIE}> operator"}, user=D_ADMIN)
    revoke = (await chat.executions())[-1]
    assert f"`{newbie}` no longer has: operator" in (await finished(chat, revoke["id"]))["result_summary"]
    _, again = await discord_command(chat, "alerts", {"action": "silence", "rule": "cpu_high"}, user=D_NEWBIE)
    assert "needs the operator role" in refused_privately_on_discord(again)
    assert [r["action"] for r in await audit_rows(chat, f"discord:{GUILD}/{D_ADMIN}")] == ["access.grant", "access.revoke"]
    assert not any(f"`{newbie}` →" in t for t in public_discord_texts(chat))


# -- a guest -------------------------------------------------------------------------------------------------
async def test_a_slack_guest_is_a_viewer_even_ask_is_refused(chat: Chat) -> None:
    """bot/adapters/slack/members.py: `is_restricted` (or `is_ultra_restricted`) is a guest, and the
    policy's `guest_role` (viewer) replaces the member role: read-only status yes, /ask no."""
    guest = f"slack:{TEAM}/{S_GUEST}"
    body = await slash(chat, "/ask", "昨日のデプロイで何が変わった？", user=S_GUEST)
    assert body["response_type"] == "ephemeral"
    assert f"`ask` には member ロールが必要です。管理者に依頼してください: `/access grant &lt;@{S_GUEST}&gt; member`" in body["text"]
    assert "needs the member role" in (await slash(chat, "/mcp", "list", user=S_GUEST))["text"]
    assert (await slash(chat, "/status", user=S_GUEST))["text"].startswith("Working on")
    [row] = await chat.executions()
    assert (row["kind"], row["requester"], row["roles"]) == ("status", guest, "viewer")
    assert [(r["action"], r["outcome"]) for r in await audit_rows(chat, guest)] == [("ask", "refused"), ("mcp", "refused")]
    assert [c.body["user"] for c in chat.slack.calls if c.method == "users.info"] == [S_GUEST]  # asked once, cached


# -- elsewhere: another workspace or guild, a DM ---------------------------------------------------------------
async def test_other_workspaces_guilds_and_dms_are_refused_counted_told_why_and_store_nothing(chat: Chat) -> None:
    before = {reason: refused(reason) for reason in ("workspace", "dm")}

    other = await slash(chat, "/status", team=OTHER_TEAM)
    assert other["response_type"] == "ephemeral" and "does not serve this Slack workspace" in other["text"]
    assert "SLACK_TEAM_IDS" in other["text"]
    dm = await slash(chat, "/status", channel="D00FAKEDM")
    assert dm["response_type"] == "ephemeral" and "does not take requests in direct messages" in dm["text"]
    envelope = fixture_json("slack/app_mention.json")  # a DM message (no slash): answered ephemerally in the DM
    envelope["event"] = {"type": "message", "channel_type": "im", "channel": "D00FAKEDM", "user": S_MEMBER,
                         "text": "状態を教えて", "ts": "1700000040.000100", "event_ts": "1700000040.000100"}
    envelope["event_id"] = "Ev00GATEDM1"
    await chat.slack_post(json.dumps(envelope), content_type="application/json")
    await chat.wait_for(lambda: chat.slack.of("chat.postEphemeral"))
    [ephemeral] = chat.slack.of("chat.postEphemeral")
    assert (ephemeral["channel"], ephemeral["user"]) == ("D00FAKEDM", S_MEMBER)
    assert "ダイレクトメッセージでのリクエストを受け付けていません" in ephemeral["text"]

    _, d_other = await discord_command(chat, "status", guild=OTHER_GUILD, roles=(OPS_ROLE,))
    text = refused_privately_on_discord(d_other)
    assert "does not serve this Discord server" in text and "DISCORD_GUILD_IDS" in text
    _, d_dm = await discord_command(chat, "status", guild=None, locale="ja")
    assert "ダイレクトメッセージでのリクエストを受け付けていません" in refused_privately_on_discord(d_dm)
    direct = mention("status", mentions=[], channel_id=DM_CHANNEL, guild_id=None, id=snowflake(seq=next(_SEQ)))
    await chat.discord.dispatch("MESSAGE_CREATE", direct)  # a DM message: the answer stays in the DM
    await chat.wait_for(lambda: chat.discord.of("POST", f"/channels/{DM_CHANNEL}/messages"))
    [dm_reply] = chat.discord.of("POST", f"/channels/{DM_CHANNEL}/messages")
    assert "does not take requests in direct messages" in dm_reply.json["content"]

    assert refused("workspace") - before["workspace"] == 2
    assert refused("dm") - before["dm"] == 4
    assert await chat.executions() == []
    reasons = []
    for actor in (f"slack:{OTHER_TEAM}/{S_MEMBER}", f"slack:{TEAM}/{S_MEMBER}", f"discord:{OTHER_GUILD}/{D_MEMBER}",
                  f"discord:dm/{D_MEMBER}"):
        reasons += [(r["actor"], r["detail"]["reason"]) for r in await audit_rows(chat, actor)]
    assert sorted(reasons) == sorted([
        (f"slack:{OTHER_TEAM}/{S_MEMBER}", "workspace"), (f"slack:{TEAM}/{S_MEMBER}", "dm"),
        (f"slack:{TEAM}/{S_MEMBER}", "dm"), (f"discord:{OTHER_GUILD}/{D_MEMBER}", "workspace"),
        (f"discord:dm/{D_MEMBER}", "dm"), (f"discord:dm/{D_MEMBER}", "dm")])
    assert public_slack_texts(chat) == [] and public_discord_texts(chat) == []


# -- buttons -------------------------------------------------------------------------------------------------
async def test_alert_buttons_are_refused_for_members_and_run_for_operators(chat: Chat) -> None:
    await click_slack(chat, "ack cpu_high")
    await chat.wait_for(lambda: chat.slack.responses)
    [answer] = chat.slack.responses
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    assert all(p in answer["text"] for p in refusal_parts("alerts.ack", "operator", f"&lt;@{S_MEMBER}&gt;"))
    await click_slack(chat, "silence cpu_high 60", user=S_OPERATOR)

    _, d_refused = await click_discord(chat, "alerts:ack cpu_high")
    assert refusal_parts("alerts.ack", "operator", f"<@{D_MEMBER}>")[0] in refused_privately_on_discord(d_refused)
    _, d_ok = await click_discord(chat, "alerts:silence cpu_high 60", roles=(OPS_ROLE,))
    assert d_ok == {"type": 6}  # a deferred update: admitted

    s_run, d_run = [await finished(chat, r["id"]) for r in await chat.executions()]
    for row in (s_run, d_run):
        assert (row["trigger"], row["kind"], row["args"]["action"], row["status"]) == ("button", "alerts", "silence", Status.COMPLETED)
        assert "operator" in row["roles"].split(",")
    s_audit = await audit_rows(chat, f"slack:{TEAM}/{S_MEMBER}")
    d_audit = await audit_rows(chat, f"discord:{GUILD}/{D_MEMBER}")
    for [row] in (s_audit, d_audit):
        assert (row["action"], row["outcome"], row["detail"]["trigger"]) == ("alerts.ack", "refused", "button")
    assert not any("needs the" in t for t in public_slack_texts(chat) + public_discord_texts(chat))


# -- mentions -------------------------------------------------------------------------------------------------
async def test_refused_mentions_are_answered_only_to_the_asker(chat: Chat) -> None:
    envelope = fixture_json("slack/app_mention.json")
    envelope["event"] = dict(envelope["event"], text="<@U00FAKEBOT> alerts silence cpu_high")
    await chat.slack_post(json.dumps(envelope), content_type="application/json")
    await chat.wait_for(lambda: chat.slack.of("chat.postEphemeral"))
    [ephemeral] = chat.slack.of("chat.postEphemeral")
    assert ephemeral["user"] == S_MEMBER and "needs the operator role" in ephemeral["text"]

    msg = mention(f"<@{APP_ID}> alerts silence cpu_high", id=snowflake(seq=next(_SEQ)))
    await chat.discord.dispatch("MESSAGE_CREATE", msg)
    # a Discord channel message is public (no ephemeral outside interactions): the refusal goes by DM
    await chat.wait_for(lambda: D_MEMBER in chat.discord.dm_channels)
    dm = f"/channels/{chat.discord.dm_channels[D_MEMBER]}/messages"
    await chat.wait_for(lambda: chat.discord.of("POST", dm))
    [private] = chat.discord.of("POST", dm)
    assert all(p in private.json["content"] for p in refusal_parts("alerts.silence", "operator", f"<@{D_MEMBER}>"))
    assert await chat.executions() == []
    for actor in (f"slack:{TEAM}/{S_MEMBER}", f"discord:{GUILD}/{D_MEMBER}"):
        [row] = await audit_rows(chat, actor)
        assert (row["action"], row["outcome"]) == ("alerts.silence", "refused")
    assert not any("needs the" in t for t in public_slack_texts(chat) + public_discord_texts(chat))


async def test_a_refused_discord_mention_from_someone_whose_dms_are_closed_gets_a_reaction_not_a_public_text(
    chat: Chat,
) -> None:
    msg = mention(f"<@{APP_ID}> audit", id=snowflake(seq=next(_SEQ)))
    chat.discord.fail_next.append((403, 0))  # the next REST call, opening the DM, is refused by Discord
    await chat.discord.dispatch("MESSAGE_CREATE", msg)
    await chat.wait_for(lambda: chat.discord.of("PUT", f"/channels/{D_CHANNEL}/messages/{msg['id']}/reactions/"))
    assert [c.path for c in chat.discord.calls if c.method == "POST" and "/users/@me/channels" in c.path] == ["/users/@me/channels"]
    [row] = await audit_rows(chat, f"discord:{GUILD}/{D_MEMBER}")
    assert (row["action"], row["outcome"]) == ("audit", "refused")
    assert not any("needs the" in t for t in public_discord_texts(chat))


async def test_a_data_tool_result_asked_by_a_discord_mention_goes_to_the_askers_dms(chat: Chat) -> None:
    """A channel message cannot be ephemeral: the rows of a data tool asked by mention go by DM."""
    member = {"roles": [OPS_ROLE], "joined_at": "2023-11-14T22:13:20.000000+00:00", "deaf": False, "mute": False, "flags": 0}
    msg = mention(f'<@{APP_ID}> mcp call db.query sql="SELECT body FROM notes"', member=member, id=snowflake(seq=next(_SEQ)))
    await chat.discord.dispatch("MESSAGE_CREATE", msg)
    await chat.wait_for(lambda: D_MEMBER in chat.discord.dm_channels)  # the worker opened the asker's DM
    [row] = await chat.executions()
    done = await finished(chat, row["id"])
    assert done["status"] == Status.COMPLETED and "operator" in row["roles"].split(",")
    assert row["conversation"]["thread"] == f"m:{msg['id']}:{D_MEMBER}"  # the author travels with the row
    dm = f"/channels/{chat.discord.dm_channels[D_MEMBER]}/messages"
    await chat.wait_for(lambda: chat.discord.of("POST", dm))
    assert "alpha-secret-row" in chat.discord.of("POST", dm)[0].json["content"]
    assert not any("alpha-secret-row" in t for t in public_discord_texts(chat))


# -- a second process --------------------------------------------------------------------------------------
async def _ready(client: httpx.AsyncClient, proc: asyncio.subprocess.Process) -> None:
    for _ in range(300):
        try:
            if (await client.get("/ready")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError((await stop(proc))[1])


async def _until(check: Callable[[], Any], timeout: float) -> float:
    """Poll the async `check` until it is true; the seconds it took."""
    start = time.monotonic()
    while not await check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


@pytest.mark.slow
async def test_a_grant_made_here_takes_effect_in_a_second_process_at_once(chat: Chat, tmp_path: Path) -> None:
    settings = chat.bot.settings
    port = free_port()
    env = {
        **os.environ, "DATABASE_URL": settings.core.database_url, "POLICY_FILE": str(settings.core.policy_file),
        "LOG_LEVEL": "WARNING", "SLACK_BOT_TOKEN": "xoxb-fake", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": chat.slack.api_url, "SLACK_TEAM_IDS": TEAM, "DATA_DIR": str(tmp_path / "second"),
    }
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "web", "--port", str(port), env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as second:
            await _ready(second, proc)

            async def silence_there() -> str:
                body = slash_form("/alerts", "silence cpu_high 5", user=S_NEWBIE)
                resp = await second.post("/slack/events", content=body, headers=signed_headers(body))
                assert resp.status_code == 200, resp.text
                assert resp.json()["response_type"] == "ephemeral"
                return str(resp.json()["text"])

            assert "needs the operator role" in await silence_there()  # the second process has read the grants
            await slash(chat, "/access", f"grant <@{S_NEWBIE}> operator", user=S_ADMIN)
            [grant] = await chat.executions()
            assert (await finished(chat, grant["id"]))["status"] == Status.COMPLETED

            async def admitted() -> bool:
                return (await silence_there()).startswith("Working on")

            # the gate there caches grants for 1 s; the rest is a signed request's round trip on a busy machine
            assert await _until(admitted, 5.0) < 2.5
            there = (await chat.executions())[-1]
            assert (there["requester"], there["kind"]) == (f"slack:{TEAM}/{S_NEWBIE}", "alerts")
            assert "operator" in there["roles"].split(",")
            # stored by the second process, run by this one's worker: the same queue
            assert (await finished(chat, there["id"]))["status"] == Status.COMPLETED

            await slash(chat, "/access", f"revoke <@{S_NEWBIE}> operator", user=S_ADMIN)
            revoke = (await chat.executions())[-1]
            assert (await finished(chat, revoke["id"]))["status"] == Status.COMPLETED

            async def refused_again() -> bool:
                return "needs the operator role" in await silence_there()

            assert await _until(refused_again, 5.0) < 2.5
    finally:
        code, out = await stop(proc)
    assert code == 0, out
    rows = await audit_rows(chat, f"slack:{TEAM}/{S_NEWBIE}")
    assert rows[0]["outcome"] == rows[-1]["outcome"] == "refused"  # written by the second process
    assert rows[0]["detail"]["reason"] == "permission"


async def test_a_private_final_answer_replaces_the_public_progress_of_a_mention_by_a_dm(chat: Chat) -> None:
    """The worker may show progress in the channel first (`final=False`); a private final answer deletes
    that message and goes to the author's DMs (bot/adapters/discord/outbound.py)."""
    from bot.adapters.discord.target import DiscordTarget
    from commands.model import Reply

    outbound = chat.bot.opened["discord"].outbound
    assert outbound is not None
    conversation = DiscordTarget(D_CHANNEL, "m", message_id="600000000000000066", user=D_MEMBER).conversation()
    ref = await outbound.post(conversation, Reply.text("working…"), final=False)
    assert ref is not None and chat.discord.of("POST", f"/channels/{D_CHANNEL}/messages")
    await outbound.update(conversation, ref, Reply.failure("`db.query` needs the operator role"), final=True)
    assert [c.path for c in chat.discord.of("DELETE", "/channels/")] == [f"/channels/{D_CHANNEL}/messages/{ref}"]
    [private] = chat.discord.of("POST", f"/channels/{chat.discord.dm_channels[D_MEMBER]}/messages")
    assert "needs the operator role" in private.json["content"]
    assert not any("needs the" in t for t in public_discord_texts(chat))
