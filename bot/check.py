"""`chatops check`: the effective configuration (secrets masked) and whether each service answers."""
from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.adapters.platforms import PLATFORMS
from bot.adapters.probe import TIMEOUT, http_probe
from bot.app import StartupError, prepare_database
from bot.keys import PROVIDER_KEYS, SecretKeyError, with_stored_keys
from bot.settings import Settings, describe, secret_file_settings
from bot.storage.engine import create_engine, masked_credentials
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


async def _stored_keys(settings: Settings) -> tuple[Settings, list[str], str | None]:
    """The settings with the stored provider keys in place (what the bot would use), the stored names, and
    why they could not be read (None when they could). No value is ever returned for printing."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.storage.secrets import SecretStore

    engine = create_engine(settings.core.database_url)
    try:
        names = [s.name for s in await SecretStore(engine, None).list()]
        if names:
            llm = await with_stored_keys(settings.llm, engine, settings.keys)
            settings = Settings({**settings.sections(), "llm": llm})
        return settings, names, None
    except SecretKeyError as e:
        return settings, names, str(e)
    except (SQLAlchemyError, OSError):
        return settings, [], "the database did not answer (or is not migrated: `chatops db upgrade`)"
    finally:
        await engine.dispose()


def key_sources(settings: Settings, stored: list[str], env_file: str | Path | None) -> list[tuple[str, str]]:
    """(provider, where its key comes from): stored (encrypted), file, environment or not set; never a value."""
    from_files = secret_file_settings(env_file)
    rows = []
    for name, field in PROVIDER_KEYS.items():
        if name in stored:
            source = "stored (encrypted)"
        elif field.upper() in from_files:
            source = f"file ({field.upper()}_FILE)"
        elif getattr(settings.llm, field) is not None:
            source = "environment"
        else:
            source = "not set"
        rows.append((f"{name} ({field.upper()})", source))
    return rows


def _print(line: str) -> None:
    """Every line `chatops check` prints: a base URL's credentials (`https://user:pass@…`) never show."""
    print(masked_credentials(line))


async def run_check(settings: Settings, env_file: str | Path | None = ".env") -> int:
    settings, stored, key_problem = await _stored_keys(settings)
    rows = describe(settings)
    width = max(len(name) for name, _, _ in rows)
    _print("Configuration (environment, .env and stored keys; secrets hidden):")
    for name, value, _ in rows:
        _print(f"  {name.ljust(width)}  {value}")
    _print("\nProvider keys:")
    sources = key_sources(settings, stored, env_file)
    key_width = max(len(name) for name, _ in sources)
    for name, source in sources:
        _print(f"  {name.ljust(key_width)}  {source}")
    _print("\nServices:")
    checks = probes(settings)
    results = await asyncio.gather(*(p() for p in checks.values()), return_exceptions=True)
    failed = 0
    if key_problem is not None and stored:
        failed += 1
        _print(f"  FAIL  stored keys: {key_problem}")
    for (name, _), result in zip(checks.items(), results, strict=True):  # gather: one result per probe
        if isinstance(result, BaseException):
            failed += 1
            _print(f"  FAIL  {name}: {result}")
        else:
            _print(f"  ok    {name}: {result}")
    for name, on in (
        ("llm", bool(_deployments(settings))),
        *((p.name, p.configured(settings.sections())) for p in PLATFORMS if p.name != "console"),
    ):
        if not on:
            _print(f"  -     {name}: not configured")
    return 1 if failed else 0
