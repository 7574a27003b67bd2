"""The web surfaces behind sign-in, through the real app (httpx's ASGI transport): which routes answer
whom, the login form round trip, one-time links from `/access link`, revocation, STATUS_PUBLIC, and the
platform routes left to their own signatures."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.app import Bot, open_bot
from bot.http import build_http_app
from bot.storage.tokens import TokenStore
from bot.web_auth import COOKIE, WebAuth
from pool.fake import FakeLLM
from tests.conftest import SettingsFactory

ORIGIN = "http://bot"
HTML = {"Accept": "text/html,application/xhtml+xml"}


def refused(reason: str) -> float:
    return REGISTRY.get_sample_value("chatops_access_refused_total", {"reason": reason}) or 0.0


async def hook(_: Request) -> Response:
    return PlainTextResponse("signed elsewhere")


def client(bot: Bot, **kw: Any) -> httpx.AsyncClient:
    app = build_http_app(bot, [Route("/platform/hook", hook, methods=["POST"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN, **kw)


@pytest.fixture
async def open_bot_public(make_settings: SettingsFactory, db_url: str, fake_llm: FakeLLM) -> AsyncIterator[Bot]:
    settings = make_settings(core={"database_url": db_url, "status_public": True},
                             llm={"openai_base_url": fake_llm.url})
    async with open_bot(settings) as b:
        yield b


async def test_without_a_token_the_surfaces_are_closed_and_the_open_routes_stay_open(bot: Bot) -> None:
    before = refused("web_unauthenticated")
    async with client(bot) as c:
        for path in ("/api/metrics/current", "/api/workers/status", "/charts/latency.png", "/metrics", "/api/audit"):
            r = await c.get(path)
            assert r.status_code == 401, path
            assert r.headers["www-authenticate"].startswith("Bearer") and "/login" in r.json()["error"]
        page = await c.get("/?window=7d", headers=HTML)
        assert page.status_code == 303 and page.headers["location"] == "/login?next=%2F%3Fwindow%3D7d"
        assert (await c.get("/health")).status_code == 200
        assert (await c.get("/ready")).status_code == 200
        assert (await c.post("/platform/hook")).text == "signed elsewhere"  # its own signature guards it
        assert (await c.get("/nowhere")).status_code == 401  # a route added later is closed until opened
        ja = await c.get("/api/metrics/current", headers={"Accept-Language": "ja,en;q=0.5"})
        assert "サインイン" in ja.json()["error"]
    assert refused("web_unauthenticated") - before == 8


async def test_a_viewer_token_reads_the_surfaces_but_not_the_audit_and_revocation_closes_them(bot: Bot) -> None:
    tokens = bot.access.tokens
    viewer = await tokens.create("grafana", "viewer", "console:ops")
    admin = await tokens.create("auditor", "admin", "console:ops")
    async with client(bot, headers={"Authorization": f"Bearer {viewer}"}) as c:
        assert (await c.get("/api/metrics/current")).status_code == 200
        assert (await c.get("/metrics")).status_code == 200
        page = await c.get("/")
        assert page.status_code == 200 and "grafana (viewer)" in page.text
        audit = await c.get("/api/audit")
        assert audit.status_code == 403 and audit.json()["needs"] == "admin" and "admin" in audit.json()["error"]
    async with client(bot, headers={"Authorization": f"Bearer {admin}"}) as c:
        entries = (await c.get("/api/audit?since=1h")).json()["entries"]
        assert {(e["action"], e["target"]) for e in entries} >= {("tokens.create", "grafana"), ("tokens.create", "auditor")}
        assert (await c.get("/api/audit?limit=0")).status_code == 400
    assert await tokens.revoke("grafana", "console:ops") == 1
    async with client(bot, headers={"Authorization": f"Bearer {viewer}"}) as c:  # a new process, say
        assert (await c.get("/api/metrics/current")).status_code == 401


async def test_a_revoked_token_stops_working_in_a_running_app_within_the_cache_time(bot: Bot) -> None:
    now = [0.0]

    async def ok(_: Request) -> Response:
        return PlainTextResponse("in")

    tokens = TokenStore(bot.store.engine)
    auth = WebAuth(Starlette(routes=[Route("/x", ok)]), tokens, public=(), status_public=False, locale="en",
                   clock=lambda: now[0])
    secret = await tokens.create("ci", "viewer", "console:ops")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=auth), base_url=ORIGIN,
                                 headers={"Authorization": f"Bearer {secret}"}) as c:
        assert (await c.get("/x")).text == "in"
        await tokens.revoke("ci", "console:ops")
        now[0] = 4.0
        assert (await c.get("/x")).status_code == 200  # trusted for CACHE_S: a page loads four charts
        now[0] = 6.0
        assert (await c.get("/x")).status_code == 401


async def test_signing_in_with_a_token_keeps_an_httponly_session_and_signing_out_ends_it(bot: Bot) -> None:
    secret = await bot.access.tokens.create("alice-laptop", "viewer", "console:ops")
    async with client(bot, headers=HTML) as c:
        form = await c.get("/login?next=/%3Fwindow%3D1h")
        assert form.status_code == 200 and "name='token'" in form.text and "value='/?window=1h'" in form.text
        bad = await c.post("/login", data={"token": "chatops_wrong", "next": "/"}, headers={"Origin": ORIGIN})
        assert bad.status_code == 401 and "not valid" in bad.text and COOKIE not in c.cookies
        elsewhere = await c.post("/login", data={"token": secret}, headers={"Origin": "http://evil.example"})
        assert elsewhere.status_code == 403 and COOKIE not in c.cookies
        ok = await c.post("/login", data={"token": secret, "next": "/?window=1h"}, headers={"Origin": ORIGIN})
        assert ok.status_code == 303 and ok.headers["location"] == "/?window=1h"
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # plain http here
        assert c.cookies[COOKIE] != secret  # the browser holds a session, not the token
        page = await c.get("/")
        assert page.status_code == 200 and "alice-laptop (browser) (viewer)" in page.text and "/logout" in page.text
        out = await c.post("/logout", headers={"Origin": ORIGIN})
        assert out.status_code == 303 and COOKIE not in c.cookies
        session = out.request.headers["cookie"].split("=", 1)[1]
        assert await bot.access.tokens.check(session) is None
        assert (await c.get("/")).status_code == 303


async def test_login_never_redirects_off_the_site(bot: Bot) -> None:
    secret = await bot.access.tokens.create("bob", "viewer", "console:ops")
    async with client(bot) as c:
        for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
            r = await c.post("/login", data={"token": secret, "next": target}, headers={"Origin": ORIGIN})
            assert r.status_code == 303 and r.headers["location"] == "/", target


async def test_a_login_link_signs_in_once_with_the_askers_role_and_only_on_a_click(bot: Bot) -> None:
    url = await bot.access.login_link("slack:T00FAKETEAM/U00OPS", "operator")
    assert url is not None and url.startswith("http://127.0.0.1:8000/login/link/")
    path = url.removeprefix("http://127.0.0.1:8000")
    before = refused("web_link")
    async with client(bot, headers={**HTML, "Accept-Language": "ja"}) as c:
        preview = await c.get(path)  # what Slack's unfurler sees: a button, no session, the link still good
        assert preview.status_code == 200 and "サインイン" in preview.text and COOKIE not in c.cookies
        used = await c.post(path, headers={"Origin": ORIGIN})
        assert used.status_code == 303 and COOKIE in c.cookies
        page = await c.get("/")
        assert "slack:T00FAKETEAM/U00OPS（operator）" in page.text
        assert (await c.get("/api/audit")).status_code == 403  # an operator, not an admin
        c.cookies.clear()
        again = await c.post(path, headers={"Origin": ORIGIN})
        assert again.status_code == 400 and COOKIE not in c.cookies
    assert refused("web_link") - before == 1
    logins = [e for e in await bot.access.audit(actor="slack:T00FAKETEAM/U00OPS", since=0, before=None, limit=10)
              if e.action == "web.login"]
    assert len(logins) == 1


async def test_status_public_opens_the_page_and_charts_but_never_the_audit_or_metrics(open_bot_public: Bot) -> None:
    async with client(open_bot_public) as c:
        page = await c.get("/", headers=HTML)
        assert page.status_code == 200 and "/logout" not in page.text
        assert (await c.get("/api/metrics/current")).status_code == 200
        assert (await c.get("/api/audit")).status_code == 401
        assert (await c.get("/metrics")).status_code == 401
