"""The tables `reports/` reads and writes, as SQLAlchemy Core.

`reports/` must not import `bot/`, so it declares here the columns it needs: its own tables (created by
migration 0006 in bot/storage/migrations) and a read-only view of the `execution` table. A test checks
these against the migrated schema.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Float, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

metadata = MetaData()

SAMPLE = Table(
    "health_sample",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ts", Float, nullable=False),
    Column("metric", String(200), nullable=False),
    Column("value", Float, nullable=False),
    Index("ix_health_sample_metric_ts", "metric", "ts"),
    Index("ix_health_sample_ts", "ts"),
)

ALERT_INSTANCE = Table(
    "alert_instance",
    metadata,
    Column("rule", String(100), primary_key=True),
    Column("target", String(200), primary_key=True),
    Column("state", String(16), nullable=False),  # pending | firing | resolved
    Column("value", Float),
    Column("pending_since", Float),
    Column("fired_at", Float),
    Column("resolved_at", Float),
    Column("updated_at", Float, nullable=False),
)

ALERT_GROUP = Table(
    "alert_group",
    metadata,
    Column("rule", String(100), primary_key=True),
    Column("state", String(16), nullable=False),  # firing | resolved
    Column("started_at", Float),
    Column("last_sent_at", Float),
    Column("resolved_at", Float),
    Column("refs", JSON, nullable=False),  # {"slack:C1": "<message ts>", …}: the message updated in place
    Column("members", JSON, nullable=False),  # targets shown in the message, to notice a change
    Column("rendered", String(64)),  # digest of what the message shows (members, ack); a change edits it
    Column("acked_by", String(255)),
    Column("acked_at", Float),
    Column("silenced_until", Float),
    Column("silenced_by", String(255)),
    Column("updated_at", Float, nullable=False),
)

# Read-only view of the spine's table (owned by bot/storage/models.py).
EXECUTION = Table(
    "execution",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("kind", String(64)),
    Column("trigger", String(32)),
    Column("status", String(16)),
    Column("provider", String(64)),
    Column("model", String(128)),
    Column("tokens_in", Integer),
    Column("tokens_out", Integer),
    Column("cost", Float),
    Column("latency_ms", Float),
    Column("error", Text),
    Column("created_at", Float),
    Column("lease_owner", String(128)),
)


class floor_nonneg(FunctionElement[float]):  # noqa: N801  (reads like the SQL function it stands for)
    """floor(x) for x ≥ 0, native on both databases.

    SQLAlchemy's pysqlite dialect replaces SQLite's floor() with a Python callback on every connection,
    which costs a round trip into Python per row (and fails on NULL). On SQLite, CAST(x AS INTEGER)
    truncates, which is floor for non-negative x; PostgreSQL keeps its own floor().
    """

    type = Float()
    inherit_cache = True


@compiles(floor_nonneg)
def _floor_default(element: floor_nonneg, compiler: Any, **kw: Any) -> str:
    return f"floor({compiler.process(element.clauses, **kw)})"


@compiles(floor_nonneg, "sqlite")
def _floor_sqlite(element: floor_nonneg, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"
