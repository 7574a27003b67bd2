"""SELECT-only, decided by parsing: the first of the two locks on the database provider (the second is
the read-only connection in `providers/database.py`).

A query passes when it is exactly one statement, that statement is a SELECT (or WITH … SELECT, or a
set operation of SELECTs), and nowhere inside it is there a data-modifying statement (writable CTEs),
SELECT INTO, a locking clause (FOR UPDATE/SHARE), or a call to a function on the deny-list. Anything
sqlglot cannot parse is refused: the guard fails closed.
"""
from __future__ import annotations

import unicodedata

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

# Functions that read or write files, talk to other servers, sleep, signal backends or change
# settings. Exact names, then prefixes (a family such as lo_* or dblink_*).
DENIED_FUNCTIONS = frozenset({
    "pg_sleep", "pg_sleep_for", "pg_sleep_until", "sleep", "benchmark",
    "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "pg_file_write", "pg_file_unlink",
    "pg_file_rename", "copy", "set_config", "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf",
    "pg_rotate_logfile", "pg_promote", "pg_notify", "nextval", "setval", "pg_export_snapshot",
    "pg_import_system_collations", "query_to_xml", "query_to_xml_and_xmlschema", "query_to_xmlschema",
    "cursor_to_xml", "cursor_to_xmlschema", "load_extension", "readfile", "writefile", "edit",
    "fts3_tokenizer", "sys_exec", "sys_eval", "load_file",
})
DENIED_PREFIXES = (
    "lo_", "dblink", "pg_ls_", "pg_read_", "pg_advisory", "pg_try_advisory", "pg_switch_", "pg_create_",
    "pg_drop_", "pg_replication_", "pg_logical_", "pg_wal_", "pg_backup_", "pg_start_backup", "pg_stop_backup",
    "pg_stat_reset", "pg_sleep",
)

_ROOTS = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)
_WRITES = tuple(
    cls for cls in (
        getattr(exp, n, None) for n in (
            "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "AlterTable", "TruncateTable",
            "Command", "Copy", "Set", "Pragma", "Attach", "Detach", "Transaction", "Commit", "Rollback",
            "Use", "Grant", "Revoke", "Analyze", "LoadData", "Cache", "Uncache", "Refresh", "Kill",
        )
    ) if isinstance(cls, type)
)
DIALECTS = {"postgresql": "postgres", "postgres": "postgres", "sqlite": "sqlite", "mysql": "mysql", "mariadb": "mysql"}


class QueryRefused(Exception):
    """The query is not a plain read; the text says why (shown to the user as written)."""


def _keyword(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    if isinstance(node, exp.Into):
        return "SELECT INTO"
    if isinstance(node, exp.Lock):
        return "FOR UPDATE" if node.args.get("update") else "FOR SHARE"
    if isinstance(node, exp.Transaction):
        return "BEGIN"
    return node.key.upper()


def _function_name(node: exp.Func) -> str:
    raw = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
    # NFKC folds full-width and compatibility letters, so "ｐｇ＿ｓｌｅｅｐ" is caught too
    return unicodedata.normalize("NFKC", str(raw)).lower().strip('"`[]')


def is_denied_function(name: str) -> bool:
    return name in DENIED_FUNCTIONS or name.startswith(DENIED_PREFIXES)


def check_select(sql: str, dialect: str | None = None) -> exp.Expression:
    """Return the parsed statement, or raise QueryRefused saying why it is not allowed."""
    if not sql or not sql.strip():
        raise QueryRefused("the query is empty")
    if "\x00" in sql:
        raise QueryRefused("the query contains a NUL character")
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except SqlglotError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise QueryRefused(f"the query could not be parsed as {dialect or 'SQL'}: {first}") from None
    if not statements:
        raise QueryRefused("the query is empty")
    if len(statements) > 1:
        kinds = ", ".join(_keyword(s) for s in statements)
        raise QueryRefused(f"exactly one statement is allowed: found {len(statements)} ({kinds})")
    stmt = statements[0]
    if not isinstance(stmt, _ROOTS) or (isinstance(stmt, exp.Subquery) and not isinstance(stmt.unnest(), _ROOTS)):
        raise QueryRefused(f"only SELECT is allowed: found {_keyword(stmt)}")
    for node in stmt.walk():
        if isinstance(node, _WRITES):
            raise QueryRefused(f"only SELECT is allowed: found {_keyword(node)}")
        if isinstance(node, exp.Into):
            raise QueryRefused("only SELECT is allowed: found SELECT INTO")
        if isinstance(node, exp.Lock):
            raise QueryRefused(f"locking clauses are not allowed: found {_keyword(node)}")
        if isinstance(node, exp.Func):
            name = _function_name(node)
            if is_denied_function(name):
                raise QueryRefused(f"the function {name}() is not allowed")
    return stmt
