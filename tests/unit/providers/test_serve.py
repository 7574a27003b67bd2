"""`chatops mcp serve <name>`: the built-in providers as standalone MCP servers, used by the real MCP
client over stdio and over streamable HTTP (the latter also through the hub, with custom headers)."""
from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from mcp import Client, StdioServerParameters

from providers.builtin import new_server
from providers.config import McpConfig, ServerConfig
from providers.hub import Hub
from providers.settings import MCPSettings
from tests.fakes.shopify import TOKEN, FakeShopify


def make_db(path: Path) -> str:
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        c.execute("INSERT INTO t (v) VALUES ('hello')")
    return f"sqlite:///{path}"


def serve(name: str, env: dict[str, str], *extra: str) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "bot", "mcp", "serve", name, *extra], env=env)


async def test_db_provider_over_stdio(tmp_path: Path) -> None:
    async with Client(serve("db", {"MCP_DB_URL": make_db(tmp_path / "a.db")}), read_timeout_seconds=20) as client:
        assert {t.name for t in (await client.list_tools()).tools} == {"db.query", "db.tables.list", "db.schema.get"}
        r = await client.call_tool("db.query", {"sql": "SELECT v FROM t"})
        assert not r.is_error and r.structured_content["rows"] == [["hello"]]
        r = await client.call_tool("db.query", {"sql": "UPDATE t SET v = 'x'"})
        assert r.is_error and "[refused] only SELECT is allowed: found UPDATE" in r.content[0].text


async def test_shopify_provider_over_stdio() -> None:
    async with FakeShopify() as shop:
        env = {"SHOPIFY_SHOP": "s", "SHOPIFY_TOKEN": TOKEN, "SHOPIFY_API_URL": shop.url}
        async with Client(serve("shopify", env), read_timeout_seconds=20) as client:
            assert len((await client.list_tools()).tools) == 7
            r = await client.call_tool("shopify.orders.list", {"limit": 2})
            assert not r.is_error and [o["name"] for o in r.structured_content["orders"]] == ["#1001", "#1002"]


def test_an_unconfigured_or_unknown_provider_exits_with_a_clear_message(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "bot", "--env-file", str(tmp_path / "none.env"), "mcp", "serve"]
    p = subprocess.run([*run, "shopify"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 2 and "set SHOPIFY_SHOP and SHOPIFY_TOKEN" in p.stderr and p.stdout == ""
    p = subprocess.run([*run, "github"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 2 and "set GITHUB_TOKEN (or GITHUB_APP_ID and GITHUB_PRIVATE_KEY)" in p.stderr
    p = subprocess.run([*run, "nope"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 2 and "no built-in provider 'nope'; known: db, github, shopify" in p.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
async def test_db_provider_over_streamable_http_through_the_hub(tmp_path: Path) -> None:
    port = free_port()
    env = {"MCP_DB_URL": make_db(tmp_path / "b.db"), "PATH": "/usr/bin:/bin"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "mcp", "serve", "db", "--transport", "http", "--port", str(port),
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        async with httpx.AsyncClient() as http:
            for _ in range(200):  # bounded: up to 20 s for the interpreter to start
                try:
                    await http.get(url)
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        config = McpConfig(servers=[ServerConfig(name="remote", url=url, headers={"X-Api-Key": "k"}, read_only=True)])
        async with Hub(MCPSettings(_env_file=None), factories=[], config=config) as hub:
            (state,) = hub.states()
            assert state.transport == "http" and state.state == "up", state
            r = await hub.call_tool("remote.db.query", {"sql": "SELECT v FROM t"}, read_only=True)
            assert r.ok and r.data["rows"] == [["hello"]]
    finally:
        proc.terminate()
        await proc.wait()


def test_building_a_server_leaves_root_logging_alone() -> None:
    # MCPServer() calls logging.basicConfig(), which acts only when the root logger has no handler
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    for h in saved:
        root.removeHandler(h)
    try:
        new_server("x", "test")
        assert root.handlers == [] and root.level == level
    finally:
        for h in saved:
            root.addHandler(h)


async def test_http_mounts_send_the_configured_headers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from providers.config import parse_config
    from providers.database import build_database

    builtin = build_database(MCPSettings(_env_file=None, mcp_db_url=make_db(tmp_path / "c.db")), McpConfig())
    inner = builtin.server.streamable_http_app()
    seen: list[dict[str, str]] = []

    async def recording(scope, receive, send):  # an ASGI wrapper that notes the request headers
        if scope["type"] == "http":
            seen.append({k.decode(): v.decode() for k, v in scope["headers"]})
        await inner(scope, receive, send)

    server = uvicorn.Server(uvicorn.Config(recording, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(100):  # bounded: 5 s
            if server.started:
                break
            await asyncio.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        monkeypatch.setenv("REMOTE_TOKEN", "t0ken")
        config = parse_config({"servers": [{"name": "remote", "url": f"http://127.0.0.1:{port}/mcp", "read_only": True,
                                            "headers": {"Authorization": "Bearer ${REMOTE_TOKEN}"}}]})
        async with Hub(MCPSettings(_env_file=None), factories=[], config=config) as hub:
            r = await hub.call_tool("remote.db.query", {"sql": "SELECT v FROM t"})
        assert r.ok and r.data["rows"] == [["hello"]]
        assert seen and all(h.get("authorization") == "Bearer t0ken" for h in seen)
    finally:
        server.should_exit = True
        await task
        await builtin.aclose()
