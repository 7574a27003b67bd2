"""/status: the bot's own health: uptime, version, storage, queue, recent executions, process."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from commands.context import Context
from commands.messages import t
from commands.model import Reply, Section
from commands.registry import Arg, Args, Command
from reports import human_bytes, process_stats

if TYPE_CHECKING:
    from providers import Hub

# Execution and MCP server states as stored → their catalog key; a state not listed is shown as stored
_EXECUTION_STATES = {
    "PENDING": "status.state_pending", "RUNNING": "status.state_running",
    "COMPLETED": "status.state_completed", "FAILED": "status.state_failed",
}
_MCP_STATES = {
    "starting": "status.mcp_starting", "up": "status.mcp_up", "down": "status.mcp_down", "stopped": "status.mcp_stopped",
}


def _duration(seconds: float, locale: str) -> str:
    s = int(seconds)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return (t("status.days", locale, days=d) if d else "") + f"{h:02d}:{m:02d}:{s:02d}"


def _last_hour(counts: dict[str, int], locale: str) -> str:
    """`completed 3, failed 1`: an Execution status the catalog does not know is shown as stored."""
    parts = []
    for status, n in sorted(counts.items()):
        key = _EXECUTION_STATES.get(status)
        state = t(key, locale) if key else status.lower()
        parts.append(t("status.count", locale, state=state, n=n))
    return t("list_separator", locale).join(parts) or t("status.none", locale)


def mcp_summary(hub: Hub, locale: str) -> str:
    """One line for /status: `db up (3 tools), time up (2 tools, 1 restart), shopify not configured`."""
    parts = []
    for s in hub.states():
        key = _MCP_STATES.get(s.state)
        state = t(key, locale) if key else s.state
        if not s.restarts:
            restarts = ""
        elif s.restarts == 1:
            restarts = t("status.mcp_restart", locale)
        else:
            restarts = t("status.mcp_restarts", locale, n=s.restarts)
        parts.append(t("status.mcp_server", locale, name=s.name, state=state, tools=s.tools, restarts=restarts))
    parts.extend(t("status.mcp_skipped", locale, name=n) for n in hub.skipped)
    return t("list_separator", locale).join(parts) or t("status.mcp_none", locale)


async def status_command(ctx: Context, args: Args) -> Reply:
    if args.get("section") == "pool":
        from commands.status_pool import pool_status

        return await pool_status(ctx)
    locale = ctx.locale
    source = ctx.services.status
    stats = await source.execution_stats()
    proc = process_stats()
    llm, mcp = ctx.services.llm, ctx.services.mcp
    fields = [
        (t("status.uptime", locale), _duration(time.time() - source.started_at(), locale)),
        (t("status.version", locale), source.version()),
        (t("status.database", locale), stats.backend),
        (t("status.queue", locale), t("status.queue_value", locale, pending=stats.queue_depth, running=stats.running)),
        (t("status.last_hour", locale), _last_hour(stats.last_hour, locale)),
        (
            t("status.process", locale),
            t("status.process_value", locale, cpu=proc.cpu_percent, rss=human_bytes(proc.rss_bytes), threads=proc.threads),
        ),
        (t("status.llm", locale), llm.name if llm else t("status.not_configured", locale)),
    ]
    pool = llm.status() if llm else None
    if pool is not None:
        from commands.status_pool import pool_summary

        fields.append((t("status.pool", locale), pool_summary(pool, locale)))
    fields.append((t("status.mcp", locale), mcp_summary(mcp, locale) if mcp else t("status.not_configured", locale)))
    if ctx.services.reports is not None:
        from commands.alerts import health_fields

        fields += await health_fields(ctx.services.reports, locale)
    return Reply(sections=[Section("", title=t("status.title", locale))], fields=fields)


COMMAND = Command(
    name="status", help=t("help.status"), handler=status_command,
    args=(Arg("section", t("help.status.section"), required=False, choices=("pool",)),),
)
