"""The database provider: `db.query` (SELECT only), `db.tables.list`, `db.schema.get`.

Locks that keep it read-only and bounded (docs/mcp.md, "The read-only database tool"):
- the query must pass `sqlguard.check_select` (parsing; one SELECT; functions on the allow-list only);
- it runs on a connection that cannot write: SQLite opened as a `mode=ro` URI, with an authorizer that
  allows reads and the allow-listed functions only; PostgreSQL with `default_transaction_read_only=on`
  and `statement_timeout`, in a `BEGIN READ ONLY` transaction that is always rolled back;
- every call gets a **fresh session** (no pool: `NullPool`), closed afterwards, so nothing a query could
  leave in a session (advisory locks, SET, temp tables, prepared statements) survives it;
- time is bounded on both engines: PostgreSQL's `statement_timeout`; on SQLite a progress handler
  interrupts the statement at MCP_DB_STATEMENT_TIMEOUT, so no thread keeps running after the answer;
- the answer is bounded in rows (MCP_DB_MAX_ROWS) and in bytes (MCP_DB_MAX_RESULT_BYTES), counted
  while fetching in small batches, so a few huge rows cannot fill the bot's memory.
Databases: MCP_DB_URL is "default"; the MCP_SERVERS file adds more by name.
"""
from __future__ import annotations

import asyncio
import base64
import datetime as dt
import decimal
import json
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, ResourceClosedError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from providers.builtin import READ_ONLY, Builtin, NotConfigured, new_server, provider
from providers.config import McpConfig
from providers.result import INVALID_ARGUMENTS, NOT_FOUND, REFUSED, TIMEOUT, UPSTREAM_ERROR, ToolFailure
from providers.settings import MCPSettings
from providers.sqlguard import DIALECTS, SQLITE_FUNCTIONS, QueryRefused, check_select

TOOLS = frozenset({"db.query", "db.tables.list", "db.schema.get"})
DEFAULT_MAX_RESULT_BYTES = 1_000_000
# SQLite: VM instructions between two looks at the clock (a few microseconds of work)
SQLITE_PROGRESS_STEPS = 1_000
# SQLite's own names for operators and keywords it runs as functions, allowed by the authorizer too
_SQLITE_INTERNAL_FUNCTIONS = frozenset({"->", "->>", "current_date", "current_time", "current_timestamp"})


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


def encoded_size(value: Any) -> int:
    """Bytes `value` takes in the JSON answer (UTF-8)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


Fetch = Callable[[int], Awaitable[Sequence[Sequence[Any]]]]


async def collect_rows(fetch: Fetch, *, max_rows: int, max_bytes: int) -> tuple[list[list[Any]], str | None]:
    """Fetch rows in batches until `max_rows` rows or `max_bytes` bytes of JSON; return the rows that
    fit and why the rest was left out (None when nothing was). A batch is sized from the rows seen so
    far so that one batch stays near the bytes still free: memory stays around `max_bytes` plus one row."""
    rows: list[list[Any]] = []
    used = 2  # the list's brackets
    batch = 1
    # bounded: each round adds at least one row or ends; at most max_rows + 1 rounds
    for _ in range(max_rows + 1):
        got = await fetch(min(batch, max_rows + 1 - len(rows)))
        if not got:
            return rows, None
        for raw in got:
            if len(rows) >= max_rows:
                return rows, "rows"
            row = [_json_safe(v) for v in raw]
            size = encoded_size(row) + 1  # and its comma
            if used + size > max_bytes:
                return rows, "bytes"
            rows.append(row)
            used += size
        average = max(1, (used - 2) // max(1, len(rows)))
        batch = max(1, min(100, (max_bytes - used) // average))
    return rows, "rows"


def _sqlite_authorizer(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    """SQLite's own check of the prepared statement: reads, and the allow-listed functions only."""
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE):
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_FUNCTION:
        name = (arg2 or "").lower()
        if name in SQLITE_FUNCTIONS or name in _SQLITE_INTERNAL_FUNCTIONS:
            return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
        # asked while a table-valued function (json_each) declares its columns; the file is read-only anyway
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


class Databases:
    def __init__(self, urls: dict[str, str], *, max_rows: int, statement_timeout: float,
                 max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES) -> None:
        self.urls = urls
        self.max_rows = max_rows
        self.statement_timeout = statement_timeout
        self.max_result_bytes = max_result_bytes
        self._engines: dict[str, AsyncEngine] = {}

    def engine(self, name: str) -> AsyncEngine:
        if name not in self.urls:
            known = ", ".join(sorted(self.urls)) or "none"
            raise ToolFailure(NOT_FOUND, f"no database named {name!r} (known: {known})")
        if name not in self._engines:
            url = read_only_url(self.urls[name])
            # no pool: every call opens its own session and closes it, so no session state survives a call
            kwargs: dict[str, Any] = {"poolclass": NullPool}
            if url.get_backend_name() == "postgresql":
                ms = int(self.statement_timeout * 1000)
                kwargs["connect_args"] = {"server_settings": {
                    "default_transaction_read_only": "on", "statement_timeout": str(ms),
                    "idle_in_transaction_session_timeout": str(ms * 2), "application_name": "chatops-mcp-db",
                    # the guard reads string literals the standard way; so must the server
                    "standard_conforming_strings": "on",
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
                        columns, rows, cut = await self._run_postgresql(conn, sql, cap)
                    elif engine.dialect.name == "sqlite":
                        columns, rows, cut = await self._run_sqlite(conn, sql, cap)
                    else:
                        columns, rows, cut = await self._run_other(conn, sql, cap)
        except TimeoutError:
            raise ToolFailure(TIMEOUT, f"the query ran longer than {self.statement_timeout:g}s") from None
        except (SQLAlchemyError, OSError) as e:
            raise self._failure(e) from None
        except Exception as e:
            # driver errors (asyncpg, sqlite3) reach here unwrapped: the query runs on the driver connection
            if type(e).__module__.split(".")[0] not in ("asyncpg", "sqlite3", "aiosqlite"):
                raise
            raise self._failure(e) from None
        out: dict[str, Any] = {"database": database, "columns": columns, "rows": rows, "row_count": len(rows)}
        out["truncated"] = cut is not None
        if cut == "rows":
            out["note"] = f"only the first {cap} rows are shown; add LIMIT or narrow the WHERE clause"
        elif cut == "bytes":
            out["note"] = (
                f"only the first {len(rows)} rows are shown: the answer is capped at {self.max_result_bytes} bytes; "
                "select fewer or shorter columns (e.g. left(col, 200)) or add LIMIT")
        return out

    async def _run_postgresql(self, conn: AsyncConnection, sql: str, cap: int) -> tuple[list[str], list[list[Any]], str | None]:
        # asyncpg itself: a server-side cursor fetched in batches we size (SQLAlchemy's buffers 50 rows)
        driver: Any = (await conn.get_raw_connection()).driver_connection
        tx = driver.transaction(readonly=True)
        await tx.start()
        try:
            stmt = await driver.prepare(sql)
            columns = [a.name for a in stmt.get_attributes()]
            cursor = await stmt.cursor()

            async def fetch(n: int) -> Sequence[Sequence[Any]]:
                return list(await cursor.fetch(n))

            rows, cut = await collect_rows(fetch, max_rows=cap, max_bytes=self._row_budget(columns))
        except asyncio.CancelledError:
            driver.terminate()  # the backstop fired: drop the session at once, do not wait on it
            raise
        finally:
            if not driver.is_closed():
                await tx.rollback()
        return columns, rows, cut

    async def _run_sqlite(self, conn: AsyncConnection, sql: str, cap: int) -> tuple[list[str], list[list[Any]], str | None]:
        driver: Any = (await conn.get_raw_connection()).driver_connection  # aiosqlite.Connection
        deadline = time.monotonic() + self.statement_timeout

        def over_time() -> int:  # runs on the connection's thread, inside the statement
            return 1 if time.monotonic() > deadline else 0

        await driver.set_progress_handler(over_time, SQLITE_PROGRESS_STEPS)
        await driver.set_authorizer(_sqlite_authorizer)
        cursor = None
        try:
            cursor = await driver.execute(sql)
            columns = [d[0] for d in cursor.description or ()]

            async def fetch(n: int) -> Sequence[Sequence[Any]]:
                return list(await cursor.fetchmany(n)) if cursor.description else []

            rows, cut = await collect_rows(fetch, max_rows=cap, max_bytes=self._row_budget(columns))
        except sqlite3.OperationalError as e:
            if "interrupted" in str(e) and time.monotonic() > deadline:
                raise TimeoutError from None
            raise
        except asyncio.CancelledError:
            await driver.interrupt()  # stop the statement so the connection (and its thread) can close
            raise
        finally:
            if cursor is not None:
                await cursor.close()
            await driver.set_authorizer(None)
            await driver.set_progress_handler(None, 0)
        return columns, rows, cut

    async def _run_other(self, conn: AsyncConnection, sql: str, cap: int) -> tuple[list[str], list[list[Any]], str | None]:
        try:
            result = await conn.stream(text(sql).execution_options(no_parameters=True, yield_per=10))
            try:
                columns = list(result.keys())

                async def fetch(n: int) -> Sequence[Sequence[Any]]:
                    return list(await result.fetchmany(n))

                rows, cut = await collect_rows(fetch, max_rows=cap, max_bytes=self._row_budget(columns))
            except ResourceClosedError:  # a statement without a result set
                columns, rows, cut = [], [], None
            await result.close()
        finally:
            await conn.rollback()
        return columns, rows, cut

    def _row_budget(self, columns: list[str]) -> int:
        """Bytes left for the rows once the rest of the answer (database, columns, note) is counted."""
        return max(64, self.max_result_bytes - encoded_size(columns) - 400)

    def _failure(self, e: BaseException) -> ToolFailure:
        reason = (str(getattr(e, "orig", None) or e).strip().splitlines() or [type(e).__name__])[0]
        if "statement timeout" in reason or "canceling statement" in reason:
            return ToolFailure(TIMEOUT, f"the query ran longer than {self.statement_timeout:g}s")
        if "read-only" in reason or "readonly" in reason:
            return ToolFailure(REFUSED, f"the database refused a write: {reason}")
        if "not authorized" in reason:  # the SQLite authorizer: a write, a pragma or a function not allowed
            return ToolFailure(REFUSED, f"the database refused the query: {reason}")
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
    dbs = Databases(urls, max_rows=settings.mcp_db_max_rows, statement_timeout=settings.mcp_db_statement_timeout,
                    max_result_bytes=settings.mcp_db_max_result_bytes)
    default = "default" if "default" in urls else sorted(urls)[0]
    names = ", ".join(sorted(urls))
    server = new_server("db", f"Read-only SQL access to these databases: {names}. Only single SELECT statements run.")

    @server.tool(name="db.query", annotations=READ_ONLY, description=(
        f"Run one read-only SELECT (or WITH … SELECT) and return columns and rows, at most {dbs.max_rows} rows "
        f"and {dbs.max_result_bytes} bytes. Only common functions (aggregates, string, date, math, JSON, casts, "
        f"window) may be called, without a schema prefix. Databases: {names}."))
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
