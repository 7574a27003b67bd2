"""/status: the bot's own health: uptime, version, storage, queue, recent executions, process."""
from __future__ import annotations

import time

from commands.context import Context
from commands.model import Reply, Section
from commands.registry import Arg, Args, Command
from reports.process import human_bytes, process_stats


def _duration(seconds: float) -> str:
    s = int(seconds)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return (f"{d}d " if d else "") + f"{h:02d}:{m:02d}:{s:02d}"


async def status_command(ctx: Context, args: Args) -> Reply:
    if args.get("section") == "pool":
        from commands.status_pool import pool_status

        return await pool_status(ctx)
    source = ctx.services.status
    stats = await source.execution_stats()
    proc = process_stats()
    by_status = ", ".join(f"{k.lower()} {v}" for k, v in sorted(stats.last_hour.items())) or "none"
    fields = [
        ("uptime", _duration(time.time() - source.started_at())),
        ("version", source.version()),
        ("database", stats.backend),
        ("queue", f"{stats.queue_depth} pending, {stats.running} running"),
        ("last hour", by_status),
        ("process", f"CPU {proc.cpu_percent:.1f}%, RSS {human_bytes(proc.rss_bytes)}, {proc.threads} threads"),
        ("LLM", ctx.services.llm.name if ctx.services.llm else "not configured"),
        ("MCP", ctx.services.mcp.summary() if ctx.services.mcp else "not configured"),
    ]
    pool = ctx.services.llm.status() if ctx.services.llm else None
    if pool is not None:
        from commands.status_pool import pool_summary

        at = next(i for i, (label, _) in enumerate(fields) if label == "LLM") + 1
        fields.insert(at, ("pool", pool_summary(pool)))
    if ctx.services.reports is not None:
        from commands.alerts import health_fields

        fields += await health_fields(ctx.services.reports, ctx.locale)
    return Reply(sections=[Section("", title="Status")], fields=fields)


COMMAND = Command(
    name="status", help="Show the bot's health: uptime, queue, recent executions, CPU and memory.", handler=status_command,
    args=(Arg("section", "pool: the LLM pool per deployment", required=False, choices=("pool",)),),
)
