"""The one result shape every provider call returns, and the failure a tool raises on purpose.

    ToolFailure(code, message)       raised inside a tool; travels over MCP as "[code] message"
    ToolResult                       what the hub returns for every call, built-in or external

Error codes (stable, for callers and logs):
    refused             the request was understood and rejected (non-SELECT SQL, writing tool denied)
    invalid_arguments   the arguments do not match the tool's input schema
    unknown_tool        no mounted server offers this tool
    not_configured      the provider lacks settings (token, URL)
    not_found           the upstream object does not exist
    unauthorized        the upstream rejected the credentials
    rate_limited        the upstream kept answering 429 after the allowed retries
    upstream_error      the upstream failed (5xx, bad answer)
    unreachable         the upstream or the server could not be reached
    timeout             no answer within the hub's timeout
    server_down         the MCP server is not running (and could not be restarted)
    tool_error          the tool failed without a code (external servers)
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

REFUSED = "refused"
INVALID_ARGUMENTS = "invalid_arguments"
UNKNOWN_TOOL = "unknown_tool"
NOT_CONFIGURED = "not_configured"
NOT_FOUND = "not_found"
UNAUTHORIZED = "unauthorized"
RATE_LIMITED = "rate_limited"
UPSTREAM_ERROR = "upstream_error"
UNREACHABLE = "unreachable"
TIMEOUT = "timeout"
SERVER_DOWN = "server_down"
TOOL_ERROR = "tool_error"


class ToolFailure(ToolError):
    """An anticipated failure inside a tool. The MCP SDK sends its text to the client, so the code
    rides in the text ("[refused] only SELECT is allowed: found DELETE") and the hub parses it back."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ToolResult:
    ok: bool
    provider: str
    tool: str
    elapsed_ms: float
    data: Any = None
    error_code: str | None = None
    error_message: str | None = None

    @classmethod
    def failure(cls, provider: str, tool: str, code: str, message: str, elapsed_ms: float = 0.0) -> ToolResult:
        return cls(False, provider, tool, elapsed_ms, None, code, message)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_CODED = re.compile(r"\[([a-z_]+)\] (.*)", re.S)


def parse_error_text(text: str) -> tuple[str, str]:
    """'Error executing tool db.query: [refused] only SELECT…' → ('refused', 'only SELECT…')."""
    m = _CODED.search(text)
    if m:
        return m.group(1), m.group(2)
    if "validation error" in text:
        return INVALID_ARGUMENTS, text
    if text.startswith("Unknown tool"):
        return UNKNOWN_TOOL, text
    return TOOL_ERROR, text


def content_data(structured: Any, texts: list[str]) -> Any:
    """The payload of a successful call: structured content when the server sent it, else the text
    parsed as JSON when it is JSON, else the text itself."""
    if structured is not None:
        # the SDK wraps non-object return values as {"result": value}
        if isinstance(structured, dict) and list(structured) == ["result"]:
            return structured["result"]
        return structured
    joined = "\n".join(texts)
    try:
        return json.loads(joined)
    except ValueError:
        return joined
