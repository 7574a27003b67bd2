"""/alerts list|ack <rule>|silence <rule> <minutes>, and the rendering of alert notices into messages.

The Ack and Silence buttons on an alert message come back as `/alerts ack <rule>` and
`/alerts silence <rule> 60` (see `Button`), so a click and a typed command take the same path.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from commands.access.identity import platform_user
from commands.context import Context
from commands.errors import UserError
from commands.messages import t
from commands.model import Button, Reply, Section
from commands.registry import Arg, Args, Command
from reports import Notice, ReportsService

SEVERITY_MARK = {"critical": "🔴", "warning": "🟠", "info": "🔵"}
MAX_SILENCE_MINUTES = 7 * 24 * 60


def clock_time(ts: float | None, zone: ZoneInfo) -> str:
    if ts is None:
        return "-"
    return dt.datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d %H:%M %Z")


def duration(seconds: float) -> str:
    s = int(max(0, seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    if h:
        return f"{h}h{m:02d}m" if m else f"{h}h"
    return (f"{m}m{s:02d}s" if s else f"{m}m") if m else f"{s}s"


def render_notice(notice: Notice, zone: ZoneInfo, locale: str = "en") -> Reply:
    """One alert group as a message: what fires, since when, ack/silence state, and the buttons."""
    rule = notice.rule
    if notice.action == "resolved":
        started = notice.started_at or notice.now
        head = f"✅ {t('alerts.resolved', locale)} · {rule.name}"
        body = t("alerts.resolved_after", locale, duration=duration(notice.now - started))
        footer = t("alerts.rule_footer", locale, rule=rule.name, repeat=duration(rule.repeat_seconds))
        return Reply(sections=[Section(body, title=head)], footer=footer)
    state = t("alerts.reminder" if notice.action == "reminder" else "alerts.firing", locale)
    head = f"{SEVERITY_MARK.get(rule.severity, '')} {state} [{rule.severity}] · {rule.name}".strip()
    lines = [f"• {a.summary} — {t('alerts.since', locale, time=clock_time(a.since, zone))}" for a in notice.alerts]
    if notice.acked_by:
        lines.append(t("alerts.acked", locale, user=platform_user(notice.acked_by), time=clock_time(notice.acked_at, zone)))
    buttons = []
    if not notice.acked_by:
        buttons = [
            Button(label=t("alerts.btn_ack", locale), action="alerts", value=f"ack {rule.name}", style="primary"),
            Button(label=t("alerts.btn_silence", locale), action="alerts", value=f"silence {rule.name} 60"),
        ]
    return Reply(
        sections=[Section("\n".join(lines), title=head)],
        buttons=buttons,
        footer=t("alerts.rule_footer", locale, rule=rule.name, repeat=duration(rule.repeat_seconds)),
    )


def service(ctx: Context) -> ReportsService:
    svc = ctx.services.reports
    if svc is None:
        raise UserError(t("health.not_enabled", ctx.locale))
    return svc


async def alerts_command(ctx: Context, args: Args) -> Reply:
    svc = service(ctx)
    action, rule_name = args.get("action", "list"), args.get("rule")
    zone, locale = svc.settings.zone, ctx.locale
    if action == "list":
        return await _list(svc, zone, locale)
    rules = ", ".join(f"`{r}`" for r in sorted(svc.alerts.rules))
    if not rule_name:
        raise UserError(t("alerts.needs_rule", locale, action=action, rules=rules))
    if rule_name not in svc.alerts.rules:
        raise UserError(t("alerts.unknown_rule", locale, rule=rule_name, rules=rules))
    now = svc.clock()
    if action == "ack":
        if await svc.alerts.store.ack(rule_name, ctx.requester, now) is None:
            raise UserError(t("alerts.not_firing", locale, rule=rule_name))
        return Reply.text(t("alerts.acked_ok", locale, rule=rule_name, user=platform_user(ctx.requester)))
    try:
        minutes = int(args.get("minutes", "60"))
    except ValueError:
        raise UserError(t("alerts.bad_minutes", locale)) from None
    if not 0 <= minutes <= MAX_SILENCE_MINUTES:
        raise UserError(t("alerts.bad_minutes", locale))
    until = now + minutes * 60 if minutes else None
    await svc.alerts.store.silence(rule_name, until, ctx.requester, now)
    if until is None:
        return Reply.text(t("alerts.unsilenced_ok", locale, rule=rule_name))
    return Reply.text(t("alerts.silenced_ok", locale, rule=rule_name, minutes=minutes, time=clock_time(until, zone)))


async def _list(svc: ReportsService, zone: ZoneInfo, locale: str) -> Reply:
    active = await svc.alerts.active()
    silences = await svc.alerts.silences()
    sections = []
    if active:
        lines = []
        for a in active:
            mark = SEVERITY_MARK.get(a.rule.severity, "")
            extra = f" · {t('alerts.acked', locale, user=platform_user(a.acked_by), time='')}".rstrip() if a.acked_by else ""
            lines.append(
                f"{mark} `{a.rule.name}` {a.state} — {a.rule.describe(a.value or 0.0, a.target)} "
                f"({t('alerts.since', locale, time=clock_time(a.since, zone))}){extra}"
            )
        sections.append(Section("\n".join(lines), title=t("alerts.title", locale)))
    else:
        sections.append(Section(t("alerts.none", locale), title=t("alerts.title", locale)))
    if silences:
        lines = [
            f"`{r}` — {t('alerts.silenced', locale, time=clock_time(g.silenced_until, zone))} ({g.silenced_by})"
            for r, g in sorted(silences.items())
        ]
        sections.append(Section("\n".join(lines), title=t("alerts.silences_title", locale)))
    return Reply(sections=sections, footer=f"{len(svc.alerts.rules)} rules: " + ", ".join(sorted(svc.alerts.rules)))


COMMAND = Command(
    name="alerts",
    help=t("help.alerts"),
    handler=alerts_command,
    args=(
        Arg("action", t("help.alerts.action"), required=False, choices=("list", "ack", "silence"), default="list"),
        Arg("rule", t("help.alerts.rule"), required=False),
        Arg("minutes", t("help.alerts.minutes"), required=False, default="60"),
    ),
)


async def health_fields(svc: ReportsService, locale: str) -> list[tuple[str, str]]:
    """The /status lines: the latest system sample (taken now if none is stored) and active alerts."""
    sample = await svc.current() or await svc.sampler.sample()
    v = sample.values
    parts = [
        t(label, locale, percent=v[key])
        for label, key in (
            ("health.cpu", "system.cpu_percent"), ("health.memory", "system.memory_percent"),
            ("health.disk", "system.disk_percent"),
        )
        if key in v
    ]
    if "system.load1" in v:
        parts.append(t("health.load", locale, load=v["system.load1"]))
    active = [a for a in await svc.alerts.active() if a.state == "firing"]
    alerts = ", ".join(
        f"{SEVERITY_MARK.get(a.rule.severity, '')}{a.rule.name}" + (f"[{a.target}]" if a.target else "") for a in active
    )
    return [
        (t("health.system", locale), t("list_separator", locale).join(parts) or t("health.no_sample", locale)),
        (t("health.alerts", locale), alerts or t("alerts.none", locale)),
    ]
