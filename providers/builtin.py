"""What a built-in provider hands the hub: a real MCP server plus what the hub must know about it.

A provider module exposes a factory `(settings, config) -> Builtin`; it raises `NotConfigured` when its
settings are missing, and the hub lists it as skipped with that reason. The github provider plugs in
the same way (one more factory in `BUILTIN_FACTORIES`).
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from mcp.server import MCPServer
from mcp_types import ToolAnnotations

from providers.config import McpConfig
from providers.settings import MCPSettings

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=True)


class NotConfigured(Exception):
    """The provider lacks settings; the text says which (e.g. 'set SHOPIFY_SHOP and SHOPIFY_TOKEN')."""


async def _nothing() -> None:
    return None


@dataclass(slots=True)
class Builtin:
    name: str
    server: MCPServer
    read_only_tools: frozenset[str]  # the provider vouches that these never change anything
    aclose: Callable[[], Awaitable[None]] = field(default=_nothing)


ProviderFactory = Callable[[MCPSettings, McpConfig], Builtin]


def new_server(name: str, instructions: str) -> MCPServer:
    """An MCPServer that leaves the host's logging alone.

    MCPServer() calls logging.basicConfig(), which would configure the bot's root logger when nothing
    has yet (tests, `chatops say`). basicConfig does nothing when the root logger has a handler, so one
    is held there for the duration of the constructor.
    """
    root = logging.getLogger()
    placeholder = logging.NullHandler()
    added = not root.handlers
    if added:
        root.addHandler(placeholder)
    try:
        return MCPServer(name, instructions=instructions, log_level="WARNING")
    finally:
        if added:
            root.removeHandler(placeholder)


def provider(name: str) -> Callable[[ProviderFactory], ProviderFactory]:
    """Name a factory (`@provider("db")`), so the hub can list it as skipped and `chatops mcp serve db`
    can find it without building every provider."""

    def mark(factory: ProviderFactory) -> ProviderFactory:
        factory.provider_name = name  # type: ignore[attr-defined]  # the name travels on the function; factory_name() reads it
        return factory

    return mark


def factory_name(factory: ProviderFactory) -> str:
    return getattr(factory, "provider_name", factory.__name__.removeprefix("build_"))
