"""The database provider: `db.query` (SELECT only), `db.tables.list`, `db.schema.get`.

Two locks keep it read-only. The query must pass `sqlguard.check_select` (parsing), and it runs on a
connection that cannot write: SQLite opened as a `mode=ro` URI; PostgreSQL with
`default_transaction_read_only=on`, `SET TRANSACTION READ ONLY` and a `statement_timeout`, in a
transaction that is always rolled back. Databases: MCP_DB_URL is "default"; the MCP_SERVERS file adds
more by name.
"""
from __future__ import annotations

import asyncio
import base64
import datetime as dt
import decimal
import uuid
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, ResourceClosedError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from providers.builtin import READ_ONLY, Builtin, NotConfigured, new_server, provider
from providers.config import McpConfig
from providers.result import INVALID_ARGUMENTS, NOT_FOUND, REFUSED, TIMEOUT, UPSTREAM_ERROR, ToolFailure
from providers.settings import MCPSettings
from providers.sqlguard import DIALECTS, QueryRefused, check_select

TOOLS = frozenset({"db.query", "db.tables.list", "db.schema.get"})


def read_only_url(url: str) -> URL:
    """The async-driver URL that opens `url` without write access (SQLite) or with async PG."""
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        path = u.database or ""
        if not path or path == ":memory:":
            raise ValueError("a SQLite database for db.* must be a file")
        # SQLite's URI form is the only way to ask for mode=ro through the driver
        return URL.create("sqlite+aiosqlite", database=f"file:{path}", query={"mode": "ro", "uri": "true"})
    if backend in ("postgresql", "postgres"):
        return u.set(drivername="postgresql+asyncpg")
    return u


def _json_safe(v: Any) -> Any:
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    if isinstance(v, decimal.Decimal):
        return float(v) if v == v.to_integral_value() or abs(v) < 1e15 else str(v)
    if isinstance(v, (dt.date, dt.datetime, dt.time)):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "base64:" + base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _json_safe(x) for k, x in v.items()}
    return str(v)


class Databases:
    def __init__(self, urls: dict[str, str], *, max_rows: int, statement_timeout: float) -> None:
        self.urls = urls
        self.max_rows = max_rows
        self.statement_timeout = statement_timeout
        self._engines: dict[str, AsyncEngine] = {}

    def engine(self, name: str) -> AsyncEngine:
        if name not in self.urls:
            known = ", ".join(sorted(self.urls)) or "none"
            raise ToolFailure(NOT_FOUND, f"no database named {name!r} (known: {known})")
        if name not in self._engines:
            url = read_only_url(self.urls[name])
            kwargs: dict[str, Any] = {"pool_pre_ping": True}
            if url.get_backend_name() == "postgresql":
                ms = int(self.statement_timeout * 1000)
                kwargs["connect_args"] = {"server_settings": {
                    "default_transaction_read_only": "on", "statement_timeout": str(ms),
                    "idle_in_transaction_session_timeout": str(ms * 2), "application_name": "chatops-mcp-db",
                }}
            self._engines[name] = create_async_engine(url, **kwargs)
        return self._engines[name]

    def dialect(self, name: str) -> str | None:
        return DIALECTS.get(make_url(self.urls[name]).get_backend_name())

    async def query(self, sql: str, database: str, limit: int | None) -> dict[str, Any]:
        engine = self.engine(database)
        try:
            check_select(sql, self.dialect(database))
        except QueryRefused as e:
            raise ToolFailure(REFUSED, str(e)) from None
        cap = min(limit or self.max_rows, self.max_rows)
        try:
            async with asyncio.timeout(self.statement_timeout + 1):
                async with engine.connect() as conn:
                    if engine.dialect.name == "postgresql":
                        await conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                    try:
                        result = await conn.stream(text(sql).execution_options(no_parameters=True))
                        try:
                            columns = list(result.keys())
                            rows = [[_json_safe(v) for v in r] for r in await result.fetchmany(cap + 1)]
                        except ResourceClosedError:  # a statement without a result set, e.g. bare "SELECT"
                            columns, rows = [], []
                        await result.close()
                    finally:
                        await conn.rollback()
        except TimeoutError:
            raise ToolFailure(TIMEOUT, f"the query ran longer than {self.statement_timeout:g}s") from None
        except (SQLAlchemyError, OSError) as e:
            raise self._failure(e) from None
        except Exception as e:
            # some driver errors escape SQLAlchemy's wrapping (asyncpg while streaming rows)
            if type(e).__module__.split(".")[0] not in ("asyncpg", "sqlite3", "aiosqlite"):
                raise
            raise self._failure(e) from None
        truncated = len(rows) > cap
        out: dict[str, Any] = {"database": database, "columns": columns, "rows": rows[:cap], "row_count": min(len(rows), cap)}
        out["truncated"] = truncated
        if truncated:
            out["note"] = f"only the first {cap} rows are shown; add LIMIT or narrow the WHERE clause"
        return out

    def _failure(self, e: BaseException) -> ToolFailure:
        reason = (str(getattr(e, "orig", None) or e).strip().splitlines() or [type(e).__name__])[0]
        if "statement timeout" in reason or "canceling statement" in reason:
            return ToolFailure(TIMEOUT, f"the query ran longer than {self.statement_timeout:g}s")
        if "read-only" in reason or "readonly" in reason:
            return ToolFailure(REFUSED, f"the database refused a write: {reason}")
        if isinstance(e, DBAPIError) or type(e).__module__.split(".")[0] in ("asyncpg", "sqlite3", "aiosqlite"):
            return ToolFailure(INVALID_ARGUMENTS, f"the database rejected the query: {reason}")
        return ToolFailure(UPSTREAM_ERROR, f"database error: {type(e).__name__}: {reason}")

    async def _inspect(self, database: str, fn: Any) -> Any:
        try:
            async with self.engine(database).connect() as conn:
                try:
                    return await conn.run_sync(lambda sync_conn: fn(inspect(sync_conn)))
                finally:
                    await conn.rollback()
        except (SQLAlchemyError, OSError) as e:
            raise self._failure(e) from None

    async def tables(self, database: str, schema: str | None) -> dict[str, Any]:
        def run(insp: Any) -> dict[str, Any]:
            return {"tables": sorted(insp.get_table_names(schema=schema)), "views": sorted(insp.get_view_names(schema=schema))}

        return {"database": database, "schema": schema, **await self._inspect(database, run)}

    async def schema(self, database: str, table: str | None, schema: str | None) -> dict[str, Any]:
        def describe(insp: Any, name: str) -> dict[str, Any]:
            pk = set((insp.get_pk_constraint(name, schema=schema) or {}).get("constrained_columns") or [])
            return {
                "columns": [
                    {"name": c["name"], "type": str(c["type"]), "nullable": bool(c.get("nullable", True)),
                     "default": None if c.get("default") is None else str(c["default"]), "primary_key": c["name"] in pk}
                    for c in insp.get_columns(name, schema=schema)
                ],
                "indexes": [{"name": i["name"], "columns": i["column_names"], "unique": bool(i.get("unique"))}
                            for i in insp.get_indexes(name, schema=schema)],
                "foreign_keys": [
                    {"columns": f["constrained_columns"],
                     "references": f"{f['referred_table']}({', '.join(f['referred_columns'])})"}
                    for f in insp.get_foreign_keys(name, schema=schema)
                ],
            }

        def run(insp: Any) -> dict[str, Any]:
            names = set(insp.get_table_names(schema=schema)) | set(insp.get_view_names(schema=schema))
            if table is not None:
                if table not in names:
                    return {"missing": table, "known": sorted(names)}
                return {table: describe(insp, table)}
            return {n: describe(insp, n) for n in sorted(names)}

        found = await self._inspect(database, run)
        if "missing" in found and isinstance(found.get("known"), list):
            known = ", ".join(found["known"][:20]) or "none"
            raise ToolFailure(NOT_FOUND, f"no table or view {table!r} in {database} (known: {known})")
        return {"database": database, "schema": schema, "tables": found}

    async def aclose(self) -> None:
        engines, self._engines = self._engines, {}
        for e in engines.values():
            await e.dispose()


def database_urls(settings: MCPSettings, config: McpConfig) -> dict[str, str]:
    urls = dict(config.databases)
    if settings.mcp_db_url and settings.mcp_db_url.get_secret_value():
        urls.setdefault("default", settings.mcp_db_url.get_secret_value())
    return urls


@provider("db")
def build_database(settings: MCPSettings, config: McpConfig) -> Builtin:
    urls = database_urls(settings, config)
    if not urls:
        raise NotConfigured("set MCP_DB_URL (or add [databases] to the MCP_SERVERS file)")
    for name, url in urls.items():
        try:
            read_only_url(url)
        except Exception as e:
            raise NotConfigured(f"database {name!r}: {e}") from None
    dbs = Databases(urls, max_rows=settings.mcp_db_max_rows, statement_timeout=settings.mcp_db_statement_timeout)
    default = "default" if "default" in urls else sorted(urls)[0]
    names = ", ".join(sorted(urls))
    server = new_server("db", f"Read-only SQL access to these databases: {names}. Only single SELECT statements run.")

    @server.tool(name="db.query", annotations=READ_ONLY, description=(
        f"Run one read-only SELECT (or WITH … SELECT) and return columns and rows, at most {dbs.max_rows} rows. "
        f"Databases: {names}."))
    async def db_query(sql: str, database: str = default, limit: int | None = None) -> dict[str, Any]:
        return await dbs.query(sql, database, limit)

    @server.tool(name="db.tables.list", annotations=READ_ONLY, description="List the tables and views of a database.")
    async def db_tables(database: str = default, schema: str | None = None) -> dict[str, Any]:
        return await dbs.tables(database, schema)

    @server.tool(name="db.schema.get", annotations=READ_ONLY, description=(
        "Describe a table (columns, types, keys, indexes), or every table when `table` is omitted."))
    async def db_schema(table: str | None = None, database: str = default, schema: str | None = None) -> dict[str, Any]:
        return await dbs.schema(database, table, schema)

    return Builtin("db", server, TOOLS, dbs.aclose)
