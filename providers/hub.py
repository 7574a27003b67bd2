"""The hub: mounts the built-in providers in-process and external MCP servers from the MCP_SERVERS
file, lists their tools under one namespace, calls them with a timeout and returns one result shape.

Policy lives here, not in each caller: every tool carries a read-only flag (built-ins vouch for their
own tools; external tools are writing unless the operator's config marks them read-only, because MCP
annotations are only hints from the server). `list_tools(read_only=True)` and `call_tool(..., read_only=True)` are
what untrusted triggers (GitHub events, the LLM loop) get.
"""
from __future__ import annotations

import asyncio
import difflib
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from mcp_types import TextContent

from providers.builtin import Builtin, NotConfigured, ProviderFactory, factory_name
from providers.config import McpConfig, load_config
from providers.database import build_database
from providers.github.provider import github_provider
from providers.mount import ConnectionLost, Mount, MountState, http_target, stdio_target
from providers.result import (
    INVALID_ARGUMENTS,
    REFUSED,
    SERVER_DOWN,
    TIMEOUT,
    TOOL_ERROR,
    UNKNOWN_TOOL,
    ToolResult,
    content_data,
    parse_error_text,
)
from providers.settings import MCPSettings
from providers.shopify import build_shopify

if TYPE_CHECKING:
    from providers.github.client import GitHubAuthSettings, GitHubClient

log = logging.getLogger("chatops.mcp")

# The built-in providers, in the order they are listed. One line per provider.
BUILTIN_FACTORIES: list[ProviderFactory] = [build_database, build_shopify, github_provider(None)]

IDEMPOTENCY_META = "chatops/idempotency_key"  # _meta key: the same key for every attempt of one writing call
_SAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True, slots=True)
class ToolInfo:
    name: str  # namespaced: "db.query", "time.get_current_time"
    server: str
    remote_name: str  # the name the server knows it by
    description: str
    input_schema: dict[str, Any]
    read_only: bool

    @property
    def safe_name(self) -> str:
        """The name in the alphabet LLM function-calling APIs accept (^[A-Za-z0-9_-]{1,64}$)."""
        return _SAFE.sub("_", self.name.replace(".", "__"))[:64]


def _always(server: object) -> Callable[[], object]:
    """The mount target of an in-process server: the same server on every (re)connect."""
    return lambda: server


class UnknownTool(LookupError):
    def __init__(self, name: str, suggestions: list[str], hint: str = "") -> None:
        super().__init__(name)
        self.name, self.suggestions, self.hint = name, suggestions, hint


def namespaced(server: str, tool: str) -> str:
    return tool if tool.startswith(f"{server}.") else f"{server}.{tool}"


class Hub:
    def __init__(
        self,
        settings: MCPSettings,
        *,
        factories: Sequence[ProviderFactory] | None = None,
        config: McpConfig | None = None,
        health_interval: float | None = 30.0,
        github: GitHubAuthSettings | None = None,
        github_client: GitHubClient | None = None,
    ) -> None:
        self.settings = settings
        self._health = health_interval
        self._factories = list(BUILTIN_FACTORIES if factories is None else factories)
        if github is not None or github_client is not None:  # the bot's GitHub client, or its credentials
            self._factories = [github_provider(github, github_client) if factory_name(f) == "github" else f
                               for f in self._factories]
        self._config = config
        self._mounts: dict[str, Mount] = {}
        self._builtins: dict[str, Builtin] = {}
        self._read_only: dict[str, frozenset[str] | McpConfig] = {}
        self.skipped: dict[str, str] = {}
        self._validators: dict[str, Draft202012Validator] = {}

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start(self, wait: float = 15.0) -> Hub:
        """Mount everything; a server that does not come up within `wait` keeps retrying in the
        background and shows as down. A bad MCP_SERVERS file raises ConfigFileError."""
        config = self._config if self._config is not None else load_config(self.settings.mcp_servers)
        self._config = config
        timeout = self.settings.mcp_timeout
        for factory in self._factories:
            try:
                builtin = factory(self.settings, config)
            except NotConfigured as e:
                self.skipped[factory_name(factory)] = str(e)
                continue
            self._builtins[builtin.name] = builtin
            server = builtin.server
            # in-process servers cannot die on their own: no health checks
            self._mounts[builtin.name] = Mount(builtin.name, "in-process", _always(server), timeout=timeout,
                                               health_interval=None)
        for sc in config.servers:
            if sc.name in self._mounts:
                self.skipped[sc.name] = "the name is taken by a built-in provider"
                continue
            target = (stdio_target(sc.command, sc.args, sc.env, sc.cwd) if sc.command
                      else http_target(sc.url or "", sc.headers, sc.timeout or timeout))
            self._mounts[sc.name] = Mount(sc.name, sc.transport, target, timeout=sc.timeout or timeout,
                                          health_interval=self._health)
        await asyncio.gather(*(m.start(wait) for m in self._mounts.values()))
        return self

    async def aclose(self) -> None:
        await asyncio.gather(*(m.aclose() for m in self._mounts.values()), return_exceptions=True)
        for b in self._builtins.values():
            try:
                await b.aclose()
            except Exception:
                log.exception("closing provider %s failed", b.name)

    async def __aenter__(self) -> Hub:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- tools -------------------------------------------------------------------------------------
    def _is_read_only(self, server: str, remote: str) -> bool:
        if server in self._builtins:
            return remote in self._builtins[server].read_only_tools
        config = self._config or McpConfig()
        return any(sc.name == server and sc.tool_is_read_only(remote) for sc in config.servers)

    def list_tools(self, *, read_only: bool = False) -> list[ToolInfo]:
        """Every tool of every server that is (or was) up; only read-only ones when `read_only`."""
        out: list[ToolInfo] = []
        for name, mount in self._mounts.items():
            for t in mount.tools:
                ro = self._is_read_only(name, t.name)
                if read_only and not ro:
                    continue
                out.append(ToolInfo(namespaced(name, t.name), name, t.name, t.description, t.input_schema, ro))
        return out

    def get(self, name: str) -> ToolInfo:
        tools = self.list_tools()
        for t in tools:
            if name in (t.name, t.safe_name):
                return t
        names = [t.name for t in tools]
        suggestions = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        prefix = name.split(".", 1)[0]
        hint = ""
        if prefix in self.skipped:
            hint = f"the {prefix} provider is not configured: {self.skipped[prefix]}"
        elif prefix in self._mounts and not self._mounts[prefix].up:
            st = self._mounts[prefix].status
            hint = f"the server {prefix} is {st.state}: {st.last_error or 'starting'}"
        raise UnknownTool(name, suggestions, hint)

    def validate(self, tool: ToolInfo, arguments: dict[str, Any]) -> list[str]:
        """Problems with `arguments` against the tool's input schema, one readable line each."""
        validator = self._validators.get(tool.name)
        if validator is None:
            try:
                validator = Draft202012Validator(tool.input_schema)
            except SchemaError:
                return []  # the server's schema is broken: let the server judge
            self._validators[tool.name] = validator
        problems = []
        for err in sorted(validator.iter_errors(arguments), key=lambda e: list(e.path)):
            where = ".".join(str(p) for p in err.path)
            problems.append(f"{where}: {err.message}" if where else err.message)
        return problems

    def tool_specs(self, *, read_only: bool = True) -> list[dict[str, Any]]:
        """Tools in a provider-neutral form for an LLM tool loop: name (hub name), function_name (safe
        for OpenAI/Anthropic), description, input_schema (JSON Schema), read_only."""
        return [
            {"name": t.name, "function_name": t.safe_name, "description": t.description or t.name,
             "input_schema": t.input_schema, "read_only": t.read_only, "server": t.server}
            for t in self.list_tools(read_only=read_only)
        ]

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | None = None, *, read_only: bool = False, timeout: float | None = None,
        idempotency_key: str | None = None,
    ) -> ToolResult:
        """Call a tool; never raises for tool-level problems: every outcome is a ToolResult. `idempotency_key`
        travels in the request's `_meta` (`chatops/idempotency_key`) for servers that can use one."""
        started = time.perf_counter()
        arguments = arguments or {}

        def elapsed() -> float:
            return round((time.perf_counter() - started) * 1000, 3)

        try:
            tool = self.get(name)
        except UnknownTool as e:
            more = f"; did you mean {', '.join(e.suggestions)}?" if e.suggestions else ""
            hint = f" ({e.hint})" if e.hint else ""
            return ToolResult.failure(name.split(".", 1)[0], name, UNKNOWN_TOOL, f"no tool named {name}{hint}{more}", elapsed())
        if read_only and not tool.read_only:
            return ToolResult.failure(tool.server, tool.name, REFUSED,
                                      f"{tool.name} may change things and only read-only tools are allowed here", elapsed())
        problems = self.validate(tool, arguments)
        if problems:
            return ToolResult.failure(tool.server, tool.name, INVALID_ARGUMENTS, "; ".join(problems), elapsed())
        mount = self._mounts[tool.server]
        limit = timeout or mount.timeout
        mount.status.calls += 1
        try:
            meta = {IDEMPOTENCY_META: idempotency_key} if idempotency_key else None
            result = await mount.call(tool.remote_name, arguments, timeout=limit, retry=tool.read_only, meta=meta)
        except TimeoutError:
            mount.status.errors += 1
            return ToolResult.failure(tool.server, tool.name, TIMEOUT, f"no answer within {limit:g}s", elapsed())
        except ConnectionLost as e:
            mount.status.errors += 1
            return ToolResult.failure(tool.server, tool.name, SERVER_DOWN, str(e), elapsed())
        except Exception as e:  # a protocol error from the server (MCPError) or a transport fault
            mount.status.errors += 1
            return ToolResult.failure(tool.server, tool.name, TOOL_ERROR, f"{type(e).__name__}: {e}", elapsed())
        texts = [c.text for c in result.content if isinstance(c, TextContent)]
        if result.is_error:
            mount.status.errors += 1
            code, message = parse_error_text("\n".join(texts) or "the tool reported an error")
            return ToolResult.failure(tool.server, tool.name, code, message, elapsed())
        return ToolResult(True, tool.server, tool.name, elapsed(), content_data(result.structured_content, texts))

    # -- state -------------------------------------------------------------------------------------
    def states(self) -> list[MountState]:
        return [m.status for m in self._mounts.values()]

    def mount(self, name: str) -> Mount:
        return self._mounts[name]

    def summary(self) -> str:
        """One line for /status: 'db up (3 tools), time up (2 tools, 1 restart), shopify not configured'."""
        parts = []
        for s in self.states():
            extra = f", {s.restarts} restart{'s' if s.restarts != 1 else ''}" if s.restarts else ""
            parts.append(f"{s.name} {s.state} ({s.tools} tools{extra})")
        parts.extend(f"{n} not configured" for n in self.skipped)
        return ", ".join(parts) or "no servers"
