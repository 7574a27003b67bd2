"""SELECT-only, decided by parsing: the first lock on the database provider (the others are the
read-only connection and, on SQLite, the authorizer in `providers/database.py`).

A query passes when it is exactly one statement, that statement is a SELECT (or WITH … SELECT, or a
set operation of SELECTs), nowhere inside it is there a data-modifying statement (writable CTEs),
SELECT INTO or a locking clause (FOR UPDATE/SHARE), and every function it calls is on the
**allow-list** of its dialect (`ALLOWED_FUNCTIONS`; docs/mcp.md, "The read-only database tool").
Anything sqlglot cannot parse is refused: the guard fails closed.

Why an allow-list: a deny-list cannot know every function that runs SQL text the parser never sees
(`ts_stat('select …')`, `query_to_xml`, …) or has a side effect a read-only transaction does not stop
(session advisory locks, `pg_terminate_backend`, file reads). Here a function runs only if it is listed.

How a call is named: the name is read from the query text at the position sqlglot recorded for the
call's name token, not from sqlglot's class, because the database runs the text and sqlglot maps
several names onto one class (`now()` is CURRENT_TIMESTAMP, `max(a, b)` on SQLite is GREATEST). An
unquoted name is folded to lower case; a quoted one must match exactly (`"LOWER"(x)` is not `lower`).
A schema-qualified call (`pg_catalog.pg_sleep(1)`, `public.f(x)`) is refused whatever the function.
Function nodes without a recorded name position come from a closed set of keyword syntax (CAST, CASE,
EXTRACT, TRIM, the JSON operators, CURRENT_DATE, …); those are allowed by class (`_SYNTAX`).
"""
from __future__ import annotations

import unicodedata

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

DOCS = 'see docs/mcp.md, "The read-only database tool"'

# -- the allow-list ----------------------------------------------------------------------------------
# Standard SQL, valid (or harmlessly an error) on every dialect.
_COMMON = frozenset({
    # aggregates
    "count", "sum", "avg", "min", "max",
    # window functions
    "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
    "first_value", "last_value", "nth_value",
    # conditional
    "coalesce", "nullif",
    # string
    "lower", "upper", "length", "substr", "substring", "trim", "ltrim", "rtrim", "replace",
    "concat", "concat_ws", "instr",
    # math
    "abs", "round", "ceil", "ceiling", "floor", "sign", "sqrt", "power", "pow", "exp", "ln", "log",
    "log10", "mod", "pi", "trunc", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "degrees",
    "radians",
    # casts (CAST(...) is keyword syntax; these are the call forms)
    "cast",
})

POSTGRES_FUNCTIONS = _COMMON | frozenset({
    # aggregates
    "string_agg", "array_agg", "json_agg", "jsonb_agg", "json_object_agg", "jsonb_object_agg",
    "bool_and", "bool_or", "every", "bit_and", "bit_or", "stddev", "stddev_pop", "stddev_samp",
    "variance", "var_pop", "var_samp", "corr", "covar_pop", "covar_samp", "regr_slope",
    "regr_intercept", "regr_r2", "regr_count", "percentile_cont", "percentile_disc", "mode",
    "any_value", "grouping",
    # conditional
    "greatest", "least",
    # string
    "char_length", "character_length", "octet_length", "bit_length", "btrim", "position", "strpos",
    "split_part", "left", "right", "lpad", "rpad", "repeat", "initcap", "reverse", "translate",
    "starts_with", "format", "to_char", "to_number", "ascii", "chr", "md5", "encode", "decode",
    "to_hex", "quote_ident", "quote_literal", "quote_nullable", "overlay", "regexp_replace",
    "regexp_match", "regexp_matches", "regexp_like", "regexp_count", "regexp_substr", "regexp_instr",
    "regexp_split_to_array", "regexp_split_to_table", "string_to_array", "array_to_string",
    "to_tsvector", "to_tsquery", "plainto_tsquery", "phraseto_tsquery", "websearch_to_tsquery",
    "ts_rank", "ts_rank_cd", "ts_headline", "gen_random_uuid",
    # date and time
    "now", "clock_timestamp", "statement_timestamp", "transaction_timestamp", "date_trunc",
    "date_part", "date_bin", "extract", "age", "to_timestamp", "to_date", "make_date", "make_time",
    "make_timestamp", "make_timestamptz", "make_interval", "justify_days", "justify_hours",
    "justify_interval", "isfinite", "timezone",
    # math
    "cbrt", "div", "gcd", "lcm", "width_bucket", "random", "factorial", "scale", "trim_scale",
    # JSON accessors and constructors
    "json_extract_path", "json_extract_path_text", "jsonb_extract_path", "jsonb_extract_path_text",
    "json_array_length", "jsonb_array_length", "json_typeof", "jsonb_typeof", "json_build_object",
    "jsonb_build_object", "json_build_array", "jsonb_build_array", "json_object", "to_json", "to_jsonb",
    "row_to_json", "array_to_json", "json_object_keys", "jsonb_object_keys", "json_array_elements",
    "jsonb_array_elements", "json_array_elements_text", "jsonb_array_elements_text", "json_each",
    "jsonb_each", "json_each_text", "jsonb_each_text", "jsonb_path_query", "jsonb_path_query_array",
    "jsonb_path_query_first", "jsonb_path_exists", "jsonb_path_match", "jsonb_pretty",
    "json_strip_nulls", "jsonb_strip_nulls", "jsonb_set", "jsonb_insert", "jsonb_exists",
    "json_value", "json_query", "json_exists",
    # arrays and set-returning helpers
    "array_length", "array_lower", "array_upper", "array_dims", "array_ndims", "cardinality",
    "array_position", "array_positions", "array_append", "array_prepend", "array_cat", "array_remove",
    "array_replace", "unnest", "generate_series", "generate_subscripts",
    # keyword syntax that sqlglot parses as a call: ARRAY(SELECT …), ROW(…), x = ALL(…)
    "array", "row", "any", "all", "some",
    # type information
    "pg_typeof",
})

SQLITE_FUNCTIONS = _COMMON | frozenset({
    # aggregates
    "total", "group_concat", "string_agg", "json_group_array", "json_group_object",
    # conditional (min/max with two or more arguments are scalar on SQLite)
    "ifnull", "iif",
    # string
    "printf", "format", "hex", "unhex", "quote", "char", "unicode", "typeof", "octet_length", "like",
    "glob", "likely", "unlikely", "likelihood", "soundex",
    # date and time
    "date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff",
    # math
    "log2", "random",
    # JSON accessors and constructors
    "json", "jsonb", "json_extract", "jsonb_extract", "json_array", "jsonb_array", "json_object",
    "jsonb_object", "json_array_length", "json_type", "json_valid", "json_quote", "json_each",
    "json_tree", "json_insert", "json_replace", "json_set", "json_remove", "json_patch",
    "json_pretty", "json_error_position",
    # set-returning helper (when the SQLite build has it)
    "generate_series",
})

ALLOWED_FUNCTIONS: dict[str | None, frozenset[str]] = {
    "postgres": POSTGRES_FUNCTIONS,
    "sqlite": SQLITE_FUNCTIONS,
}

# Function nodes that do not come from a call written by name: operators (`::`, `->>`, `@>`, `~`, `^`,
# `|/`, `@@`), keyword syntax sqlglot parses with a parser of its own (CAST, EXTRACT, TRIM, POSITION,
# SUBSTRING, OVERLAY, STRING_AGG, CASE, EXISTS, ARRAY[…], CURRENT_DATE, …) and adjacent string
# literals ('a' 'b'). The names they stand for are fixed by the grammar, so the class decides.
_SYNTAX = tuple(
    cls for cls in (
        getattr(exp, n, None) for n in (
            "Cast", "Case", "If", "Exists", "Array", "Concat", "Collate", "Extract", "Trim", "StrPosition",
            "Substring", "Overlay", "GroupConcat", "Ceil", "Floor", "Chr", "Initcap", "Sqrt", "Pow",
            "JSONExtract", "JSONExtractScalar", "JSONBExtract", "JSONBExtractScalar", "JSONBContains",
            "JSONBContainsTopKey", "JSONBContainsAnyTopKeys", "JSONBContainsAllTopKeys", "JSONBDeleteAtPath",
            "JSONArrayAgg", "JSONObject", "ArrayContainsAll", "ArrayContainedBy", "ArrayOverlaps",
            "RegexpLike", "RegexpILike", "MatchAgainst", "CurrentDate", "CurrentTime", "CurrentTimestamp",
            "CurrentDatetime", "Localtime", "Localtimestamp", "Decode", "DecodeCase", "JSONBExists",
            # nodes sqlglot adds around arguments (strftime's time value, CAST with a string type)
            "TsOrDsToTimestamp", "CastToStrType",
            # AND / OR / XOR
            "Connector",
        )
    ) if isinstance(cls, type)
)

# -- statements ----------------------------------------------------------------------------------------
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


def allowed_functions(dialect: str | None) -> frozenset[str]:
    """The function names a query in `dialect` may call (other dialects: the standard ones only)."""
    return ALLOWED_FUNCTIONS.get(dialect, _COMMON)


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


def _call_starts(sql: str, dialect: str | None) -> frozenset[int]:
    """Where in `sql` a token followed by "(" starts: the names of calls (the parser's own test)."""
    tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    return frozenset(t.start for t, n in zip(tokens, tokens[1:], strict=False) if n.token_type == TokenType.L_PAREN)


def _written_name(node: exp.Func, sql: str, calls: frozenset[int] | None = None) -> tuple[str, bool] | None:
    """The name of the call as the query wrote it, and whether it was quoted; None when the node is
    not a call written by name (an operator or keyword syntax). `calls`: see `_call_starts`."""
    start, end = node.meta.get("start"), node.meta.get("end")
    if (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end < len(sql)
            and (calls is None or start in calls)):
        raw = sql[start:end + 1]
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in '"`':
            return raw[1:-1], True
        if len(raw) >= 2 and raw[0] == "[" and raw[-1] == "]":
            return raw[1:-1], True
        return raw.lower(), False
    if isinstance(node, exp.Anonymous):  # no position recorded: still a call by name
        ident = node.this
        quoted = isinstance(ident, exp.Identifier) and bool(ident.args.get("quoted"))
        return (node.name if quoted else node.name.lower()), quoted
    return None


def _display(name: str, quoted: bool = False) -> str:
    if quoted:
        return f'"{name}"'
    # NFKC folds full-width and compatibility letters, so "ｐｇ＿ｓｌｅｅｐ" is shown as pg_sleep
    return unicodedata.normalize("NFKC", name).lower()


def _qualifier(node: exp.Func) -> str | None:
    parent = node.parent
    if isinstance(parent, exp.Dot) and parent.expression is node:
        return ".".join(p.name for p in parent.this.parts) if isinstance(parent.this, exp.Column) else parent.this.sql()
    return None


def _check_function(node: exp.Func, sql: str, allowed: frozenset[str], calls: frozenset[int]) -> None:
    written = _written_name(node, sql, calls)
    if written is None:
        if isinstance(node, _SYNTAX):
            return
        name = node.sql_name().lower()
        raise QueryRefused(f"the function {name}() is not allowed: it is not on the allow-list ({DOCS})")
    name, quoted = written
    qualifier = _qualifier(node)
    if qualifier is not None:
        raise QueryRefused(
            f"the function {_display(qualifier)}.{_display(name, quoted)}() is not allowed: schema-qualified function "
            f"calls are refused ({DOCS})")
    if name not in allowed:
        raise QueryRefused(f"the function {_display(name, quoted)}() is not allowed: it is not on the allow-list ({DOCS})")


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
    allowed = allowed_functions(dialect)
    calls = _call_starts(sql, dialect)
    for node in stmt.walk():
        if isinstance(node, _WRITES):
            raise QueryRefused(f"only SELECT is allowed: found {_keyword(node)}")
        if isinstance(node, exp.Into):
            raise QueryRefused("only SELECT is allowed: found SELECT INTO")
        if isinstance(node, exp.Lock):
            raise QueryRefused(f"locking clauses are not allowed: found {_keyword(node)}")
        if isinstance(node, exp.Func):
            _check_function(node, sql, allowed, calls)
    return stmt
