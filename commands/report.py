"""/report [1h|24h|7d]: executions, latency, cost, system and alerts over a window, with four charts.

The same handler answers the scheduled hourly report (an Execution with trigger "schedule").
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from commands.alerts import clock_time, service
from commands.context import Context
from commands.messages import t
from commands.model import Image, Reply, Section
from commands.registry import Arg, Args, Command
from reports import Stat

if TYPE_CHECKING:  # reports.report imports matplotlib: only when a report is built
    from reports import ReportData


def _ms(v: float | None) -> str:
    return "-" if v is None else (f"{v / 1000:.2f}s" if v >= 1000 else f"{v:.0f}ms")


def _rate(s: Stat) -> str:
    return "-" if s.success_rate is None else f"{s.success_rate:.1%}"


def _table(stats: list[Stat], limit: int = 8) -> str:
    lines = [f"{'':<18} {'n':>6} {'ok':>7} {'p50':>7} {'p95':>7} {'tokens':>9} {'cost':>9}"]
    for s in stats[:limit]:
        lines.append(
            f"{s.key[:18]:<18} {s.count:>6} {_rate(s):>7} {_ms(s.p50_ms):>7} {_ms(s.p95_ms):>7} "
            f"{s.tokens_in + s.tokens_out:>9} {'$' + format(s.cost, '.4f'):>9}"
        )
    return "```\n" + "\n".join(lines) + "\n```"


def render_report(data: ReportData, locale: str = "en") -> Reply:
    a = data.analytics
    head = t("report.title", locale, window=data.window)
    period = f"{clock_time(data.since, data.zone)} → {clock_time(data.until, data.zone)}"
    sections = [Section(period, title=head)]
    if a.total.count:
        sections.append(Section(_table(a.by_command), title=t("report.by_command", locale)))
        if a.by_model:
            sections.append(Section(_table(a.by_model), title=t("report.by_model", locale)))
    else:
        sections.append(Section(t("report.no_executions", locale)))
    if data.anomalies:
        sections.append(Section("\n".join(f"• {f.text}" for f in data.anomalies), title=t("report.anomalies", locale)))
    if data.recommendations:
        sections.append(
            Section("\n".join(f"• {f.text}" for f in data.recommendations), title=t("report.recommendations", locale))
        )
    fields = [
        (
            t("report.executions", locale),
            t("report.executions_value", locale, count=a.total.count, rate=_rate(a.total), failed=a.total.failed),
        ),
        (t("report.latency", locale), f"p50 {_ms(a.total.p50_ms)}, p95 {_ms(a.total.p95_ms)}"),
        (
            t("report.tokens", locale),
            t("report.tokens_value", locale, tokens_in=a.total.tokens_in, tokens_out=a.total.tokens_out),
        ),
        (t("report.cost", locale), f"${a.total.cost:.4f}"),
    ]
    for metric, label in (("system.cpu_percent", "report.cpu"), ("system.memory_percent", "report.memory")):
        b = data.system.get(metric)
        if b is not None:
            fields.append((t(label, locale), t("report.load_value", locale, avg=b.avg, max=b.max)))
    images = [Image(c.png, c.title, f"{c.name}.png") for c in data.charts]
    return Reply(sections=sections, fields=fields, images=images)


async def report_command(ctx: Context, args: Args) -> Reply:
    svc = service(ctx)
    data = await svc.report(args.get("window", "1h"), ctx.locale)
    return render_report(data, ctx.locale)


COMMAND = Command(
    name="report",
    help=t("help.report"),
    handler=report_command,
    args=(Arg("window", t("help.report.window"), required=False, choices=("1h", "24h", "7d"), default="1h"),),
)
