"""/mcp end to end: Event → Execution → worker → hub → MCP server → Reply on the console, with the
third-party mcp-server-time mounted over stdio from the MCP_SERVERS file and the db provider in-process."""
from __future__ import annotations

import asyncio
import shutil
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleOutbound
from bot.app import Bot, StartupError, open_bot
from bot.intake import Accepted
from bot.storage.models import Status
from commands.model import Conversation, Event

TIME_SERVER = shutil.which("mcp-server-time", path=str(Path(sys.executable).parent))


def event(text: str, user: str = "console:root", trigger: str = "console") -> Event:
    return Event(source="console", user=user if ":" in user else f"console:{user}", conversation=Conversation("console", "test"), text=text, trigger=trigger)


async def run(bot: Bot, text: str, **kw: str) -> dict:
    stop = asyncio.Event()
    task = asyncio.create_task(bot.worker().run(stop))
    try:
        result = await bot.intake.submit(event(text, **kw))
        assert isinstance(result, Accepted), result
        return await bot.store.wait_finished(result.execution_id, timeout=20)
    finally:
        stop.set()
        await task


@pytest.fixture
async def mcp_bot(make_settings, db_url: str, console: ConsoleOutbound, tmp_path: Path) -> AsyncIterator[Bot]:
    notes = tmp_path / "notes.db"
    with sqlite3.connect(notes) as c:
        c.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        c.executemany("INSERT INTO notes (body) VALUES (?)", [("alpha",), ("beta",)])
    config = tmp_path / "mcp.toml"
    config.write_text(f"""
[[servers]]
name = "time"
command = "{TIME_SERVER}"
args = ["--local-timezone", "Asia/Tokyo"]
read_only = true

[[servers]]
name = "clock"          # the same server, not vouched for: its tools count as writing
command = "{TIME_SERVER}"
""")
    policy = tmp_path / "policy.toml"
    policy.write_text('[access]\nconsole_role = "member"\n')  # console users as a workspace's members are
    settings = make_settings(
        core={"database_url": db_url, "poll_interval": 0.05, "policy_file": str(policy)},
        mcp={"mcp_servers": str(config), "mcp_db_url": f"sqlite:///{notes}", "mcp_operators": "root"},
    )
    async with open_bot(settings, outbounds=[console]) as bot:
        yield bot


async def test_calls_the_third_party_time_server_over_stdio(mcp_bot: Bot, transcript) -> None:
    row = await run(mcp_bot, "/mcp call time.get_current_time timezone=Asia/Tokyo")
    assert row["status"] == Status.COMPLETED, row
    out = transcript.getvalue()
    assert '"timezone": "Asia/Tokyo"' in out and "+09:00" in out and "time · time.get_current_time" in out


async def test_json_arguments_and_a_result_table(mcp_bot: Bot, transcript) -> None:
    row = await run(mcp_bot, '/mcp call db.query {"sql": "SELECT id, body FROM notes ORDER BY id"}')
    assert row["status"] == Status.COMPLETED
    out = transcript.getvalue()
    assert "id | body" in out and "1  | alpha" in out and "(2 rows)" in out


async def test_a_refused_query_says_why(mcp_bot: Bot, transcript) -> None:
    row = await run(mcp_bot, '/mcp call db.query sql="DELETE FROM notes"')
    assert row["status"] == Status.FAILED
    assert "`db.query` failed (refused): only SELECT is allowed: found DELETE" in transcript.getvalue()


async def test_unknown_tools_get_close_matches_and_bad_arguments_the_schema_error(mcp_bot: Bot, transcript) -> None:
    await run(mcp_bot, "/mcp call time.get_curent_time timezone=UTC")
    assert "Unknown MCP tool `time.get_curent_time`" in transcript.getvalue()
    assert "`time.get_current_time`" in transcript.getvalue()
    await run(mcp_bot, "/mcp call db.query limit=ten")
    out = transcript.getvalue()
    assert "Invalid arguments for `db.query`" in out and "'sql' is a required property" in out
    assert "'ten' is not valid" in out or "'ten' is not of type" in out
    assert "Usage: `db.query sql=<string>" in out
    await run(mcp_bot, '/mcp call db.query sql="unbalanced')
    assert "could not be split" in transcript.getvalue()


async def test_list_and_status_show_the_servers(mcp_bot: Bot, transcript) -> None:
    await run(mcp_bot, "/mcp list")
    out = transcript.getvalue()
    assert "`db.query`" in out and "`time.get_current_time`" in out and "✎ — " in out  # clock.* are writing
    assert "shopify: not configured (set SHOPIFY_SHOP and SHOPIFY_TOKEN)" in out
    await run(mcp_bot, "/status")
    assert "MCP" in transcript.getvalue() and "time up (2 tools)" in transcript.getvalue()


async def test_writing_tools_need_an_operator_a_confirmation_and_a_trusted_trigger(mcp_bot: Bot, transcript) -> None:
    row = await run(mcp_bot, "/mcp call clock.get_current_time timezone=UTC", user="console:alice")
    assert row["status"] == Status.FAILED and "`clock.get_current_time` needs the operator role" in transcript.getvalue()
    await run(mcp_bot, "/mcp call clock.get_current_time timezone=UTC", user="console:root")
    assert "[Run clock.get_current_time]" in transcript.getvalue() and '"timezone": "UTC"' in transcript.getvalue()
    # the button's click comes back as this command line
    row = await run(mcp_bot, '/mcp call --confirm clock.get_current_time {"timezone":"UTC"}', user="console:root")
    assert row["status"] == Status.COMPLETED and "+00:00" in transcript.getvalue()
    row = await run(mcp_bot, '/mcp call --confirm clock.get_current_time {"timezone":"UTC"}', user="console:root", trigger="github")
    assert row["status"] == Status.FAILED and "read-only tools only" in transcript.getvalue()
    row = await run(mcp_bot, "/mcp call time.get_current_time timezone=UTC", user="console:root", trigger="github")
    assert row["status"] == Status.COMPLETED  # read-only tools are fine for untrusted triggers


async def test_a_broken_servers_file_stops_start_up_with_one_line(make_settings, tmp_path: Path, console) -> None:
    bad = tmp_path / "servers.toml"
    bad.write_text('[[servers]]\nname = "Bad Name"\ncommand = "x"\n')
    settings = make_settings(mcp={"mcp_servers": str(bad)})
    with pytest.raises(StartupError, match=r"servers.toml: servers.0.name: String should match pattern"):
        async with open_bot(settings, outbounds=[console]):
            pass


async def test_japanese_requests_get_japanese_errors(mcp_bot: Bot, transcript) -> None:
    row = await run(mcp_bot, '/mcp call db.query sql="DELETE FROM notes -- 全部消す"')
    assert row["status"] == Status.FAILED
    assert "`db.query` が失敗しました（refused）: only SELECT is allowed: found DELETE" in transcript.getvalue()


async def test_without_any_provider_the_bot_says_what_to_configure(bot: Bot, transcript) -> None:
    assert bot.services.mcp is None  # nothing to mount: the mcp SDK is not even imported
    row = await run(bot, "/mcp list")
    assert row["status"] == Status.FAILED and "No MCP provider is configured: set MCP_DB_URL" in transcript.getvalue()
    await run(bot, "/status")
    assert "MCP        not configured" in transcript.getvalue()


async def test_a_writing_call_cut_off_mid_way_is_not_made_again_by_the_next_attempt(mcp_bot: Bot, transcript) -> None:
    writes = mcp_bot.services.writes
    assert writes is not None
    line = '/mcp call --confirm clock.get_current_time {"timezone":"UTC"}'
    accepted = await mcp_bot.intake.submit(event(line))
    assert isinstance(accepted, Accepted)
    # what the first attempt wrote before calling the tool, when its worker was killed mid-call
    assert await writes.begin_effect(accepted.execution_id, "tool:clock.get_current_time")
    stop = asyncio.Event()
    task = asyncio.create_task(mcp_bot.worker().run(stop))
    try:
        row = await mcp_bot.store.wait_finished(accepted.execution_id, timeout=20)
    finally:
        stop.set()
        await task
    out = transcript.getvalue()
    assert row["status"] == Status.FAILED and "may already have run" in out and "+00:00" not in out
    assert "[Run clock.get_current_time again]" in out  # deciding to run it again is a fresh, deliberate click
    fresh = await run(mcp_bot, line)  # another execution: its own first attempt calls the tool
    assert fresh["status"] == Status.COMPLETED and "+00:00" in transcript.getvalue()


async def test_confirmations_are_one_time_owned_and_expire(db_url: str) -> None:
    from bot.storage.engine import create_engine
    from bot.storage.migrate import upgrade
    from bot.storage.writes import CONFIRM_SECONDS, Confirmed, WriteStore

    engine = create_engine(db_url)
    await upgrade(engine)
    now = [1000.0]
    try:
        writes = WriteStore(engine, clock=lambda: now[0])
        nonce = await writes.ask("slack:T/U1", "clock.set", {"t": 1})
        assert await writes.confirm(nonce, "slack:T/U2") == "other"  # stays usable by its owner
        assert await writes.confirm(nonce + "x", "slack:T/U1") == "unknown"
        assert await writes.confirm(nonce, "slack:T/U1") == Confirmed("clock.set", {"t": 1})
        assert await writes.confirm(nonce, "slack:T/U1") == "unknown"  # once
        late = await writes.ask("slack:T/U1", "clock.set", {})
        now[0] += CONFIRM_SECONDS
        assert await writes.confirm(late, "slack:T/U1") == "unknown"  # ten minutes
        assert await writes.begin_effect(7, "tool:clock.set") and not await writes.begin_effect(7, "tool:clock.set")
    finally:
        await engine.dispose()
