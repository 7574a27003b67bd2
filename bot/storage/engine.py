"""The async engine: SQLite (WAL) by default, PostgreSQL when DATABASE_URL says so."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def async_url(url: str) -> URL:
    """Normalize a user-facing URL to the async driver; ValueError names what is wrong."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError("not a database URL (use sqlite:///path or postgresql://user@host/db)") from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ValueError(f"unsupported database {parsed.drivername!r} (use sqlite:///path or postgresql://user@host/db)")
    if driver.startswith("sqlite") and not parsed.database:
        raise ValueError("sqlite URL needs a file path, e.g. sqlite:///./data/chatops.db")
    return parsed.set(drivername=driver)


def masked_url(url: str) -> str:
    """A database URL with its password hidden (SQLAlchemy's rendering)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable)"


# the user-info part of any URL in a text: `scheme://user:password@` or `scheme://token@`
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/?#\s]*)@")


def masked_credentials(text: str) -> str:
    """`text` with the credentials of every URL in it hidden, whatever the URL's kind (masked_url
    generalised): `https://user:pass@host/v1` → `https://user:***@host/v1`, `https://token@host` →
    `https://***@host`. For anything printed that may hold a base URL (OPENAI_BASE_URL, SLACK_API_URL…).
    pool/errors.py applies the same rule to the LLM errors users see."""
    if "@" not in text:
        return text
    return _USERINFO.sub(_masked, text)


def _masked(m: re.Match[str]) -> str:
    user, colon, _ = m.group(2).partition(":")
    return f"{m.group(1)}{user}:***@" if colon else f"{m.group(1)}***@"


def backend_name(engine: AsyncEngine) -> str:
    return "postgresql" if engine.dialect.name == "postgresql" else "sqlite"


def create_engine(url: str, *, pool_size: int = 10, connect_args: dict[str, Any] | None = None) -> AsyncEngine:
    u = async_url(url)
    if u.drivername.startswith("sqlite"):
        if u.database and u.database != ":memory:":
            Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(u, connect_args={"timeout": 30, **(connect_args or {})})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        u, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, connect_args=connect_args or {}
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers (status page, analytics) run beside the one writer; NORMAL is durable in WAL
    # against a process crash, which is the failure the lease protocol is built for.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
