"""`chatops mcp serve <name>`: one built-in provider as a standalone MCP server (stdio or streamable
HTTP), so any MCP client (Claude Desktop, an IDE, another bot) can use it."""
from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from providers.builtin import Builtin, NotConfigured, ProviderFactory, factory_name
from providers.config import ConfigFileError, load_config
from providers.settings import MCPSettings


def build_named(
    name: str, settings: MCPSettings, factories: Sequence[ProviderFactory] | None = None, *, github: Any = None
) -> Builtin:
    """`github`: the bot's GitHub settings (token or App), which MCPSettings does not hold."""
    from providers.github.provider import github_provider
    from providers.hub import BUILTIN_FACTORIES

    factories = BUILTIN_FACTORIES if factories is None else factories
    if github is not None:
        factories = [github_provider(github) if factory_name(f) == "github" else f for f in factories]
    by_name = {factory_name(f): f for f in factories}
    if name not in by_name:
        raise LookupError(f"no built-in provider {name!r}; known: {', '.join(sorted(by_name))}")
    return by_name[name](settings, load_config(settings.mcp_servers))


async def serve_provider(
    name: str, settings: MCPSettings, *, transport: str, host: str, port: int, github: Any = None
) -> int:
    try:
        builtin = build_named(name, settings, github=github)
    except (LookupError, NotConfigured, ConfigFileError) as e:
        print(f"error: {e}", file=sys.stderr)  # stdout belongs to the protocol in stdio mode
        return 2
    try:
        if transport == "stdio":
            await builtin.server.run_stdio_async()
        else:
            print(f"serving MCP provider {name} on http://{host}:{port}/mcp", file=sys.stderr)
            await builtin.server.run_streamable_http_async(host=host, port=port)
    finally:
        await builtin.aclose()
    return 0
