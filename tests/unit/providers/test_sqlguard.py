"""The parser lock on its own: what passes, what is refused, and the reason given."""
from __future__ import annotations

import pytest

from providers.sqlguard import QueryRefused, check_select

ALLOWED = [
    "SELECT 1", "select * from t where a = 'x;DELETE FROM t'", "WITH x AS (SELECT 1 AS a) SELECT a FROM x",
    "SELECT 1 UNION ALL SELECT 2", "(SELECT 1)", "SELECT count(*), lower(name) FROM t GROUP BY 2 ORDER BY 1 DESC LIMIT 5",
    "SELECT 1; ", "SELECT * FROM t -- trailing comment", "SELECT pg_typeof(1)",
]


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
@pytest.mark.parametrize("sql", ALLOWED)
def test_plain_reads_pass(sql: str, dialect: str) -> None:
    check_select(sql, dialect)


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
    ("SELECT PG_SLEEP(1)", "the function pg_sleep() is not allowed"),
    ("SELECT pg_catalog.pg_read_file('/etc/passwd')", "the function pg_read_file() is not allowed"),
    ("SELECT * FROM dblink_exec('x')", "the function dblink_exec() is not allowed"),
    ("SELECT lo_unlink(1)", "the function lo_unlink() is not allowed"),
    ("SELECT set_config('a', 'b', false)", "the function set_config() is not allowed"),
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
