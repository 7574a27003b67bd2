"""The HTTP app: liveness, readiness and metrics; adapters add their routes (Slack, GitHub) here.

Everything but the platforms' signed endpoints, liveness/readiness and the sign-in pages sits behind
`WebAuth` (bot/web_auth.py): a token or a signed-in browser, with the role the route needs.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot import __version__
from bot.web_audit import audit_routes
from bot.web_auth import ASGIApp, WebAuth, auth_routes
from bot.web_status import status_routes

if TYPE_CHECKING:
    from bot.app import Bot


def build_http_app(bot: Bot, extra_routes: Sequence[BaseRoute] | None = None) -> ASGIApp:
    """The bot's routes and, by default, the platforms' (`open_bot(..., receive=True)`), behind the sign-in."""
    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def ready(_: Request) -> Response:
        checks: dict[str, str] = {}
        try:
            await bot.store.ping()
            checks["database"] = "ok"
        except Exception as e:  # the reason goes to the operator, not a stack trace
            checks["database"] = f"unreachable: {type(e).__name__}"
        for adapter in bot.outbounds.all():
            checks[adapter.platform] = "ok" if adapter.ready() else "not connected"
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    core = bot.settings.core
    access = bot.access
    platform_routes = list(bot.routes if extra_routes is None else extra_routes)
    public = {path for route in platform_routes if (path := getattr(route, "path", None))}
    auth = WebAuth(_starlette([]), access.tokens, public=public, status_public=core.status_public,
                   locale=bot.settings.reports.report_locale)
    auth.app = _starlette([
        *platform_routes,  # first: Starlette tries routes in order, and these are the acknowledgement paths
        Route("/health", health),
        Route("/ready", ready),
        Route("/metrics", metrics),
        *auth_routes(auth, secure_cookie=core.web_url().startswith("https://")),
        *audit_routes(access),
        *status_routes(bot),
    ])
    return auth


def metrics_app() -> ASGIApp:
    """The separate Prometheus listener (METRICS_PORT): `/metrics` only, no token."""
    async def metrics(_: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return _starlette([Route("/metrics", metrics)])


def _starlette(routes: list[BaseRoute]) -> Starlette:
    return Starlette(routes=routes)
