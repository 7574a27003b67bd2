"""Schema migrations (alembic), applied at start-up and by `chatops db upgrade`.

Revisions are numbered `NNNN` and live in `migrations/versions/NNNN_<slug>.py`; the highest number is
the head. Start-up compares it with the database's `alembic_version` first and imports alembic only
when there is something to apply, which keeps one-shot commands (`chatops say`) quick.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

_MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_ID = 0x636F7073  # any constant shared by every process of this app
HEAD = max(p.name.split("_", 1)[0] for p in (_MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


async def current_revision(conn: AsyncConnection) -> str | None:
    if conn.dialect.name == "postgresql":
        exists = (await conn.execute(text("SELECT to_regclass('alembic_version')"))).scalar()
    else:
        exists = (
            await conn.execute(text("SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"))
        ).scalar()
    if not exists:
        return None
    return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # two processes starting together must not both create the tables
            await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        if revision == "head" and await current_revision(conn) == HEAD:
            return
        from alembic import command

        await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))
