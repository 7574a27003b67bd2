"""The MCP_SERVERS file: external MCP servers to mount and named databases for the db.* tools.

TOML or JSON (by extension). `${NAME}` in `env`, `headers` and database URLs is replaced by the
environment variable NAME, so secrets stay out of the file. JSON may also use the `mcpServers` object
that other MCP clients use (`{"mcpServers": {"time": {"command": …}}}`).
"""
from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

_NAME = r"^[a-z][a-z0-9_-]{0,31}$"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigFileError(Exception):
    """The file is missing, unreadable or invalid; the text names the file and the entry."""


class ServerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_NAME)
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    # The operator vouches for these: MCP tool annotations come from the server and are only hints.
    read_only: bool = False
    read_only_tools: list[str] = Field(default_factory=list)
    timeout: float | None = Field(None, gt=0)
    enabled: bool = True

    @model_validator(mode="after")
    def _one_transport(self) -> ServerConfig:
        if (self.command is None) == (self.url is None):
            raise ValueError("give either `command` (stdio) or `url` (streamable HTTP)")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError("`url` must start with http:// or https://")
        return self

    @property
    def transport(self) -> str:
        return "stdio" if self.command is not None else "http"

    def tool_is_read_only(self, tool: str) -> bool:
        return self.read_only or tool in self.read_only_tools


class McpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    servers: list[ServerConfig] = Field(default_factory=list)
    databases: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self) -> McpConfig:
        seen: set[str] = set()
        for s in self.servers:
            if s.name in seen:
                raise ValueError(f"server {s.name!r} is listed twice")
            seen.add(s.name)
        for name in self.databases:
            if not re.match(_NAME, name):
                raise ValueError(f"database name {name!r} must match {_NAME}")
        return self


def _expand(value: str, where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in os.environ:
            raise ConfigFileError(f"{where}: environment variable {m.group(1)} is not set")
        return os.environ[m.group(1)]

    return _VAR.sub(sub, value)


def parse_config(raw: dict[str, Any], source: str = "MCP_SERVERS") -> McpConfig:
    raw = dict(raw)
    if "mcpServers" in raw:  # the shape other MCP clients use
        extra = [{"name": k, **v} for k, v in raw.pop("mcpServers").items()]
        raw["servers"] = [*raw.get("servers", []), *extra]
    try:
        config = McpConfig.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise ConfigFileError(f"{source}: {loc}: {err['msg'].removeprefix('Value error, ')}") from None
    servers = [
        s.model_copy(update={
            "env": {k: _expand(v, f"{source}: {s.name}.env.{k}") for k, v in s.env.items()},
            "headers": {k: _expand(v, f"{source}: {s.name}.headers.{k}") for k, v in s.headers.items()},
        })
        for s in config.servers
        if s.enabled
    ]
    databases = {k: _expand(v, f"{source}: databases.{k}") for k, v in config.databases.items()}
    return McpConfig(servers=servers, databases=databases)


def load_config(path: Path | None) -> McpConfig:
    if path is None:
        return McpConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigFileError(f"MCP_SERVERS: cannot read {path}: {e.strerror}") from None
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as e:
        raise ConfigFileError(f"MCP_SERVERS: {path} is not valid {path.suffix.lstrip('.') or 'TOML'}: {e}") from None
    if not isinstance(raw, dict):
        raise ConfigFileError(f"MCP_SERVERS: {path} must hold an object/table at the top")
    return parse_config(raw, str(path))
