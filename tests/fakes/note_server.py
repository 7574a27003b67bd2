"""A writing MCP server over stdio for the exactly-once tests: `write` appends its text to a file (the
side effect, done first), then takes `NOTE_SLEEP` seconds to answer, so a worker can be killed mid-call;
with `NOTE_KEYS` set it also records the idempotency key each call carried in its `_meta`.

    python tests/fakes/note_server.py /path/to/effects.txt
"""
from __future__ import annotations

import asyncio
import os
import sys

from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("note", log_level="WARNING")
EFFECTS = sys.argv[1] if len(sys.argv) > 1 else os.devnull


@server.tool(name="write", description="Append a line to the notes file (changes things).")
async def write(text: str, ctx: Context) -> str:
    with open(EFFECTS, "a", encoding="utf-8") as f:
        f.write(text + "\n")
    keys = os.environ.get("NOTE_KEYS")  # where to record the idempotency key each call carried
    if keys:
        with open(keys, "a", encoding="utf-8") as f:
            f.write(str((ctx.request_context.meta or {}).get("chatops/idempotency_key")) + "\n")
    await asyncio.sleep(float(os.environ.get("NOTE_SLEEP", "0")))
    return f"wrote {text!r}"


if __name__ == "__main__":
    server.run()  # stdio
