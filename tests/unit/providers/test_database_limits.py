"""The database tool's limits on real SQLite and PostgreSQL (issue 14, "The read-only database tool"):
no session state survives a call, SQLite honours the statement timeout without leaving a thread
behind, results are capped in bytes while fetching, and the allow-list holds on the real engines."""
from __future__ import annotations

import asyncio
import json
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from mcp import Client
from sqlalchemy import text

from bot.storage.engine import create_engine
from providers.builtin import Builtin
from providers.config import McpConfig
from providers.database import build_database
from providers.result import parse_error_text
from providers.settings import MCPSettings

LOCK_KEY = 424242


async def _exec(url: str, *sql: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for s in sql:
                await conn.execute(text(s))
    finally:
        await engine.dispose()


async def _scalar(url: str, sql: str) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql))).scalar()
    finally:
        await engine.dispose()


async def _eventually(check: Callable[[], Any], *, seconds: float = 3.0) -> Any:
    """Poll `check` (sync or async) until it is truthy; at most `seconds`, 20 ms apart."""
    value: Any = None
    for _ in range(int(seconds / 0.02) + 1):
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.02)
    return value


@pytest.fixture
async def big_db(db_url: str) -> AsyncIterator[str]:
    row = "x" * 100_000
    await _exec(db_url, "DROP TABLE IF EXISTS mcp_big", "CREATE TABLE mcp_big (id INTEGER PRIMARY KEY, body TEXT)",
                *(f"INSERT INTO mcp_big VALUES ({i}, '{row}')" for i in range(1, 61)))
    yield db_url
    await _exec(db_url, "DROP TABLE IF EXISTS mcp_big")


def _provider(url: str, **settings: Any) -> Builtin:
    values: dict[str, Any] = {"mcp_db_url": url, "mcp_db_max_rows": 1000, "mcp_db_statement_timeout": 1.0, **settings}
    return build_database(MCPSettings(_env_file=None, **values), McpConfig())


async def _query(client: Client, sql: str) -> tuple[bool, Any]:
    r = await client.call_tool("db.query", {"sql": sql})
    return r.is_error, (r.content[0].text if r.is_error else r.structured_content)


# -- no session state survives a call ----------------------------------------------------------------
@pytest.mark.postgres
async def test_a_session_lock_or_setting_does_not_survive_the_call_even_past_the_guard(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even if a session-level lock function got past the guard (here the guard is switched off), the
    call's session is closed with it: nothing holds the lock and no session of the tool is left."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    monkeypatch.setattr("providers.database.check_select", lambda sql, dialect=None: None)
    b = _provider(db_url)
    try:
        async with Client(b.server) as client:
            err, data = await _query(client, f"SELECT pg_advisory_lock({LOCK_KEY})")
            assert not err and data["row_count"] == 1, data
            err, data = await _query(client, "SELECT set_config('chatops.probe', 'left behind', false)")
            assert not err, data
            err, data = await _query(client, "SELECT current_setting('chatops.probe', true) AS v")
            assert not err and data["rows"] == [[None]], data  # a new session: the SET is gone

            lock_sql = f"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = {LOCK_KEY}"
            session_sql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'chatops-mcp-db'"

            async def released() -> bool:
                return await _scalar(db_url, lock_sql) == 0 and await _scalar(db_url, session_sql) == 0

            assert await _eventually(released), (await _scalar(db_url, lock_sql), await _scalar(db_url, session_sql))
            # and another session can take the lock at once (the scheduler's leader lock would not be stuck)
            assert await _scalar(db_url, f"SELECT pg_try_advisory_xact_lock({LOCK_KEY})") is True
    finally:
        await b.aclose()


@pytest.mark.postgres
async def test_ts_stat_runs_sql_the_parser_never_sees_and_is_refused(db_url: str) -> None:
    """The old deny-list let ts_stat() through; its SQL text took a session advisory lock that the
    pooled connection kept after the call."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    b = _provider(db_url)
    try:
        async with Client(b.server) as client:
            err, msg = await _query(client, "SELECT * FROM ts_stat('SELECT to_tsvector(''simple'', "
                                            f"pg_try_advisory_lock({LOCK_KEY})::text)')")
        assert err and parse_error_text(msg)[0] == "refused" and "ts_stat()" in msg, msg
        held = await _scalar(db_url, f"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = {LOCK_KEY}")
        assert held == 0
    finally:
        await b.aclose()


async def test_sqlite_authorizer_refuses_what_the_guard_would_even_when_it_is_bypassed(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    await _exec(db_url, "CREATE TABLE IF NOT EXISTS t (a INTEGER)", "INSERT INTO t VALUES (1)")
    monkeypatch.setattr("providers.database.check_select", lambda sql, dialect=None: None)
    b = _provider(db_url)
    try:
        async with Client(b.server) as client:
            err, data = await _query(client, "SELECT a, upper('x') FROM t")
            assert not err and data["rows"] == [[1, "X"]], data
            for sql in ("SELECT zeroblob(10)", "SELECT randomblob(10)", "PRAGMA journal_mode = DELETE",
                        "CREATE TEMP TABLE leftover (a)", "SELECT * FROM pragma_table_info('t')"):
                err, msg = await _query(client, sql)
                assert err and parse_error_text(msg)[0] in {"refused", "invalid_arguments"}, (sql, msg)
                assert "not authorized" in msg or "read-only" in msg or "readonly" in msg, (sql, msg)
    finally:
        await b.aclose()


# -- time --------------------------------------------------------------------------------------------
RUNAWAY = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 100000000) SELECT count(*) FROM c"


async def test_a_runaway_query_stops_at_the_timeout_and_leaves_no_thread(db_url: str) -> None:
    await _exec(db_url, "CREATE TABLE IF NOT EXISTS t (a INTEGER)")  # the SQLite file exists (opened read-only)
    timeout = 0.5
    b = _provider(db_url, mcp_db_statement_timeout=timeout)
    try:
        async with Client(b.server) as client:
            await _query(client, "SELECT 1")  # warm up whatever the client itself starts
            threads = threading.active_count()
            started = time.monotonic()
            err, msg = await asyncio.wait_for(_query(client, RUNAWAY), 30)
            elapsed = time.monotonic() - started
            assert err and parse_error_text(msg) == ("timeout", f"the query ran longer than {timeout:g}s"), msg
            assert elapsed < timeout + 1.0, elapsed
            # the statement is interrupted, not abandoned: its connection's thread ends
            assert await _eventually(lambda: threading.active_count() <= threads, seconds=2.0), threading.enumerate()
            err, data = await _query(client, "SELECT 2 AS two")  # and the tool still answers
            assert not err and data["rows"] == [[2]]
    finally:
        await b.aclose()


# -- bytes -------------------------------------------------------------------------------------------
async def test_results_are_capped_in_bytes_while_fetching(big_db: str) -> None:
    cap = 250_000
    b = _provider(big_db, mcp_db_max_result_bytes=cap)
    try:
        async with Client(b.server) as client:
            err, data = await _query(client, "SELECT id, body FROM mcp_big ORDER BY id")  # 6 MB in the table
            assert not err, data
            size = len(json.dumps(data))
            assert size <= cap + 1_000, size
            assert data["truncated"] is True and data["row_count"] == 2 and [r[0] for r in data["rows"]] == [1, 2]
            assert f"capped at {cap} bytes" in data["note"]
            err, data = await _query(client, "SELECT id, length(body) AS n FROM mcp_big ORDER BY id")
            assert not err and data["row_count"] == 60 and data["truncated"] is False  # small rows all fit
    finally:
        await b.aclose()


async def test_memory_stays_bounded_when_the_rows_are_huge(big_db: str) -> None:
    """Rows of 100 KB, 60 of them, and more with a cross join: the old code fetched max_rows + 1 rows
    (here 1001, ~100 MB) before looking at their size."""
    cap = 50_000
    b = _provider(big_db, mcp_db_max_result_bytes=cap)
    try:
        async with Client(b.server) as client:
            tracemalloc.start()
            try:
                err, data = await _query(client, "SELECT a.body FROM mcp_big a, mcp_big b")
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        assert not err and data["truncated"] is True and data["rows"] == [], data
        assert "capped at" in data["note"]
        assert peak < 20_000_000, peak
    finally:
        await b.aclose()


@pytest.mark.postgres
async def test_postgresql_repeat_rows_are_capped(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    cap = 100_000
    b = _provider(db_url, mcp_db_max_result_bytes=cap, mcp_db_statement_timeout=5.0)
    try:
        async with Client(b.server) as client:
            err, data = await _query(client, "SELECT repeat('x', 40000) FROM generate_series(1, 4000)")  # 160 MB
        assert not err and data["truncated"] is True and 1 <= data["row_count"] <= 3, data
        assert len(json.dumps(data)) <= cap + 1_000
    finally:
        await b.aclose()


# -- the allow-list on the real engines --------------------------------------------------------------
COMMON_QUERIES = [
    "SELECT count(*), sum(n), avg(n), min(n), max(n) FROM (SELECT 1 AS n UNION ALL SELECT 2) s",
    "SELECT lower('A'), upper('a'), length('abc'), substr('abc', 2), trim(' a '), replace('ab', 'b', 'c'), abs(-1)",
    "SELECT coalesce(NULL, 1), nullif(1, 1), CASE WHEN 1 > 0 THEN 'y' END, CAST('1' AS INTEGER), round(1.25, 1)",
    "SELECT n, row_number() OVER (ORDER BY n), lag(n) OVER (ORDER BY n) FROM (SELECT 1 AS n UNION ALL SELECT 2) s",
]
PG_QUERIES = [
    "SELECT now() > '2020-01-01', date_trunc('day', now()) <= now(), extract(year FROM now()) > 2000, current_date",
    "SELECT '{\"a\": {\"b\": 1}}'::jsonb -> 'a' ->> 'b', jsonb_extract_path_text('{\"a\": 1}', 'a'), jsonb_typeof('[]')",
    "SELECT greatest(1, 2), least(1, 2), string_agg(x, ',' ORDER BY x), array_agg(x) FROM (VALUES ('a'), ('b')) v(x)",
    "SELECT n FROM generate_series(1, 3) AS n", "SELECT 1 = ANY(ARRAY[1, 2]), split_part('a,b', ',', 2), repeat('x', 2)",
]
SQLITE_QUERIES = [
    "SELECT max(1, 2), min(1, 2), ifnull(NULL, 1), iif(1, 'y', 'n'), group_concat('a'), total(1)",
    "SELECT strftime('%Y', 'now') > '2000', date('now') IS NOT NULL, datetime('now', '+1 day') IS NOT NULL",
    "SELECT json_extract('{\"a\": 1}', '$.a'), '{\"a\": 2}' -> '$.a', '{\"a\": 3}' ->> '$.a', printf('%d', 4)",
    "SELECT value FROM json_each('[1, 2]')", "SELECT current_timestamp IS NOT NULL, typeof(1), instr('abc', 'b')",
]


async def test_allow_listed_functions_run_and_others_are_refused_on_the_engine(db_url: str) -> None:
    pg = db_url.startswith("postgresql")
    await _exec(db_url, "CREATE TABLE IF NOT EXISTS t (a INTEGER)")
    b = _provider(db_url)
    try:
        async with Client(b.server) as client:
            for sql in [*COMMON_QUERIES, *(PG_QUERIES if pg else SQLITE_QUERIES)]:
                err, data = await _query(client, sql)
                assert not err, (sql, data)
            for sql in ("SELECT pg_advisory_lock(1)", "SELECT pg_terminate_backend(1)", "SELECT pg_catalog.pg_sleep(1)",
                        "SELECT ts_rewrite('a'::tsquery, 'SELECT 1')", "SELECT zeroblob(10)", "SELECT unknown_fn(1)"):
                err, msg = await _query(client, sql)
                assert err and parse_error_text(msg)[0] == "refused" and "docs/mcp.md" in msg, (sql, msg)
    finally:
        await b.aclose()
