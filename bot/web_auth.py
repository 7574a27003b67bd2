"""The web surfaces behind a sign-in: the status page, `/api/*`, `/charts/*` and `/metrics` answer only a
token (`Authorization: Bearer …`) or a signed-in browser (a session cookie), with the role each needs.

The platforms' own endpoints (`/slack/events`, `/github/webhook`, …) check their signatures and pass here
untouched, as do `/health` and `/ready` (load balancers) and the sign-in pages. A pure ASGI middleware,
so the acknowledgement paths pay one set lookup. Anything not listed as public needs at least a viewer:
a route added later is closed until someone opens it.

Refusals: a browser without a session is sent to `/login`; an API client gets 401 with
`WWW-Authenticate: Bearer`; a role too low gets 403 naming the role needed.
"""
from __future__ import annotations

import html
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.adapters.messages import t
from bot.gate import REFUSED
from bot.storage.tokens import SESSION_HOURS, Principal, TokenStore, session_name
from commands.access.policy import BUILTIN
from commands.messages import language

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]
COOKIE = "chatops_session"
ALWAYS_PUBLIC = frozenset({"/health", "/ready", "/login", "/logout"})
LINK_PREFIX = "/login/link/"
ADMIN_PATHS = ("/api/audit",)
CACHE_S = 5.0  # a checked secret is trusted this long: a page loads four charts, and revocation lands in 5 s


def required_role(path: str, public: frozenset[str], status_public: bool) -> str | None:
    """The least role that may GET `path`, or None when it is public."""
    if path in ALWAYS_PUBLIC or path in public or path.startswith(LINK_PREFIX):
        return None
    if path.startswith(ADMIN_PATHS):
        return "admin"
    if path == "/metrics":
        return "viewer"  # Prometheus scrapes with a token, or from METRICS_PORT on a private address
    return None if status_public else "viewer"


def role_reaches(role: str, needed: str) -> bool:
    rank = {r: i for i, r in enumerate(BUILTIN)}
    return rank.get(role, -1) >= rank[needed]


def web_locale(request: Request, default: str) -> str:
    """Japanese or English by the browser's Accept-Language (its first of the two), else the default."""
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("ja"):
            return "ja"
        if tag.startswith("en"):
            return "en"
    return default


class WebAuth:
    def __init__(self, app: ASGIApp, tokens: TokenStore, *, public: Iterable[str], status_public: bool,
                 locale: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.app, self.tokens, self.locale, self.clock = app, tokens, locale, clock
        self.public, self.status_public = frozenset(public), status_public
        self._seen: dict[str, tuple[float, Principal]] = {}

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        needed = required_role(path, self.public, self.status_public)
        if needed is None and path != "/":  # the platforms' signed routes, health, sign-in: nothing to look up
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        principal = await self.principal(request)
        if principal is not None:
            scope.setdefault("state", {})["principal"] = principal
        if needed is None:  # the page with STATUS_PUBLIC: open, naming whoever is signed in
            await self.app(scope, receive, send)
            return
        if principal is None:
            REFUSED.labels("web_unauthenticated").inc()
            await self._unauthenticated(request)(scope, receive, send)
            return
        if not role_reaches(principal.role, needed):
            REFUSED.labels("web_role").inc()
            locale = web_locale(request, self.locale)
            text = t("web.auth.forbidden", locale, role=needed)
            await JSONResponse({"error": text, "needs": needed}, status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def principal(self, request: Request) -> Principal | None:
        auth = request.headers.get("authorization", "")
        secret = auth[7:].strip() if auth[:7].lower() == "bearer " else request.cookies.get(COOKIE, "")
        if not secret:
            return None
        now = self.clock()
        hit = self._seen.get(secret)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = await self.tokens.check(secret)
        if found is None:
            self._seen.pop(secret, None)
            return None
        if len(self._seen) > 1000:
            self._seen.clear()
        self._seen[secret] = (now + CACHE_S, found)
        return found

    def forget(self, secret: str) -> None:
        self._seen.pop(secret, None)

    def _unauthenticated(self, request: Request) -> Response:
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={urllib.parse.quote(target, safe='')}", status_code=303)
        locale = web_locale(request, self.locale)
        return JSONResponse({"error": t("web.auth.needed", locale), "login": "/login"}, status_code=401,
                            headers={"WWW-Authenticate": 'Bearer realm="chatops"'})


def _safe_next(value: str | None) -> str:
    """Only a path on this site: never `//evil.example` or a full URL (an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _same_origin(request: Request) -> bool:
    """A form posted from another site (CSRF) carries its own Origin; browsers always send one on POST."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urllib.parse.urlsplit(origin).netloc == request.headers.get("host", "")


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body())[:8192]
    return dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))


def login_page(locale: str, *, next_path: str = "/", error: str | None = None, link: str | None = None) -> str:
    esc = html.escape
    title = t("web.auth.title", locale)
    problem = f"<p class='error' role='alert'>{esc(error)}</p>" if error else ""
    if link is not None:
        form = (f"<form method='post' action='{esc(LINK_PREFIX + link)}'><p>{t('web.auth.link_intro', locale)}</p>"
                f"<button type='submit'>{t('web.auth.sign_in', locale)}</button></form>")
    else:
        form = (f"<form method='post' action='/login'><input type='hidden' name='next' value='{esc(next_path)}'>"
                f"<label for='token'>{t('web.auth.token', locale)}</label> "
                f"<input id='token' name='token' type='password' autocomplete='off' required size='50'> "
                f"<button type='submit'>{t('web.auth.sign_in', locale)}</button></form>"
                f"<p>{t('web.auth.how', locale)}</p>")
    return f"""<!doctype html>
<html lang="{language(locale)}"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em}}.error{{color:#c62828}}input{{font-family:monospace}}</style></head>
<body><h1>{title}</h1>{problem}{form}</body></html>"""


def auth_routes(auth: WebAuth, *, secure_cookie: bool) -> list[BaseRoute]:
    tokens = auth.tokens

    def signed_in(secret: str, target: str) -> Response:
        resp = RedirectResponse(target, status_code=303)
        resp.set_cookie(COOKIE, secret, max_age=int(SESSION_HOURS * 3600), httponly=True, samesite="lax",
                        secure=secure_cookie, path="/")
        return resp

    def page(request: Request, status: int = 200, **kw: Any) -> Response:
        return HTMLResponse(login_page(web_locale(request, auth.locale), **kw), status_code=status)

    async def login(request: Request) -> Response:
        locale = web_locale(request, auth.locale)
        if request.method == "GET":
            return page(request, next_path=_safe_next(request.query_params.get("next")))
        if not _same_origin(request):
            return page(request, 403, error=t("web.auth.other_site", locale))
        form = await _form(request)
        target = _safe_next(form.get("next"))
        found = await tokens.check(form.get("token", "").strip())
        if found is None or found.kind != "token":
            REFUSED.labels("web_login").inc()
            return page(request, 401, next_path=target, error=t("web.auth.bad_token", locale))
        return signed_in(await tokens.open_session(session_name(found.name), found.role, None, "token"), target)

    async def link(request: Request) -> Response:
        secret = request.path_params["secret"]
        locale = web_locale(request, auth.locale)
        if request.method == "GET":  # link previews (Slack unfurls, mail scanners) fetch it: only a click signs in
            return page(request, link=secret)
        if not _same_origin(request):
            return page(request, 403, error=t("web.auth.other_site", locale))
        used = await tokens.use_link(secret)
        if used is None:
            REFUSED.labels("web_link").inc()
            return page(request, 400, error=t("web.auth.bad_link", locale))
        subject, role = used
        return signed_in(await tokens.open_session(subject, role, subject, "link"), "/")

    async def logout(request: Request) -> Response:
        secret = request.cookies.get(COOKIE, "")
        if request.method == "POST" and secret and _same_origin(request):
            await tokens.close_session(secret)
            auth.forget(secret)
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(COOKIE, path="/")
        return resp

    return [
        Route("/login", login, methods=["GET", "POST"]),
        Route(LINK_PREFIX + "{secret}", link, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["GET", "POST"]),
    ]
