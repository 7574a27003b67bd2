"""/status pool: per deployment breaker state, load, latency, errors, tokens and cost today."""
from __future__ import annotations

from commands.context import Context
from commands.model import Reply, Section
from pool.snapshot import PoolStatus


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f}"


def render_pool(status: PoolStatus) -> Reply:
    head = (
        f"slots {status.slots_busy}/{status.slots} busy, {status.queued} queued (limit {status.queue_limit})"
        if status.enabled
        else f"switched off after internal errors; back in {status.disabled_for:.0f}s (single-client path meanwhile)"
    )
    rows = [("deployment", "state", "in-flight", "queue", "p50/p95 ms", "errors", "tokens today", "cost today")]
    for d in status.deployments:
        state = d.state if d.state == "closed" else f"{d.state} ({d.retry_in:.0f}s)" if d.state == "open" else d.state
        rows.append((
            f"{d.name} ({d.kind}:{d.model})", state, f"{d.in_flight}/{d.max_concurrency}", str(d.waiting),
            f"{_ms(d.p50_ms)}/{_ms(d.p95_ms)}", f"{d.error_rate:.1%}", f"{d.tokens_in_today}+{d.tokens_out_today}",
            f"${d.cost_today:.4f}",
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    table = "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
    sections = [Section(f"{head}\n```\n{table}\n```", title="LLM pool")]
    if status.totals:
        lines = [f"{kind}/{model}: {n} requests, {tin}+{tout} tokens, ${cost:.4f}" for kind, model, n, tin, tout, cost in status.totals]
        sections.append(Section("\n".join(lines), title="Since start, per provider/model"))
    if status.budgets:
        lines = [f"{name}: ${spent:.4f} of ${limit:.2f}" for name, spent, limit in status.budgets]
        sections.append(Section("\n".join(lines), title="Budgets today"))
    return Reply(sections=sections)


def pool_summary(status: PoolStatus) -> str:
    """The one /status line: load, queue and circuits; `/status pool` has the table."""
    if not status.enabled:
        return f"switched off for {status.disabled_for:.0f}s (single-client path meanwhile)"
    open_ = [d.name for d in status.deployments if d.state == "open"]
    circuits = f"open: {', '.join(open_)}" if open_ else "all circuits closed"
    cost = sum(d.cost_today for d in status.deployments)
    return (
        f"{status.slots_busy}/{status.slots} slots busy, {status.queued} queued, {len(status.deployments)} deployments "
        f"({circuits}), ${cost:.4f} today · `/status pool` for details"
    )


async def pool_status(ctx: Context) -> Reply:
    llm = ctx.services.llm
    if llm is None:
        return Reply.text("No LLM is configured.", error=False)
    status = llm.status()
    if status is None:
        return Reply.text(f"The LLM pool is off (ENABLE_LLM_POOL=false): requests go straight to {llm.name}.")
    return render_pool(status)
