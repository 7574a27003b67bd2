"""`chatops check`: the effective configuration (secrets masked) and whether each service answers."""
from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable

from bot.adapters.platforms import PLATFORMS
from bot.adapters.probe import TIMEOUT, http_probe
from bot.app import StartupError, prepare_database
from bot.settings import Settings, describe
from bot.storage.engine import create_engine
from pool import Deployment, load_config, models_request

Probe = Callable[[], Awaitable[str]]


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
        found[f"llm {dep.name} ({dep.kind})"] = functools.partial(http_probe, url, headers)
    for platform in PLATFORMS:
        found.update(platform.probes(settings.sections()))
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
    from providers import ConfigFileError, Hub

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
    for (name, _), result in zip(checks.items(), results, strict=True):  # gather: one result per probe
        if isinstance(result, BaseException):
            failed += 1
            print(f"  FAIL  {name}: {result}")
        else:
            print(f"  ok    {name}: {result}")
    for name, on in (
        ("llm", bool(_deployments(settings))),
        *((p.name, p.configured(settings.sections())) for p in PLATFORMS if p.name != "console"),
    ):
        if not on:
            print(f"  -     {name}: not configured")
    return 1 if failed else 0
