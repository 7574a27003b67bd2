"""/noop: does nothing and says so. Hidden; the spine benchmark and the worker tests use it."""
from __future__ import annotations

import asyncio

from commands.context import Context
from commands.model import Reply
from commands.registry import Arg, Args, Command


async def noop_command(ctx: Context, args: Args) -> Reply:
    delay = float(args.get("seconds") or 0)
    if delay:
        await ctx.progress(Reply.text(f"noop {ctx.execution_id}: waiting {delay:g}s"))
        await asyncio.sleep(delay)
    return Reply.text(f"noop {ctx.execution_id}")


COMMAND = Command(
    name="noop",
    help="Do nothing (benchmarks and tests); optionally wait some seconds first, showing progress.",
    handler=noop_command,
    args=(Arg("seconds", "seconds to wait", required=False, bounds=(0, 60)),),
    hidden=True,
)
