"""The async engine: SQLite (WAL) by default, PostgreSQL when DATABASE_URL says so."""
from __future__ import annotations

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
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable)"


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
