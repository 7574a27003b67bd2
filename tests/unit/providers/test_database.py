"""The database provider on real SQLite and PostgreSQL, through the real MCP client (in memory):
reads work, results are capped, and an injection corpus changes nothing."""
from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest
from mcp import Client
from sqlalchemy import text

from bot.storage.engine import create_engine
from providers.builtin import Builtin
from providers.config import McpConfig
from providers.database import Databases, build_database
from providers.result import parse_error_text
from providers.settings import MCPSettings

ROWS = [(i, f"item-{i}", i * 10) for i in range(1, 26)]


async def _exec(url: str, *sql: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for s in sql:
                await conn.execute(text(s))
    finally:
        await engine.dispose()


async def fingerprint(url: str) -> str:
    """Every row of every table of ours, plus the table list: any write changes it."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, name, qty FROM mcp_items ORDER BY id"))).all()
            secret = (await conn.execute(text("SELECT token FROM mcp_secrets"))).all()
            tables = await conn.run_sync(lambda c: sorted(__import__("sqlalchemy").inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    return hashlib.sha256(repr((rows, secret, tables)).encode()).hexdigest()


@pytest.fixture
async def items_db(db_url: str) -> AsyncIterator[str]:
    await _exec(db_url, "DROP TABLE IF EXISTS mcp_items", "DROP TABLE IF EXISTS mcp_secrets", "DROP TABLE IF EXISTS evil",
                "CREATE TABLE mcp_items (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL, qty INTEGER)",
                "CREATE TABLE mcp_secrets (token VARCHAR(40))", "INSERT INTO mcp_secrets VALUES ('s3cret')",
                *(f"INSERT INTO mcp_items VALUES ({i}, '{n}', {q})" for i, n, q in ROWS))
    yield db_url
    await _exec(db_url, "DROP TABLE IF EXISTS mcp_items", "DROP TABLE IF EXISTS mcp_secrets", "DROP TABLE IF EXISTS evil")


@pytest.fixture
async def provider(items_db: str) -> AsyncIterator[Builtin]:
    settings = MCPSettings(_env_file=None, mcp_db_url=items_db, mcp_db_max_rows=10, mcp_db_statement_timeout=1.0)
    b = build_database(settings, McpConfig(databases={"other": items_db}))
    yield b
    await b.aclose()


async def query(client: Client, sql: str, **extra: object) -> tuple[bool, object]:
    r = await client.call_tool("db.query", {"sql": sql, **extra})
    return r.is_error, (r.content[0].text if r.is_error else r.structured_content)


async def test_select_returns_columns_and_rows_and_caps_with_a_note(provider: Builtin) -> None:
    async with Client(provider.server) as client:
        err, data = await query(client, "SELECT id, name FROM mcp_items WHERE id <= 3 ORDER BY id")
        assert not err and data["columns"] == ["id", "name"] and data["rows"] == [[1, "item-1"], [2, "item-2"], [3, "item-3"]]
        assert data["truncated"] is False
        err, data = await query(client, "SELECT * FROM mcp_items ORDER BY id")
        assert not err and data["row_count"] == 10 and data["truncated"] is True and "first 10 rows" in data["note"]
        err, data = await query(client, "SELECT count(*) AS n FROM mcp_items", limit=1, database="other")
        assert not err and data["rows"] == [[25]] and data["database"] == "other"


async def test_tables_and_schema(provider: Builtin) -> None:
    async with Client(provider.server) as client:
        tables = (await client.call_tool("db.tables.list", {})).structured_content
        assert {"mcp_items", "mcp_secrets"} <= set(tables["tables"])
        schema = (await client.call_tool("db.schema.get", {"table": "mcp_items"})).structured_content
        cols = {c["name"]: c for c in schema["tables"]["mcp_items"]["columns"]}
        assert cols["id"]["primary_key"] and not cols["name"]["nullable"] and "VARCHAR" in cols["name"]["type"].upper()
        missing = await client.call_tool("db.schema.get", {"table": "nope"})
        assert missing.is_error and "[not_found]" in missing.content[0].text and "mcp_items" in missing.content[0].text


async def test_refusal_says_why(provider: Builtin) -> None:
    async with Client(provider.server) as client:
        err, msg = await query(client, "DELETE FROM mcp_items")
    assert err and parse_error_text(msg) == ("refused", "only SELECT is allowed: found DELETE")


async def test_the_connection_itself_refuses_writes_when_the_parser_is_bypassed(items_db: str) -> None:
    dbs = Databases({"d": items_db}, max_rows=5, statement_timeout=2)
    engine = dbs.engine("d")
    try:
        async with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                await conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            with pytest.raises(Exception, match="(?i)read.?only"):
                await conn.execute(text("DELETE FROM mcp_items"))
    finally:
        await dbs.aclose()
    before = await fingerprint(items_db)
    assert before == await fingerprint(items_db)


# Statements that may run because they only read; everything else must come back as an error.
HARMLESS = {
    "SELECT * FROM mcp_items WHERE name = 'a'';DELETE FROM mcp_items;--'",
    "SELECT * FROM mcp_items WHERE name = '' OR 1=1",
    "SELECT * FROM mcp_items UNION SELECT * FROM mcp_items",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT n FROM r",
    "select * from mcp_items; ",
    "SELECT 1 -- ; DELETE FROM mcp_items",
    "SELECT 1 /* ; DELETE FROM mcp_items */",
    "SELECT token FROM mcp_secrets",
    "SELECT txid_current()",
    "SELECT",  # PostgreSQL: one row with no columns; SQLite: a syntax error
}
CORPUS = [
    "DELETE FROM mcp_items", "delete from mcp_items", "DeLeTe FrOm mcp_items", "SELECT 1; DELETE FROM mcp_items",
    "SELECT 1;DELETE FROM mcp_items;--", "SELECT * FROM mcp_items; DROP TABLE mcp_items",
    "SELECT * FROM mcp_items WHERE id = 1; UPDATE mcp_items SET qty = 0", "UPDATE mcp_items SET qty = 0",
    "INSERT INTO mcp_items (id, name, qty) VALUES (99, 'x', 1)", "INSERT INTO mcp_items SELECT id + 100, name, qty FROM mcp_items",
    "DROP TABLE mcp_items", "TRUNCATE mcp_items", "ALTER TABLE mcp_items ADD COLUMN evil int", "CREATE TABLE evil (id int)",
    "CREATE TABLE evil AS SELECT * FROM mcp_items", "SELECT * INTO evil FROM mcp_items",
    "WITH d AS (DELETE FROM mcp_items RETURNING *) SELECT * FROM d",
    "WITH u AS (UPDATE mcp_items SET qty = 0 RETURNING id) SELECT count(*) FROM u",
    "WITH i AS (INSERT INTO mcp_items VALUES (100, 'y', 1) RETURNING id) SELECT * FROM i",
    "WITH x AS (SELECT 1) DELETE FROM mcp_items",
    "SELECT * FROM mcp_items FOR UPDATE", "SELECT * FROM mcp_items FOR SHARE", "SELECT * FROM mcp_items FOR NO KEY UPDATE NOWAIT",
    "SELECT * FROM mcp_items FOR UPDATE SKIP LOCKED", "SELECT (SELECT id FROM mcp_items LIMIT 1 FOR UPDATE)",
    "COPY mcp_items TO STDOUT", "COPY mcp_items FROM '/etc/passwd'", "SELECT pg_sleep(5)", "SELECT PG_SLEEP(5)",
    "SELECT pg_catalog.pg_sleep(5)", 'SELECT "pg_sleep"(5)', "SELECT pg_sleep_for('5 seconds')",
    "SELECT lo_import('/etc/passwd')", "SELECT lo_export(1, '/tmp/x')", "SELECT pg_read_file('/etc/passwd')",
    "SELECT pg_read_binary_file('/etc/passwd')", "SELECT * FROM pg_ls_dir('.')",
    "SELECT * FROM dblink('host=127.0.0.1', 'DELETE FROM mcp_items') AS t(x int)", "SELECT dblink_exec('DELETE FROM mcp_items')",
    "SELECT set_config('default_transaction_read_only', 'off', false)", "SELECT pg_terminate_backend(pg_backend_pid())",
    "SELECT query_to_xml('DELETE FROM mcp_items', true, true, '')", "SELECT nextval('evil_seq')", "SELECT pg_advisory_lock(1)",
    "SELECT pg_notify('c', 'x')", "SET default_transaction_read_only = off", "SET TRANSACTION READ WRITE",
    "BEGIN; DELETE FROM mcp_items; COMMIT", "COMMIT; DELETE FROM mcp_items", "ROLLBACK", "PRAGMA writable_schema = 1",
    "PRAGMA journal_mode = DELETE", "ATTACH DATABASE '/tmp/evil.db' AS evil", "DETACH DATABASE main", "VACUUM",
    "REINDEX mcp_items", "ANALYZE mcp_items", "SELECT load_extension('/tmp/evil.so')", "SELECT writefile('/tmp/x', 'y')",
    "SELECT 1 /* harmless */; DELETE FROM mcp_items", "/* comment */ DELETE FROM mcp_items", "-- comment\nDELETE FROM mcp_items",
    "\uff24\uff25\uff2c\uff25\uff34\uff25 FROM mcp_items", "SELECT \uff50\uff47\uff3f\uff53\uff4c\uff45\uff45\uff50(5)",
    "DELETE\u00a0FROM mcp_items", "SELECT 1\x00; DELETE FROM mcp_items", "EXPLAIN ANALYZE DELETE FROM mcp_items", "CALL do_evil()",
    "DO $$ BEGIN DELETE FROM mcp_items; END $$", "LOCK TABLE mcp_items IN ACCESS EXCLUSIVE MODE", "GRANT ALL ON mcp_items TO PUBLIC",
    "REPLACE INTO mcp_items VALUES (1, 'z', 0)", "INSERT OR REPLACE INTO mcp_items VALUES (1, 'z', 0)",
    "MERGE INTO mcp_items USING (SELECT 1 AS id) s ON mcp_items.id = s.id WHEN MATCHED THEN DELETE", "(DELETE FROM mcp_items)",
    "PREPARE p AS DELETE FROM mcp_items", "EXECUTE p", "RESET ALL", "DISCARD ALL", "LISTEN evil", "NOTIFY evil",
    "SELECT * FROM mcp_items LIMIT 1; VACUUM", "UPDATE mcp_items SET qty = qty WHERE false", "", "   ;  ",
    *sorted(HARMLESS),
]


async def test_injection_corpus_changes_nothing(provider: Builtin, items_db: str) -> None:
    assert len(CORPUS) >= 50
    before = await fingerprint(items_db)
    outcomes: dict[str, str] = {}
    async with Client(provider.server) as client:
        for sql in CORPUS:
            err, data = await query(client, sql)
            if err:
                code, _ = parse_error_text(str(data))
                assert code in {"refused", "invalid_arguments", "timeout"}, (sql, data)
                outcomes[sql] = code
            else:
                assert sql in HARMLESS, f"ran but is not known harmless: {sql!r} → {data}"
                outcomes[sql] = "ran"
    assert await fingerprint(items_db) == before
    refused = [s for s, o in outcomes.items() if o == "refused"]
    assert len(refused) >= 80, len(refused)  # nearly everything is stopped by the parser, before the database


@pytest.mark.postgres
async def test_statement_timeout_stops_a_long_query_on_postgresql(provider: Builtin, items_db: str) -> None:
    if not items_db.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    async with Client(provider.server) as client:
        err, msg = await query(client, "SELECT count(*) FROM generate_series(1, 1000000) a, generate_series(1, 1000000) b")
    assert err and parse_error_text(str(msg))[0] == "timeout"
