"""A writing tool's confirmation button, clicked on Slack through Bolt (issue 14): the click works for the
person who asked, once, within its ten minutes; someone else's click is refused and audited; a replayed
click does nothing. Before the fix a click arrived with trigger `button`, which the tool call refused."""
from __future__ import annotations

import itertools
import json
import shutil
import sqlite3
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from bot.storage.models import Status
from tests.adapters.conftest import Chat, fixture_json
from tests.adapters.test_gate import S_ADMIN, S_OPERATOR, TEAM, audit_rows, chat_policy, finished, slash  # noqa: F401

_CLICKS = itertools.count(1)
TIME_SERVER = shutil.which("mcp-server-time", path=str(Path(sys.executable).parent))


@pytest.fixture
def make_settings(make_settings: Any, tmp_path: Path) -> Any:
    """The adapter settings plus a writing MCP tool: the time server mounted without `read_only`."""
    notes = tmp_path / "notes.db"
    sqlite3.connect(notes).close()
    servers = tmp_path / "mcp.toml"
    servers.write_text(f'[[servers]]\nname = "clock"\ncommand = "{TIME_SERVER}"\n')

    def make(**sections: Any) -> Any:
        slack = {"slack_team_ids": TEAM, **sections.pop("slack", {})}
        mcp = {"mcp_servers": str(servers), "mcp_db_url": f"sqlite:///{notes}", **sections.pop("mcp", {})}
        return make_settings(slack=slack, mcp=mcp, **sections)

    return make


@pytest.fixture
def chat(chat: Chat) -> Chat:
    chat.slack.users.update({S_OPERATOR: {}, S_ADMIN: {}})  # users.info knows them (not guests)
    return chat


def button_values(chat: Chat, user: str) -> list[str]:
    """The values of the buttons posted only to `user` (chat.postEphemeral and response_url posts)."""
    blocks = [b.get("blocks") for b in chat.slack.of("chat.postEphemeral") if b.get("user") == user]
    blocks += [r.get("blocks") for r in chat.slack.responses]
    found = []
    for block_list in blocks:
        for block in block_list or []:
            for element in block.get("elements", []) if isinstance(block, dict) else []:
                if isinstance(element, dict) and element.get("type") == "button":
                    found.append(str(element.get("value")))
    return found


async def click(chat: Chat, value: str, user: str) -> str:
    payload = fixture_json("slack/block_actions.json")
    payload["user"] = dict(payload["user"], id=user)
    payload["trigger_id"] = f"{next(_CLICKS)}.0000000000.fake0trigger"  # each click is a click of its own
    payload["actions"][0].update(action_id="mcp#0", value=value)
    name = f"r-{user}-{len(chat.slack.responses)}-{value[-6:]}"
    payload["response_url"] = chat.slack.response_url(name)
    resp = await chat.slack_post(urllib.parse.urlencode({"payload": json.dumps(payload)}))
    assert resp.status_code == 200, resp.text
    return name


def said_to(chat: Chat, user: str) -> str:
    texts = [str(b.get("text", "")) + json.dumps(b.get("blocks", ""), ensure_ascii=False)
             for b in chat.slack.of("chat.postEphemeral") if b.get("user") == user]
    texts += [json.dumps(r, ensure_ascii=False) for r in chat.slack.responses]
    return "\n".join(texts)


@pytest.mark.skipif(TIME_SERVER is None, reason="mcp-server-time is a dev dependency")
async def test_the_confirmation_click_runs_once_for_the_asker_and_never_for_anyone_else(chat: Chat) -> None:
    await slash(chat, "/mcp", "call clock.get_current_time timezone=UTC", user=S_OPERATOR)
    await chat.wait_for(lambda: button_values(chat, S_OPERATOR), timeout=20)
    [value] = button_values(chat, S_OPERATOR)
    assert value.startswith("confirm ") and "timezone" not in value  # a nonce, not the arguments

    await click(chat, value, S_ADMIN)  # forwarded to, or clicked by, someone else: even an admin
    await chat.wait_for(lambda: "Only the person who asked can confirm this" in said_to(chat, S_ADMIN), timeout=20)
    refusals = [r for r in await audit_rows(chat, f"slack:{TEAM}/{S_ADMIN}") if r["outcome"] == "refused"]
    assert [(r["action"], r["detail"]["reason"]) for r in refusals] == [("mcp.confirm", "permission")]

    await click(chat, value, S_OPERATOR)  # the asker: it runs
    await chat.wait_for(lambda: "+00:00" in said_to(chat, S_OPERATOR) or "+00:00" in json.dumps(
        chat.slack.of("chat.postMessage")), timeout=20)
    await click(chat, value, S_OPERATOR)  # a replay of the same click: nothing runs again
    await chat.wait_for(lambda: "already used or has expired" in said_to(chat, S_OPERATOR), timeout=20)

    rows = [await finished(chat, r["id"]) for r in await chat.executions()]
    confirms = [r for r in rows if r["kind"] == "mcp" and r["args"].get("action") == "confirm"]
    assert [(r["trigger"], r["status"]) for r in confirms] == [
        ("button", Status.FAILED), ("button", Status.COMPLETED), ("button", Status.FAILED)]
    ran = [r for r in confirms if r["status"] == Status.COMPLETED]
    assert len(ran) == 1 and ran[0]["requester"] == f"slack:{TEAM}/{S_OPERATOR}"
