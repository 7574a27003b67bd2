"""/ask with MCP tools end to end: Event → Execution → worker → LLM (the fake, OpenAI and Anthropic
dialects, scripted tool calls) → hub → the real db provider on a SQLite file → streamed Reply, with the
tool transcript stored on the Execution."""
from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.console import ConsoleOutbound
from bot.app import Bot, open_bot
from bot.intake import Accepted
from bot.storage.models import Status
from commands.model import Conversation, Event
from pool.fake import Behavior, FakeLLM

QUERY = {"name": "db__query", "arguments": {"sql": "SELECT body FROM notes ORDER BY id"}}


def llm_settings(dialect: str, fake: FakeLLM) -> dict[str, Any]:
    if dialect == "openai":
        return {"openai_base_url": fake.url, "llm_timeout": 5}
    # the Anthropic dialect through the pool, so both the direct path and the pool run the loop
    return {"anthropic_api_key": "sk-ant-test", "anthropic_base_url": fake.root, "llm_timeout": 5,
            "enable_llm_pool": True, "llm_pool_size": 2}


@pytest.fixture
def notes_db(tmp_path: Path) -> str:
    path = tmp_path / "notes.db"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        c.executemany("INSERT INTO notes (body) VALUES (?)", [("leases expire",), ("workers renew them",)])
    return f"sqlite:///{path}"


@pytest.fixture
def tools_bot(make_settings, db_url: str, console: ConsoleOutbound, fake_llm: FakeLLM, notes_db: str, tmp_path: Path
              ) -> Callable[..., Any]:
    @asynccontextmanager
    async def make(dialect: str = "openai", policy: str | None = None, **mcp: Any) -> AsyncIterator[Bot]:
        extra = {"mcp_servers": str(mcp.pop("servers"))} if "servers" in mcp else {}
        core: dict[str, Any] = {"database_url": db_url, "poll_interval": 0.05}
        if policy is not None:
            (tmp_path / "policy.toml").write_text(policy, encoding="utf-8")
            core["policy_file"] = str(tmp_path / "policy.toml")
        settings = make_settings(
            core=core,
            llm=llm_settings(dialect, fake_llm),
            mcp={"mcp_db_url": notes_db, **extra, **mcp},
        )
        async with open_bot(settings, outbounds=[console]) as bot:
            yield bot

    return make


async def run(bot: Bot, text: str, *, user: str = "console:alice", trigger: str = "console") -> dict:
    stop = asyncio.Event()
    task = asyncio.create_task(bot.worker().run(stop))
    try:
        event = Event(source="console", user=user if ":" in user else f"console:{user}", conversation=Conversation("console", "t"), text=text, trigger=trigger)
        result = await bot.intake.submit(event)
        assert isinstance(result, Accepted), result
        return await bot.store.wait_finished(result.execution_id, timeout=20)
    finally:
        stop.set()
        await task


def offered(request: dict[str, Any]) -> list[str]:
    return [t["function"]["name"] if "function" in t else t["name"] for t in request["body"].get("tools") or ()]


@pytest.mark.parametrize("dialect", ["openai", "anthropic"])
async def test_the_model_calls_a_tool_and_answers_from_its_result(tools_bot, fake_llm: FakeLLM, transcript, dialect: str) -> None:
    fake_llm.behavior = Behavior(tool_calls=(QUERY,))
    async with tools_bot(dialect) as bot:
        row = await run(bot, "/ask what do the notes say?")
    assert row["status"] == Status.COMPLETED, row
    first, second = fake_llm.requests
    assert {first["dialect"], second["dialect"]} == {dialect}
    assert {"db__query", "db__tables__list", "db__schema__get"} <= set(offered(first))
    # the fake answers "tool said: <the tool result>": the rows reached the model and the answer
    out = transcript.getvalue()
    assert "tool said:" in out and "leases expire" in out and "workers renew them" in out
    assert "Tools used" in out and "• `db.query` · ok" in out
    assert "Calling `db.query`…" in out  # the live message showed the step while the tool ran
    [step] = row["tool_transcript"]
    assert step["tool"] == "db.query" and step["arguments"] == QUERY["arguments"] and step["ok"] is True
    assert "leases expire" in step["result"] and step["step"] == 1
    assert row["tokens_in"] > 0 and row["provider"] in ("default", "anthropic", "openai")


async def test_the_step_limit_stops_a_model_that_keeps_calling_tools(tools_bot, fake_llm: FakeLLM, transcript) -> None:
    fake_llm.behavior = Behavior(tool_calls=(QUERY,), tool_calls_always=True, reply="")
    async with tools_bot(ask_max_tool_steps=2) as bot:
        row = await run(bot, "/ask loop forever")
    assert row["status"] == Status.COMPLETED, row
    assert len(fake_llm.requests) == 3  # two rounds of tool calls, then the third turn is not followed
    assert [s["step"] for s in row["tool_transcript"]] == [1, 2]
    assert "Stopped after 2 rounds of tool calls (ASK_MAX_TOOL_STEPS)" in transcript.getvalue()


async def test_an_unknown_tool_name_goes_back_to_the_model(tools_bot, fake_llm: FakeLLM, transcript) -> None:
    fake_llm.behavior = Behavior(tool_calls=({"name": "db__drop_everything", "arguments": {}},))
    async with tools_bot() as bot:
        row = await run(bot, "/ask drop it")
    assert row["status"] == Status.COMPLETED, row
    told = fake_llm.requests[1]["body"]["messages"][-1]
    assert told["role"] == "tool" and "there is no tool named 'db__drop_everything'" in told["content"]
    assert "db__query" in told["content"]
    assert row["tool_transcript"][0]["error"] == "unknown_tool"
    assert "• `db__drop_everything` · unknown_tool" in transcript.getvalue()


async def test_a_bad_argument_is_reported_to_the_model(tools_bot, fake_llm: FakeLLM) -> None:
    fake_llm.behavior = Behavior(tool_calls=({"name": "db__query", "arguments": {"sql": "DELETE FROM notes"}},))
    async with tools_bot() as bot:
        row = await run(bot, "/ask delete")
    assert row["status"] == Status.COMPLETED
    told = fake_llm.requests[1]["body"]["messages"][-1]["content"]
    assert told.startswith("error (refused): only SELECT is allowed")


WRITING_SERVER = """
[[servers]]
name = "clock"          # not vouched for: its tools count as writing
command = "{cmd}"
"""


@pytest.fixture
def clock_config(tmp_path: Path) -> Path:
    import shutil
    import sys

    cmd = shutil.which("mcp-server-time", path=str(Path(sys.executable).parent))
    assert cmd, "mcp-server-time is a dev dependency"
    path = tmp_path / "mcp.toml"
    path.write_text(WRITING_SERVER.format(cmd=cmd))
    return path


async def test_github_triggers_get_read_only_tools_and_members_only_the_tools_a_rule_gives_them(
    tools_bot, fake_llm: FakeLLM, clock_config: Path
) -> None:
    # console users as a workspace's members; this team lets members read the database, nothing more
    policy = '[access]\nconsole_role = "member"\n[[rules]]\naction = "tool:db.*"\nrole = "member"\n'
    async with tools_bot(servers=clock_config, mcp_operators="root", policy=policy) as bot:
        await run(bot, "/ask hi", user="console:root", trigger="github")  # an operator, but from untrusted content
        await run(bot, "/ask hi", user="console:alice")  # a member
        await run(bot, "/ask hi", user="console:root")  # an operator
    from_github, from_alice, from_root = (offered(r) for r in fake_llm.requests)
    assert "db__query" in from_github and not any(n.startswith("clock__") for n in from_github)
    assert "db__query" in from_alice and all(n.startswith("db__") for n in from_alice)  # not the writing clock
    assert "clock__get_current_time" in from_root and "db__query" in from_root


async def test_a_writing_tool_is_not_run_but_offered_as_a_confirmation_button(
    tools_bot, fake_llm: FakeLLM, clock_config: Path, transcript
) -> None:
    call = {"name": "clock__get_current_time", "arguments": {"timezone": "UTC"}}
    fake_llm.behavior = Behavior(tool_calls=(call,))
    async with tools_bot(servers=clock_config, mcp_operators="root") as bot:
        row = await run(bot, "/ask what time is it?", user="console:root")
    assert row["status"] == Status.COMPLETED, row
    [step] = row["tool_transcript"]
    assert step["tool"] == "clock.get_current_time" and step["error"] == "needs_confirmation"
    told = fake_llm.requests[1]["body"]["messages"][-1]["content"]
    assert told.startswith("not run: clock.get_current_time may change things")
    [button] = row["reply"]["buttons"]
    assert button["action"] == "mcp" and button["style"] == "danger"
    assert button["value"] == "call --confirm clock.get_current_time " + json.dumps({"timezone": "UTC"}, separators=(",", ":"))
    assert "an operator can run it with the button" in transcript.getvalue()


async def test_without_tools_ask_streams_as_before(make_settings, db_url: str, console, fake_llm: FakeLLM, transcript) -> None:
    settings = make_settings(core={"database_url": db_url, "poll_interval": 0.05},
                             llm={"openai_base_url": fake_llm.url, "llm_timeout": 5})
    async with open_bot(settings, outbounds=[console]) as bot:
        assert bot.services.mcp is None
        row = await run(bot, "/ask hello")
    assert row["status"] == Status.COMPLETED and row["tool_transcript"] is None
    assert "tools" not in fake_llm.requests[0]["body"] and "echo: hello" in transcript.getvalue()
