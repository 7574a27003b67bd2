"""The pool's configuration as data: deployments, aliases and budgets, from the environment or TOML.

    [[deployment]]
    name = "openai-main"        # unique; the name in /status pool and on Execution rows
    kind = "openai"             # openai | anthropic | gemini | ollama
    base_url = "https://api.openai.com/v1"
    key_env = "OPENAI_API_KEY"  # or key = "…"
    model = "gpt-4o-mini"
    max_concurrency = 20
    weight = 1.0
    price_in = 0.15             # USD per million input tokens
    price_out = 0.60

    [aliases]
    fast = ["groq", "openai-main"]   # ordered candidates

    [budgets]                   # USD per UTC day; "*" applies to every key without its own line
    deployment = { "openai-main" = 5.0 }
    user = { "*" = 1.0 }
"""
from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pool import prices

KINDS = ("openai", "anthropic", "gemini", "ollama")
BUDGET_SCOPES = ("deployment", "user", "channel", "repo")
DEFAULT_ALIAS = "default"


@dataclass(frozen=True, slots=True)
class Deployment:
    name: str
    kind: str
    model: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    max_concurrency: int = 10
    weight: float = 1.0
    price_in: float | None = None
    price_out: float | None = None
    timeout: float = 60.0

    def price(self) -> prices.Price | None:
        if self.price_in is not None or self.price_out is not None:
            return (self.price_in or 0.0, self.price_out or 0.0)
        return prices.lookup(self.model)


@dataclass(frozen=True, slots=True)
class PoolConfig:
    deployments: tuple[Deployment, ...]
    aliases: dict[str, tuple[str, ...]]
    budgets: dict[str, dict[str, float]] = field(default_factory=dict)  # scope → key ("*" = each) → USD/day

    def deployment(self, name: str) -> Deployment:
        return next(d for d in self.deployments if d.name == name)

    def candidates(self, model: str | None) -> tuple[str, ...] | None:
        """The ordered deployment names for an alias or a deployment name; None when unknown."""
        key = model or DEFAULT_ALIAS
        if key in self.aliases:
            return self.aliases[key]
        if any(d.name == key for d in self.deployments):
            return (key,)
        return None

    def names(self) -> list[str]:
        return sorted(set(self.aliases) | {d.name for d in self.deployments})


def _env_aliases(names: list[str]) -> dict[str, tuple[str, ...]]:
    ordered = tuple(names)
    return {alias: ordered for alias in (DEFAULT_ALIAS, "fast", "smart", "review")} if names else {}


def from_env(s: Any) -> PoolConfig:
    """One deployment per provider the environment configures, tried in this order."""
    def secret(v: Any) -> str | None:
        return v.get_secret_value() if v is not None else None

    deps: list[Deployment] = []
    common = dict(max_concurrency=s.llm_pool_size, timeout=s.llm_timeout)
    if (base := s.openai_endpoint()) is not None:
        deps.append(Deployment("openai", "openai", s.llm_model, base, secret(s.openai_api_key), **common))
    if s.anthropic_api_key is not None or s.anthropic_base_url is not None:
        url = str(s.anthropic_base_url) if s.anthropic_base_url else None
        deps.append(Deployment("anthropic", "anthropic", s.anthropic_model, url, secret(s.anthropic_api_key), **common))
    if s.gemini_api_key is not None or s.gemini_base_url is not None:
        url = str(s.gemini_base_url) if s.gemini_base_url else None
        deps.append(Deployment("gemini", "gemini", s.gemini_model, url, secret(s.gemini_api_key), **common))
    if s.ollama_host is not None:
        deps.append(Deployment("ollama", "ollama", s.ollama_model, str(s.ollama_host), None, price_in=0, price_out=0, **common))
    return PoolConfig(tuple(deps), _env_aliases([d.name for d in deps]))


def read_toml(path: Path, keys: Mapping[str, str] | None = None) -> PoolConfig:
    """Parse and validate; every problem is a ValueError whose text names the entry at fault."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path} is not valid TOML: {e}") from None
    return parse(data, {**os.environ, **(keys or {})})


def parse(data: dict[str, Any], env: Mapping[str, str]) -> PoolConfig:
    unknown = set(data) - {"deployment", "aliases", "budgets"}
    if unknown:
        raise ValueError(f"unknown section(s) {', '.join(sorted(unknown))}; known: deployment, aliases, budgets")
    deps: list[Deployment] = []
    for i, raw in enumerate(data.get("deployment") or []):
        deps.append(_deployment(raw, i, env))
    if not deps:
        raise ValueError("no [[deployment]] entries")
    names = [d.name for d in deps]
    if len(set(names)) != len(names):
        raise ValueError(f"deployment names must be unique: {', '.join(names)}")
    aliases: dict[str, tuple[str, ...]] = {}
    for alias, members in (data.get("aliases") or {}).items():
        members = [members] if isinstance(members, str) else list(members)
        missing = [m for m in members if m not in names]
        if missing or not members:
            absent = ", ".join(missing) or "(none)"
            raise ValueError(f"alias {alias!r} names unknown deployment(s) {absent}; known: {', '.join(names)}")
        aliases[alias] = tuple(members)
    aliases.setdefault(DEFAULT_ALIAS, tuple(names))
    budgets: dict[str, dict[str, float]] = {}
    for scope, table in (data.get("budgets") or {}).items():
        if scope not in BUDGET_SCOPES:
            raise ValueError(f"unknown budget scope {scope!r}; known: {', '.join(BUDGET_SCOPES)}")
        if scope == "deployment" and (bad := [k for k in table if k not in names and k != "*"]):
            raise ValueError(f"budget for unknown deployment(s) {', '.join(bad)}")
        try:
            budgets[scope] = {str(k): float(v) for k, v in table.items()}
        except (TypeError, ValueError, AttributeError):
            raise ValueError(f"budgets.{scope} must map names to USD amounts") from None
    return PoolConfig(tuple(deps), aliases, budgets)


def _deployment(raw: object, index: int, env: Mapping[str, str]) -> Deployment:
    where = f"deployment #{index + 1}" + (f" ({raw['name']!r})" if isinstance(raw, dict) and "name" in raw else "")
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be a table")
    allowed = {
        "name", "kind", "model", "base_url", "key", "key_env", "max_concurrency", "weight", "price_in", "price_out", "timeout",
    }
    if extra := set(raw) - allowed:
        raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
    for required in ("name", "kind", "model"):
        if not raw.get(required):
            raise ValueError(f"{where}: missing {required}")
    if raw["kind"] not in KINDS:
        raise ValueError(f"{where}: unknown deployment kind {raw['kind']!r}; known: {', '.join(KINDS)}")
    key = raw.get("key")
    if key is None and raw.get("key_env"):
        key = env.get(raw["key_env"])
        if not key:
            raise ValueError(f"{where}: key_env {raw['key_env']} is not set")
    try:
        dep = Deployment(
            name=str(raw["name"]), kind=raw["kind"], model=str(raw["model"]), base_url=raw.get("base_url"),
            api_key=key, max_concurrency=int(raw.get("max_concurrency", 10)), weight=float(raw.get("weight", 1.0)),
            price_in=_opt_float(raw.get("price_in")), price_out=_opt_float(raw.get("price_out")),
            timeout=float(raw.get("timeout", 60.0)),
        )
    except (TypeError, ValueError):
        raise ValueError(f"{where}: max_concurrency, weight, prices and timeout must be numbers") from None
    if dep.max_concurrency < 1 or dep.weight <= 0 or dep.timeout <= 0:
        raise ValueError(f"{where}: max_concurrency must be at least 1, weight and timeout above 0")
    if (dep.price_in or 0) < 0 or (dep.price_out or 0) < 0:
        raise ValueError(f"{where}: prices cannot be negative")
    return dep


def _opt_float(v: Any) -> float | None:
    return None if v is None else float(v)
