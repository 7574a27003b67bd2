"""`chatops check`: the effective configuration (secrets masked) and whether each service answers."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from bot.app import StartupError, prepare_database
from bot.settings import Settings, describe
from bot.storage.engine import create_engine
from pool.config import Deployment
from pool.factory import load_config
from pool.probe import models_request

Probe = Callable[[], Awaitable[str]]
TIMEOUT = 5.0


async def _http_probe(url: str, headers: dict[str, str], method: str = "GET") -> str:
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        try:
            resp = await client.request(method, url, headers=headers)
        except httpx.HTTPError as e:
            raise RuntimeError(f"no answer from {url} ({type(e).__name__})") from None
    if resp.status_code in (401, 403):
        raise RuntimeError(f"{url} refused the credentials ({resp.status_code})")
    if resp.status_code >= 400:
        raise RuntimeError(f"{url} answered {resp.status_code}")
    return f"answered {resp.status_code}"


def probes(settings: Settings) -> dict[str, Probe]:
    """One probe per configured service; unconfigured services are listed as such, not probed."""
    found: dict[str, Probe] = {}

    async def database() -> str:
        engine = create_engine(settings.core.database_url)
        try:
            await prepare_database(engine, settings.core.database_url, migrate=False)
        except StartupError as e:
            raise RuntimeError(str(e)) from None
        finally:
            await engine.dispose()
        return f"connected ({engine.dialect.name})"

    found["database"] = database
    for dep in _deployments(settings):
        url, headers = models_request(dep)
        found[f"llm {dep.name} ({dep.kind})"] = lambda url=url, headers=headers: _http_probe(url, headers)
    if settings.slack.slack_bot_token:
        token = settings.slack.slack_bot_token.get_secret_value()
        found["slack"] = lambda: _http_probe(
            f"{str(settings.slack.slack_api_url).rstrip('/')}/auth.test", {"Authorization": f"Bearer {token}"}, "POST"
        )
    if settings.discord.discord_token:
        dtoken = settings.discord.discord_token.get_secret_value()
        found["discord"] = lambda: _http_probe(
            f"{str(settings.discord.discord_api_url).rstrip('/')}/users/@me", {"Authorization": f"Bot {dtoken}"}
        )
    if settings.github.github_token:
        gtoken = settings.github.github_token.get_secret_value()
        found["github"] = lambda: _http_probe(
            f"{str(settings.github.github_api_url).rstrip('/')}/rate_limit", {"Authorization": f"Bearer {gtoken}"}
        )
    if settings.mcp.configured():
        found["mcp"] = lambda: _mcp_probe(settings)
    return found


def _deployments(settings: Settings) -> list[Deployment]:
    """Every LLM deployment the bot would use: LLM_CONFIG_FILE's, or one per provider set in the environment."""
    try:
        return list(load_config(settings.llm).deployments)
    except ValueError:
        return []  # a bad file already stopped settings validation; nothing to probe


async def _mcp_probe(settings: Settings) -> str:
    """Mount every MCP server and make one cheap read call per built-in provider."""
    from providers.config import ConfigFileError
    from providers.hub import Hub

    try:
        async with Hub(settings.mcp) as hub:
            problems = [f"{s.name} {s.state}: {s.last_error}" for s in hub.states() if s.state != "up"]
            for tool, args in (("db.tables.list", {}), ("shopify.products.list", {"limit": 1})):
                if any(t.name == tool for t in hub.list_tools()):
                    r = await hub.call_tool(tool, args, timeout=TIMEOUT)
                    if not r.ok:
                        problems.append(f"{tool}: {r.error_code}: {r.error_message}")
            if problems:
                raise RuntimeError("; ".join(problems))
            return hub.summary()
    except ConfigFileError as e:
        raise RuntimeError(str(e)) from None


async def run_check(settings: Settings) -> int:
    rows = describe(settings)
    width = max(len(name) for name, _, _ in rows)
    print("Configuration (environment and .env; secrets hidden):")
    for name, value, _ in rows:
        print(f"  {name.ljust(width)}  {value}")
    print("\nServices:")
    checks = probes(settings)
    results = await asyncio.gather(*(p() for p in checks.values()), return_exceptions=True)
    failed = 0
    for (name, _), result in zip(checks.items(), results):
        if isinstance(result, BaseException):
            failed += 1
            print(f"  FAIL  {name}: {result}")
        else:
            print(f"  ok    {name}: {result}")
    for name, on in (
        ("llm", bool(_deployments(settings))),
        ("slack", settings.slack.enabled),
        ("discord", settings.discord.enabled),
        ("github", settings.github.enabled),
    ):
        if not on:
            print(f"  -     {name}: not configured")
    return 1 if failed else 0
