"""The parser lock on its own: what passes, what is refused, and the reason given."""
from __future__ import annotations

import pytest

from providers.sqlguard import DOCS, POSTGRES_FUNCTIONS, SQLITE_FUNCTIONS, QueryRefused, check_select

ALLOWED = [
    "SELECT 1", "select * from t where a = 'x;DELETE FROM t'", "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
    "SELECT 1 UNION ALL SELECT 2", "(SELECT 1)", "SELECT count(*), lower(name) FROM t GROUP BY 2 ORDER BY 1 DESC LIMIT 5",
    "SELECT 1; ", "SELECT * FROM t -- trailing comment",
    "SELECT sum(x) OVER w, row_number() OVER (ORDER BY x), lag(x) OVER w FROM t WINDOW w AS (ORDER BY x)",
    "SELECT coalesce(a, b), nullif(a, b), CASE WHEN a > 1 THEN 'x' ELSE 'y' END, CAST(a AS INTEGER) FROM t",
    "SELECT upper(a), length(a), substr(a, 1, 2), trim(a), replace(a, 'x', 'y'), abs(x), round(x, 2) FROM t",
    "SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.id = t.id) AND a IN (1, 2) AND a LIKE 'x%'",
]
PG_ALLOWED = [
    "SELECT pg_typeof(1)", "SELECT now(), date_trunc('day', now()), extract(year FROM now()), age(now()), current_date",
    "SELECT a->'b', a->>'b', a #> '{b}', jsonb_extract_path_text(a, 'b'), jsonb_array_length(a) FROM t",
    "SELECT string_agg(a, ',' ORDER BY a), array_agg(a), json_agg(a), percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM t",
    "SELECT greatest(1, 2), least(1, 2), x::text, a = ANY(ARRAY[1, 2]), repeat('x', 3), split_part(a, ',', 1) FROM t",
    "SELECT n FROM generate_series(1, 10) AS n", 'SELECT "lower"(a) FROM t', "SELECT count(*) FILTER (WHERE x > 1) FROM t",
]
SQLITE_ALLOWED = [
    "SELECT max(1, 2), min(a), ifnull(a, b), iif(a, 1, 2), group_concat(a), total(x) FROM t",
    "SELECT strftime('%Y', 'now'), date('now'), datetime('now', '+1 day'), julianday('now'), unixepoch('now')",
    "SELECT json_extract(a, '$.b'), a -> '$.b', a ->> '$.b', json_array_length(a), printf('%d', 1), typeof(a) FROM t",
    "SELECT value FROM json_each('[1, 2]')",
]


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
@pytest.mark.parametrize("sql", ALLOWED)
def test_plain_reads_pass(sql: str, dialect: str) -> None:
    check_select(sql, dialect)


@pytest.mark.parametrize("sql", PG_ALLOWED)
def test_postgresql_functions_on_the_allow_list_pass(sql: str) -> None:
    check_select(sql, "postgres")


@pytest.mark.parametrize("sql", SQLITE_ALLOWED)
def test_sqlite_functions_on_the_allow_list_pass(sql: str) -> None:
    check_select(sql, "sqlite")


NOT_LISTED = "is not allowed: it is not on the allow-list"
QUALIFIED = "is not allowed: schema-qualified function calls are refused"


# All but two of these (pg_advisory_xact_lock_shared, pg_cancel_backend) got through the old deny-list: functions that
# run SQL text the parser never sees, side effects a read-only transaction does not undo, functions
# nobody listed, and schema-qualified or quoted spellings.
@pytest.mark.parametrize(("sql", "name"), [
    ("SELECT ts_stat('select pg_advisory_lock(1)')", "ts_stat()"),
    ("SELECT * FROM ts_stat('select 1')", "ts_stat()"),
    ("SELECT ts_rewrite('a'::tsquery, 'select pg_sleep(5)')", "ts_rewrite()"),
    ("SELECT pg_advisory_xact_lock_shared(1)", "pg_advisory_xact_lock_shared()"),
    ("SELECT pg_cancel_backend(1)", "pg_cancel_backend()"),
    ("SELECT pg_log_backend_memory_contexts(1)", "pg_log_backend_memory_contexts()"),
    ("SELECT database_to_xml(true, true, '')", "database_to_xml()"),
    ("SELECT table_to_xml('t', true, true, '')", "table_to_xml()"),
    ("SELECT xpath('/a', query_to_xml('select 1', true, true, ''))", "xpath()"),
    ("SELECT setseed(0.5)", "setseed()"),
    ("SELECT current_setting('data_directory')", "current_setting()"),
    ("SELECT anything_unknown(1)", "anything_unknown()"),
    ("SELECT lower(a) FROM t ORDER BY pg_stat_get_activity(1)", "pg_stat_get_activity()"),
    ('SELECT "LOWER"(a) FROM t', '"LOWER"()'),
])
def test_functions_not_on_the_postgresql_allow_list_are_refused_by_name(sql: str, name: str) -> None:
    with pytest.raises(QueryRefused) as e:
        check_select(sql, "postgres")
    assert str(e.value) == f"the function {name} {NOT_LISTED} ({DOCS})"


@pytest.mark.parametrize(("sql", "name"), [
    ("SELECT pg_catalog.pg_sleep(1)", "pg_catalog.pg_sleep()"),
    ("SELECT pg_catalog . pg_advisory_lock(1)", "pg_catalog.pg_advisory_lock()"),
    ("SELECT pg_catalog.lower('x')", "pg_catalog.lower()"),
    ("SELECT public.f(1)", "public.f()"),
    ('SELECT "pg_catalog"."pg_sleep"(1)', '"pg_catalog"."pg_sleep"()'),
])
def test_schema_qualified_calls_are_refused_whatever_the_function(sql: str, name: str) -> None:
    with pytest.raises(QueryRefused) as e:
        check_select(sql, "postgres")
    assert str(e.value) == f"the function {name} {QUALIFIED} ({DOCS})"


@pytest.mark.parametrize(("sql", "name"), [
    ("SELECT zeroblob(1000000000)", "zeroblob()"), ("SELECT randomblob(1000000000)", "randomblob()"),
    ("SELECT * FROM pragma_table_info('t')", "pragma_table_info()"), ("SELECT sqlite_offset(a) FROM t", "sqlite_offset()"),
    ("SELECT load_extension('x')", "load_extension()"), ("SELECT pg_typeof(1)", "pg_typeof()"),
])
def test_functions_not_on_the_sqlite_allow_list_are_refused(sql: str, name: str) -> None:
    with pytest.raises(QueryRefused) as e:
        check_select(sql, "sqlite")
    assert str(e.value) == f"the function {name} {NOT_LISTED} ({DOCS})"


def test_the_allow_lists_hold_no_function_with_side_effects_or_sql_text() -> None:
    dangerous = {"pg_sleep", "pg_advisory_lock", "pg_try_advisory_lock", "pg_terminate_backend", "pg_cancel_backend",
                 "pg_read_file", "set_config", "nextval", "setval", "ts_stat", "ts_rewrite", "query_to_xml", "dblink",
                 "lo_import", "load_extension", "readfile", "writefile", "current_setting", "setseed", "zeroblob"}
    assert not dangerous & (POSTGRES_FUNCTIONS | SQLITE_FUNCTIONS)


@pytest.mark.parametrize(("sql", "reason"), [
    ("DELETE FROM t", "only SELECT is allowed: found DELETE"),
    ("insert into t values (1)", "only SELECT is allowed: found INSERT"),
    ("SELECT 1; DROP TABLE t", "exactly one statement is allowed: found 2 (SELECT, DROP)"),
    ("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "only SELECT is allowed: found DELETE"),
    ("SELECT * INTO t2 FROM t", "only SELECT is allowed: found SELECT INTO"),
    ("SELECT * FROM t FOR UPDATE", "locking clauses are not allowed: found FOR UPDATE"),
    ("SELECT * FROM t FOR SHARE", "locking clauses are not allowed: found FOR SHARE"),
    ("COPY t TO STDOUT", "only SELECT is allowed: found COPY"),
    ("EXPLAIN ANALYZE DELETE FROM t", "only SELECT is allowed: found EXPLAIN"),
    ("SELECT PG_SLEEP(1)", f"the function pg_sleep() {NOT_LISTED} ({DOCS})"),
    ("SELECT pg_catalog.pg_read_file('/etc/passwd')", f"the function pg_catalog.pg_read_file() {QUALIFIED} ({DOCS})"),
    ("SELECT * FROM dblink_exec('x')", f"the function dblink_exec() {NOT_LISTED} ({DOCS})"),
    ("SELECT lo_unlink(1)", f"the function lo_unlink() {NOT_LISTED} ({DOCS})"),
    ("SELECT set_config('a', 'b', false)", f"the function set_config() {NOT_LISTED} ({DOCS})"),
    ("SELECT \uff50\uff47\uff3f\uff53\uff4c\uff45\uff45\uff50(5)", f"the function pg_sleep() {NOT_LISTED} ({DOCS})"),
    ("", "the query is empty"),
    (" ; ", "the query is empty"),
    ("SELECT 1\x00", "the query contains a NUL character"),
])
def test_refusals_say_why(sql: str, reason: str) -> None:
    with pytest.raises(QueryRefused) as e:
        check_select(sql, "postgres")
    assert str(e.value) == reason


def test_sqlite_statements_are_refused_in_the_sqlite_dialect() -> None:
    for sql, found in (("PRAGMA writable_schema = 1", "PRAGMA"), ("ATTACH DATABASE 'x' AS y", "ATTACH")):
        with pytest.raises(QueryRefused, match=f"found {found}"):
            check_select(sql, "sqlite")


def test_what_cannot_be_parsed_is_refused() -> None:
    with pytest.raises(QueryRefused, match="could not be parsed"):
        check_select("\uff24\uff25\uff2c\uff25\uff34\uff25 FROM t", "postgres")
