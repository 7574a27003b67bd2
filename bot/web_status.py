"""The status surface over HTTP: JSON for current metrics, history and workers, the report charts as
PNG, and `/`, a small server-rendered page that reloads itself. Read-only; no build step."""
from __future__ import annotations

import asyncio
import html
import re
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.adapters.messages import t
from bot.storage.reads import lease_holders
from bot.web_auth import web_locale
from commands.access.identity import platform_user
from commands.messages import language
from reports import WINDOWS, ReportsService

if TYPE_CHECKING:
    from bot.app import Bot
    from reports import ReportData

CHARTS = ("executions", "latency", "cost", "system")
CHART_CACHE_S = 30.0  # the page loads four charts at once: render the report once for all of them
HISTORY_POINTS = 240
_METRIC = re.compile(r"^[\w.:/\-*]{1,200}$")
DEFAULT_HISTORY = ("system.cpu_percent", "system.memory_percent")


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


def status_routes(bot: Bot) -> list[BaseRoute]:
    svc = bot.services.reports
    if svc is None:
        return []
    cache: dict[str, tuple[float, ReportData]] = {}
    lock = asyncio.Lock()

    async def report(window: str) -> ReportData:
        async with lock:
            hit = cache.get(window)
            if hit is None or time.monotonic() - hit[0] > CHART_CACHE_S:
                hit = (time.monotonic(), await svc.report(window, svc.settings.report_locale))
                cache[window] = hit
            return hit[1]

    async def current(_: Request) -> Response:
        return JSONResponse(await current_json(svc))

    async def history(request: Request) -> Response:
        window = request.query_params.get("window", "1h")
        if window not in WINDOWS:
            return _bad(f"window must be one of {', '.join(WINDOWS)}")
        metrics = request.query_params.getlist("metric") or list(DEFAULT_HISTORY)
        bad = [m for m in metrics if not _METRIC.match(m)]
        if bad or len(metrics) > 20:
            return _bad("metric names are letters, digits and . _ : / - (at most 20)")
        now = svc.clock()
        seconds = WINDOWS[window]
        step = max(svc.settings.health_interval, seconds / HISTORY_POINTS)
        series = {}
        for m in metrics:
            buckets = await svc.samples.history(m, now - seconds, now, step)
            series[m] = [{"t": b.start, "min": b.min, "avg": round(b.avg, 4), "max": b.max, "n": b.count} for b in buckets]
        return JSONResponse({"window": window, "step_s": step, "since": now - seconds, "until": now, "series": series})

    async def workers(_: Request) -> Response:
        return JSONResponse(await workers_json(bot, svc))

    async def chart(request: Request) -> Response:
        name = request.path_params["name"]
        window = request.query_params.get("window", "24h")
        if name not in CHARTS or window not in WINDOWS:
            return _bad(f"charts: {', '.join(CHARTS)}; windows: {', '.join(WINDOWS)}")
        data = await report(window)
        png = next(c.png for c in data.charts if c.name == name)
        return Response(png, media_type="image/png", headers={"Cache-Control": f"max-age={int(CHART_CACHE_S)}"})

    async def page(request: Request) -> Response:
        window = request.query_params.get("window", "24h")
        if window not in WINDOWS:
            window = "24h"
        locale = web_locale(request, svc.settings.report_locale)
        principal = request.scope.get("state", {}).get("principal")  # set by WebAuth
        who = None if principal is None else (principal.name, principal.role)
        return HTMLResponse(render_page(await current_json(svc), await workers_json(bot, svc), window, locale, who))

    return [
        Route("/api/metrics/current", current),
        Route("/api/metrics/history", history),
        Route("/api/workers/status", workers),
        Route("/charts/{name}.png", chart),
        Route("/", page),
    ]


async def current_json(svc: ReportsService) -> dict[str, Any]:
    sample = await svc.current()
    alerts = [
        {"rule": a.rule.name, "severity": a.rule.severity, "state": a.state, "target": a.target, "value": a.value,
         "since": a.since, "acked_by": a.acked_by, "silenced_until": a.silenced_until}
        for a in await svc.alerts.active()
    ]
    return {
        "ts": sample.ts if sample else None,
        "values": sample.values if sample else {},
        "text": sample.text if sample else {},
        "alerts": alerts,
    }


async def workers_json(bot: Bot, svc: ReportsService) -> dict[str, Any]:
    now = time.time()
    holders = await lease_holders(bot.store.engine)
    pending, running, _ = await bot.store.counts(now - 3600)
    sample = await svc.current()
    pool = {k.removeprefix("pool."): v for k, v in (sample.values if sample else {}).items() if k.startswith("pool.")}
    return {
        "instance": bot.instance,
        "queue": {"pending": pending, "running": running},
        "workers": [
            {"owner": h.owner, "running": h.running, "lease_expires_at": h.lease_expires_at,
             "alive": h.lease_expires_at is not None and h.lease_expires_at >= now}
            for h in holders
        ],
        "pool": pool,
        "sources": svc.sampler.source_names(),
    }


def _signed_in(who: tuple[str, str] | None, locale: str) -> str:
    if who is None:
        return ""
    name, role = (html.escape(w) for w in who)
    return (f"<form class='who' method='post' action='/logout'>{t('web.signed_in', locale, name=name, role=role)} "
            f"<button type='submit'>{t('web.sign_out', locale)}</button></form>")


def _value(v: float | None) -> str:
    return "" if v is None else f"= {v:g}"


def render_page(current: dict[str, Any], workers: dict[str, Any], window: str, locale: str = "en",
                who: tuple[str, str] | None = None) -> str:
    """The page; `who` (name, role) is the signed-in viewer, None when the page is open (STATUS_PUBLIC)."""
    esc = html.escape
    v = current["values"]
    shown = [(k, v[k]) for k in sorted(v) if k.startswith(("system.", "process.", "pool.", "executions."))]
    metrics = "".join(f"<tr><td>{esc(k)}</td><td>{val:,.2f}</td></tr>" for k, val in shown)
    alerts = "".join(
        f"<li class='{esc(a['severity'])}'><b>{esc(a['rule'])}</b> {esc(a['state'])} {esc(a['target'])} "
        f"{_value(a['value'])}"
        f"{t('web.acked_by', locale, user=esc(platform_user(a['acked_by']))) if a['acked_by'] else ''}</li>"
        for a in current["alerts"]
    ) or f"<li>{t('web.no_alerts', locale)}</li>"
    q = workers["queue"]
    links = " ".join(f"<a href='/?window={w}'>{w}</a>" for w in WINDOWS)
    imgs = "".join(f"<img src='/charts/{c}.png?window={window}' alt='{c}' width='800' height='360'>" for c in CHARTS)
    title = t("web.title", locale)
    summary = t("web.summary", locale, pending=q["pending"], running=q["running"], workers=len(workers["workers"]), links=links)
    return f"""<!doctype html>
<html lang="{language(locale)}"><head><meta charset="utf-8"><meta http-equiv="refresh" content="60">
<title>{title}</title>
<style>body{{font-family:sans-serif;margin:1em 2em}}td{{padding:0 1em 0 0}}.critical{{color:#c62828}}
.warning{{color:#ef6c00}}.who{{float:right}}img{{display:block;margin:.5em 0;max-width:100%}}</style></head>
<body>{_signed_in(who, locale)}<h1>{title}</h1>
<p>{summary}</p>
<h2>{t('web.alerts', locale)}</h2><ul>{alerts}</ul>
<h2>{t('web.charts', locale, window=esc(window))}</h2>{imgs}
<h2>{t('web.latest_sample', locale)}</h2><table>{metrics or f"<tr><td>{t('web.no_sample', locale)}</td></tr>"}</table>
</body></html>"""
