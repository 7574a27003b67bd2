"""/status pool: per deployment breaker state, load, latency, errors, tokens and cost today."""
from __future__ import annotations

import unicodedata

from commands.context import Context
from commands.messages import t
from commands.model import Reply, Section
from pool import DeploymentStatus, PoolStatus

_COLUMNS = ("status.col_deployment", "status.col_state", "status.col_in_flight", "status.col_queue",
            "status.col_latency", "status.col_errors", "status.col_tokens", "status.col_cost")


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f}"


def _width(text: str) -> int:
    """Columns in a monospace font: CJK characters take two, so Japanese headers line up."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _state(d: DeploymentStatus, locale: str) -> str:
    if d.state == "closed":
        return t("status.breaker_closed", locale)
    if d.state == "open":
        return t("status.breaker_open", locale, seconds=d.retry_in)
    if d.state == "half-open":
        return t("status.breaker_half_open", locale)
    return d.state


def render_pool(status: PoolStatus, locale: str = "en") -> Reply:
    head = (
        t("status.pool_head", locale, busy=status.slots_busy, slots=status.slots, queued=status.queued, limit=status.queue_limit)
        if status.enabled
        else t("status.pool_head_off", locale, seconds=status.disabled_for)
    )
    rows = [tuple(t(c, locale) for c in _COLUMNS)]
    for d in status.deployments:
        rows.append((
            f"{d.name} ({d.kind}:{d.model})", _state(d, locale), f"{d.in_flight}/{d.max_concurrency}", str(d.waiting),
            f"{_ms(d.p50_ms)}/{_ms(d.p95_ms)}", f"{d.error_rate:.1%}", f"{d.tokens_in_today}+{d.tokens_out_today}",
            f"${d.cost_today:.4f}",
        ))
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]  # every row: one cell per column
    table = "\n".join("  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)
    sections = [Section(f"{head}\n```\n{table}\n```", title=t("status.pool_title", locale))]
    if status.totals:
        lines = [
            t("status.totals_line", locale, kind=kind, model=model, n=n, tokens_in=tin, tokens_out=tout, cost=cost)
            for kind, model, n, tin, tout, cost in status.totals
        ]
        sections.append(Section("\n".join(lines), title=t("status.totals_title", locale)))
    if status.budgets:
        lines = [t("status.budget_line", locale, name=name, spent=spent, limit=limit) for name, spent, limit in status.budgets]
        sections.append(Section("\n".join(lines), title=t("status.budgets_title", locale)))
    return Reply(sections=sections)


def pool_summary(status: PoolStatus, locale: str = "en") -> str:
    """The one /status line: load, queue and circuits; `/status pool` has the table."""
    if not status.enabled:
        return t("status.pool_summary_off", locale, seconds=status.disabled_for)
    open_ = [d.name for d in status.deployments if d.state == "open"]
    circuits = t("status.circuits_open", locale, names=", ".join(open_)) if open_ else t("status.circuits_closed", locale)
    return t(
        "status.pool_summary", locale, busy=status.slots_busy, slots=status.slots, queued=status.queued,
        deployments=len(status.deployments), circuits=circuits, cost=sum(d.cost_today for d in status.deployments),
    )


async def pool_status(ctx: Context) -> Reply:
    llm = ctx.services.llm
    if llm is None:
        return Reply.text(t("status.pool_no_llm", ctx.locale), error=False)
    status = llm.status()
    if status is None:
        return Reply.text(t("status.pool_off", ctx.locale, name=llm.name))
    return render_pool(status, ctx.locale)
