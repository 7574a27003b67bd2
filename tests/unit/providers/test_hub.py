"""The hub: built-ins in-process, mcp-server-time and the bot's own db provider over stdio from a
config file, one result shape, the read-only policy, validation, timeouts and restarts."""
from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest

from providers.config import ConfigFileError, McpConfig, ServerConfig, load_config
from providers.hub import Hub
from providers.settings import MCPSettings
from tests.fakes.shopify import TOKEN, FakeShopify

TIME_SERVER = shutil.which("mcp-server-time", path=str(Path(sys.executable).parent))


def make_db(path: Path) -> str:
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        c.executemany("INSERT INTO notes (body) VALUES (?)", [("first",), ("second",), ("third",)])
    return f"sqlite:///{path}"


def write_config(tmp_path: Path, db_url: str, *, time_read_only: bool = True) -> Path:
    assert TIME_SERVER, "mcp-server-time is in the dev extra"
    path = tmp_path / "mcp.toml"
    path.write_text(f"""
[databases]
archive = "{db_url}"

[[servers]]
name = "time"
command = "{TIME_SERVER}"
args = ["--local-timezone", "Asia/Tokyo"]
read_only = {str(time_read_only).lower()}
timeout = 10

[[servers]]
name = "dbx"
command = "{sys.executable}"
args = ["-m", "bot", "mcp", "serve", "db"]
env = {{ MCP_DB_URL = "{db_url}" }}
read_only_tools = ["db.query"]
""")
    return path


@pytest.fixture
async def shop() -> AsyncIterator[FakeShopify]:
    async with FakeShopify() as fake:
        yield fake


@pytest.fixture
async def hub(tmp_path: Path, shop: FakeShopify) -> AsyncIterator[Hub]:
    db_url = make_db(tmp_path / "notes.db")
    settings = MCPSettings(_env_file=None, mcp_db_url=db_url, mcp_servers=write_config(tmp_path, db_url),
                           shopify_shop="s", shopify_token=TOKEN, shopify_api_url=shop.url, mcp_timeout=10)
    async with Hub(settings) as h:
        yield h


async def test_every_server_is_up_and_tools_are_namespaced(hub: Hub) -> None:
    states = {s.name: s for s in hub.states()}
    assert {n: s.state for n, s in states.items()} == {"db": "up", "shopify": "up", "time": "up", "dbx": "up"}
    assert {s.transport for s in states.values()} == {"in-process", "stdio"}
    names = {t.name for t in hub.list_tools()}
    assert {"db.query", "db.tables.list", "db.schema.get", "shopify.orders.list", "time.get_current_time",
            "time.convert_time", "dbx.db.query"} <= names
    assert "db up (3 tools)" in hub.summary() and "time up (2 tools)" in hub.summary()


async def test_one_result_shape_for_in_process_and_stdio_calls(hub: Hub) -> None:
    local = await hub.call_tool("db.query", {"sql": "SELECT body FROM notes ORDER BY id", "database": "archive"})
    remote = await hub.call_tool("dbx.db.query", {"sql": "SELECT body FROM notes ORDER BY id"})
    clock = await hub.call_tool("time.get_current_time", {"timezone": "Asia/Tokyo"})
    shop = await hub.call_tool("shopify.products.get", {"product_id": 1001})
    for r, provider in ((local, "db"), (remote, "dbx"), (clock, "time"), (shop, "shopify")):
        assert r.ok and r.provider == provider and r.error_code is None and r.elapsed_ms > 0, r
    assert local.data["rows"] == remote.data["rows"] == [["first"], ["second"], ["third"]]
    assert clock.data["timezone"] == "Asia/Tokyo" and clock.data["datetime"].endswith("+09:00")
    assert shop.data["title"] == "Product 1"


async def test_failures_carry_a_code_and_a_reason(hub: Hub) -> None:
    refused = await hub.call_tool("dbx.db.query", {"sql": "DROP TABLE notes"})
    assert not refused.ok and refused.error_code == "refused" and refused.error_message == "only SELECT is allowed: found DROP"
    unknown = await hub.call_tool("time.get_curent_time", {})
    assert unknown.error_code == "unknown_tool" and "time.get_current_time" in unknown.error_message
    invalid = await hub.call_tool("db.query", {"sql": 42, "bogus": 1})
    assert invalid.error_code == "invalid_arguments" and "42 is not of type 'string'" in invalid.error_message
    missing = await hub.call_tool("db.query", {})
    assert missing.error_code == "invalid_arguments" and "'sql' is a required property" in missing.error_message
    not_found = await hub.call_tool("shopify.orders.get", {"order_id": 1})
    assert not_found.error_code == "not_found"


async def test_read_only_policy_comes_from_the_provider_or_the_config_file(hub: Hub) -> None:
    ro = {t.name for t in hub.list_tools(read_only=True)}
    assert "dbx.db.query" in ro and "dbx.db.tables.list" not in ro  # only db.query is vouched for in the file
    assert "time.get_current_time" in ro and "db.schema.get" in ro
    denied = await hub.call_tool("dbx.db.tables.list", {}, read_only=True)
    assert denied.error_code == "refused" and "only read-only tools" in denied.error_message
    allowed = await hub.call_tool("dbx.db.tables.list", {})
    assert allowed.ok and allowed.data["tables"] == ["notes"]


async def test_tool_specs_are_provider_neutral_json_schema(hub: Hub) -> None:
    specs = {s["name"]: s for s in hub.tool_specs()}
    spec = specs["time.get_current_time"]
    assert spec["function_name"] == "time__get_current_time" and spec["read_only"] is True
    assert spec["input_schema"]["type"] == "object" and "timezone" in spec["input_schema"]["properties"]
    assert all(s["read_only"] for s in specs.values()) and "dbx.db.tables.list" not in specs
    json.dumps(hub.tool_specs(read_only=False))  # serializable as is
    assert hub.get("time__get_current_time").name == "time.get_current_time"


async def test_a_killed_stdio_server_is_restarted_and_the_call_succeeds(hub: Hub) -> None:
    mount = hub.mount("time")
    victims = [p for p in psutil.Process().children(recursive=True) if "mcp-server-time" in " ".join(p.cmdline())]
    assert len(victims) == 1
    victims[0].kill()
    victims[0].wait(5)
    result = await hub.call_tool("time.get_current_time", {"timezone": "UTC"})
    assert result.ok, result
    assert mount.status.restarts == 1 and mount.status.state == "up"
    fresh = [p for p in psutil.Process().children(recursive=True) if "mcp-server-time" in " ".join(p.cmdline())]
    assert len(fresh) == 1 and fresh[0].pid != victims[0].pid


async def test_timeout_is_reported_in_the_result(hub: Hub) -> None:
    slow = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3000000) SELECT count(*) FROM r"
    result = await hub.call_tool("dbx.db.query", {"sql": slow}, timeout=0.2)
    assert not result.ok and result.error_code == "timeout" and 200 <= result.elapsed_ms < 2000
    assert (await hub.call_tool("dbx.db.query", {"sql": "SELECT 1"})).ok  # the session survives


async def test_a_server_that_cannot_start_is_down_and_the_others_work(tmp_path: Path) -> None:
    path = tmp_path / "servers.json"
    path.write_text(json.dumps({"mcpServers": {"ghost": {"command": str(tmp_path / "no-such-binary")}}}))
    async with Hub(MCPSettings(_env_file=None, mcp_servers=path), factories=[]) as hub:
        await asyncio.sleep(0.2)
        (state,) = hub.states()
        assert state.state == "down" and state.last_error
        result = await hub.call_tool("ghost.anything", {}, timeout=0.2)
        assert result.error_code == "unknown_tool" and "ghost is down" in result.error_message
        assert hub.skipped == {}  # no built-ins were asked for


def test_config_file_errors_name_the_file_and_the_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[servers]]\nname = "x"\n')
    with pytest.raises(ConfigFileError, match=r"bad.toml: servers.0: give either `command`"):
        load_config(bad)
    bad.write_text("[[servers]\n")
    with pytest.raises(ConfigFileError, match="not valid toml"):
        load_config(bad)
    with pytest.raises(ConfigFileError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    ok = tmp_path / "ok.toml"
    ok.write_text('[[servers]]\nname = "api"\nurl = "http://127.0.0.1:1/mcp"\nheaders = { Authorization = "Bearer ${API_TOKEN}" }\n')
    with pytest.raises(ConfigFileError, match="API_TOKEN is not set"):
        load_config(ok)
    monkeypatch.setenv("API_TOKEN", "t0k")
    assert load_config(ok).servers[0].headers == {"Authorization": "Bearer t0k"}


async def test_a_dead_idle_server_is_noticed_by_the_health_check_and_restarted(tmp_path: Path) -> None:
    config = McpConfig(servers=[ServerConfig(name="time", command=TIME_SERVER or "", read_only=True)])
    async with Hub(MCPSettings(_env_file=None), factories=[], config=config, health_interval=0.1) as hub:
        mount = hub.mount("time")
        (victim,) = [p for p in psutil.Process().children(recursive=True) if "mcp-server-time" in " ".join(p.cmdline())]
        victim.kill()
        victim.wait(5)
        for _ in range(100):  # bounded: 10 s
            if mount.status.restarts >= 1 and mount.status.state == "up":
                break
            await asyncio.sleep(0.1)
        assert mount.status.restarts == 1 and mount.status.state == "up"
        assert "health check failed" in (mount.status.last_error or "")
        assert (await hub.call_tool("time.get_current_time", {"timezone": "UTC"})).ok
