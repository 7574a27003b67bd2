"""MCP providers and the hub that mounts them. Knows nothing about chat.

The names below are the package's public surface: other rooms import them from `providers`, not from its
modules. They are loaded on first use (PEP 562), so `import providers` does not import mcp, SQLAlchemy or
githubkit until a name is used.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from providers.builtin import READ_ONLY as READ_ONLY
    from providers.builtin import Builtin as Builtin
    from providers.builtin import new_server as new_server
    from providers.config import ConfigFileError as ConfigFileError
    from providers.config import McpConfig as McpConfig
    from providers.config import ServerConfig as ServerConfig
    from providers.database import build_database as build_database
    from providers.github.client import GitHubClient as GitHubClient
    from providers.github.errors import GitHubError as GitHubError
    from providers.github.errors import NotFound as NotFound
    from providers.github.reader import GitHubReader as GitHubReader
    from providers.hub import Hub as Hub
    from providers.hub import UnknownTool as UnknownTool
    from providers.serve import serve_provider as serve_provider
    from providers.settings import MCPSettings as MCPSettings

# Where each public name lives; the TYPE_CHECKING block above says the same to mypy (a test keeps them equal).
_EXPORTS: dict[str, tuple[str, ...]] = {
    "providers.builtin": ("READ_ONLY", "Builtin", "new_server"),
    "providers.config": ("ConfigFileError", "McpConfig", "ServerConfig"),
    "providers.database": ("build_database",),
    "providers.github.client": ("GitHubClient",),
    "providers.github.errors": ("GitHubError", "NotFound"),
    "providers.github.reader": ("GitHubReader",),
    "providers.hub": ("Hub", "UnknownTool"),
    "providers.serve": ("serve_provider",),
    "providers.settings": ("MCPSettings",),
}
_HOME = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "READ_ONLY",
    "Builtin",
    "ConfigFileError",
    "GitHubClient",
    "GitHubError",
    "GitHubReader",
    "Hub",
    "MCPSettings",
    "NotFound",
    "McpConfig",
    "ServerConfig",
    "UnknownTool",
    "build_database",
    "new_server",
    "serve_provider",
]

if not TYPE_CHECKING:  # hidden from mypy, which would otherwise type every unknown `providers.X` as Any

    def __getattr__(name: str) -> Any:
        module = _HOME.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later look-ups skip this hook
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
