"""One mounted MCP server: its connection, its tools, its state, and its restarts.

The `mcp.Client` context is entered and left by one supervisor task (anyio cancel scopes must be left
in the task that entered them); calls from any task go through the live session. When a stdio server
dies the session reports a closed connection: the mount is marked down, the supervisor reconnects
(spawning the process again) with a growing back-off, and a read-only call is retried once on the new
connection. A writing call is never retried: it may have run before the connection dropped.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import anyio
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT, CallToolResult, RequestParamsMeta

log = logging.getLogger("chatops.mcp")

BACKOFF = (0.1, 0.5, 1.0, 2.0, 5.0, 15.0, 30.0)


@dataclass(frozen=True, slots=True)
class RemoteTool:
    name: str
    description: str
    input_schema: dict[str, Any]
    read_only_hint: bool | None


@dataclass(slots=True)
class MountState:
    name: str
    transport: str  # "in-process" | "stdio" | "http"
    state: str = "starting"  # starting | up | down | stopped
    tools: int = 0
    restarts: int = 0
    calls: int = 0
    errors: int = 0
    last_error: str | None = None
    up_since: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class ConnectionLost(Exception):
    pass


class Mount:
    def __init__(
        self, name: str, transport: str, target: Callable[[], Any], *, timeout: float, health_interval: float | None = 30.0
    ) -> None:
        """`target()` returns what `mcp.Client` connects to (an MCPServer, StdioServerParameters, a URL
        or a transport); it is called again on every reconnect. Every `health_interval` seconds an idle
        connection is checked with tools/list, so a dead server shows as down (and is restarted) even
        when nobody calls it; the check also picks up a changed tool list."""
        self.name = name
        self.timeout = timeout
        self.health_interval = health_interval
        self.status = MountState(name, transport)
        self.tools: list[RemoteTool] = []
        self._target = target
        self._client: Client | None = None
        self._ready = asyncio.Event()
        self._broken = asyncio.Event()
        self._stop = asyncio.Event()
        self._tried = asyncio.Event()  # set when the first connection attempt has ended, either way
        self._task: asyncio.Task[None] | None = None

    @property
    def up(self) -> bool:
        return self.status.state == "up" and self._client is not None

    async def start(self, wait: float) -> None:
        """Connect in the background; return once the first attempt succeeded or failed (at most `wait`
        seconds). A server that failed keeps being retried with back-off."""
        self._task = asyncio.create_task(self._supervise(), name=f"mcp-{self.name}")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await self._tried.wait()

    async def _supervise(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                async with Client(self._target(), read_timeout_seconds=self.timeout) as client:
                    listed = (await client.list_tools()).tools
                    self.tools = [_remote(t) for t in listed]
                    self._client = client
                    self.status.state, self.status.tools = "up", len(self.tools)
                    self.status.up_since = time.time()
                    attempt = 0
                    self._broken.clear()
                    self._ready.set()
                    self._tried.set()
                    try:
                        await self._watch(client)
                    finally:
                        self._client = None
                        self._ready.clear()
            except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
                raise
            except BaseException as e:  # the SDK raises ExceptionGroups from its task groups
                self.status.last_error = _describe(e)
                log.warning("MCP server %s failed: %s", self.name, self.status.last_error)
            self._tried.set()
            self._client = None
            self._ready.clear()
            if self._stop.is_set():
                break
            self.status.state = "down"
            delay = BACKOFF[min(attempt, len(BACKOFF) - 1)]
            attempt += 1
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stop.wait()
            if not self._stop.is_set():
                self.status.restarts += 1
                log.info("restarting MCP server %s (attempt %d)", self.name, attempt)
        self.status.state = "stopped"

    async def _watch(self, client: Client) -> None:
        """Return when the connection broke or the mount is stopping."""
        while not self._stop.is_set() and not self._broken.is_set():
            waiters = [asyncio.create_task(self._broken.wait()), asyncio.create_task(self._stop.wait())]
            try:
                await asyncio.wait(waiters, timeout=self.health_interval, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waiters:
                    w.cancel()
            if self._stop.is_set() or self._broken.is_set():
                return
            try:
                async with asyncio.timeout(min(self.timeout, 10.0)):
                    listed = (await client.list_tools()).tools
            except Exception as e:
                self.mark_broken(f"health check failed: {_describe(e)}")
                return
            self.tools = [_remote(t) for t in listed]
            self.status.tools = len(self.tools)

    async def call(self, tool: str, arguments: dict[str, Any], *, timeout: float, retry: bool,
                   meta: dict[str, Any] | None = None) -> CallToolResult:
        """Call `tool`; raise TimeoutError, or ConnectionLost when the server is down (after one
        reconnect-and-retry when `retry`)."""
        deadline = time.monotonic() + timeout
        for attempt in (0, 1):
            client = await self._wait_client(deadline)
            try:
                remaining = max(0.01, deadline - time.monotonic())
                # RequestParamsMeta is a TypedDict naming only progressToken; MCP allows any other key in `_meta`
                return await client.call_tool(tool, arguments, read_timeout_seconds=remaining,
                                              meta=cast("RequestParamsMeta | None", meta))
            except MCPError as e:
                if e.code == REQUEST_TIMEOUT:
                    raise TimeoutError(str(e)) from None
                if e.code != CONNECTION_CLOSED:
                    raise
                lost: Exception = e
            except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream) as e:
                lost = e
            self.mark_broken(f"connection lost: {_describe(lost)}")
            if not retry or attempt == 1:
                raise ConnectionLost(self.status.last_error or "connection lost")
        raise AssertionError("unreachable")

    async def _wait_client(self, deadline: float) -> Client:
        # a loop: the connection may break again between the wake-up and this task running
        while self._client is None or self.status.state != "up":
            try:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    await self._ready.wait()
            except TimeoutError:
                why = self.status.last_error or "not ready"
                raise ConnectionLost(f"server {self.name} is {self.status.state}: {why}") from None
        return self._client

    def mark_broken(self, reason: str) -> None:
        if self.status.state == "up":
            self.status.state = "down"
            self.status.last_error = reason
            self._client = None
            self._ready.clear()
            self._broken.set()

    async def aclose(self) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                async with asyncio.timeout(5):
                    await self._task
            except (TimeoutError, Exception):
                self._task.cancel()
                with contextlib.suppress(BaseException):
                    await self._task
        self.status.state = "stopped"


def _remote(t: Any) -> RemoteTool:
    return RemoteTool(t.name, t.description or "", dict(t.input_schema or {"type": "object"}),
                      t.annotations.read_only_hint if t.annotations else None)


def _describe(e: BaseException) -> str:
    while isinstance(e, BaseExceptionGroup) and e.exceptions:
        e = e.exceptions[0]
    text = str(e) or type(e).__name__
    return f"{type(e).__name__}: {text}" if not isinstance(e, MCPError) else text


def stdio_target(command: str, args: list[str], env: dict[str, str], cwd: str | None) -> Callable[[], StdioServerParameters]:
    return lambda: StdioServerParameters(command=command, args=args, env=env or None, cwd=cwd)


def http_target(url: str, headers: dict[str, str], timeout: float) -> Callable[[], Any]:
    if not headers:
        return lambda: url

    @contextlib.asynccontextmanager
    async def build() -> Any:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        async with httpx2.AsyncClient(headers=headers, timeout=timeout) as http:
            async with streamable_http_client(url, http_client=http) as streams:
                yield streams

    return build
