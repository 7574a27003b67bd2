"""`/mcp call` arguments: key=value words typed by the schema, or one JSON object."""
from __future__ import annotations

import pytest

from commands.errors import UserError
from commands.mcp_args import parse_arguments, usage

SCHEMA = {
    "type": "object",
    "required": ["sql"],
    "properties": {
        "sql": {"type": "string"},
        "limit": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None},
        "ratio": {"type": "number"},
        "dry": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "status": {"enum": ["open", "closed"]},
    },
}


def test_key_values_are_converted_to_the_schema_types() -> None:
    args = parse_arguments('sql="SELECT 1 AS x" limit=5 ratio=0.5 dry=yes tags=\'["a","b"]\' status=open', SCHEMA)
    assert args == {"sql": "SELECT 1 AS x", "limit": 5, "ratio": 0.5, "dry": True, "tags": ["a", "b"], "status": "open"}
    assert parse_arguments("limit=none sql=42", SCHEMA) == {"limit": None, "sql": "42"}


def test_a_value_that_does_not_convert_stays_a_string_for_the_schema_check() -> None:
    assert parse_arguments("limit=ten", SCHEMA) == {"limit": "ten"}


def test_json_object_form() -> None:
    assert parse_arguments('{"sql": "SELECT 1", "limit": 2}', SCHEMA) == {"sql": "SELECT 1", "limit": 2}
    with pytest.raises(UserError, match="not a valid JSON object"):
        parse_arguments('{"sql": ', SCHEMA)


def test_bad_words_get_clear_errors() -> None:
    with pytest.raises(UserError, match="Expected key=value, got `SELECT`"):
        parse_arguments("SELECT 1", SCHEMA)
    with pytest.raises(UserError, match="could not be split"):
        parse_arguments('sql="SELECT', SCHEMA)
    assert parse_arguments("   ", SCHEMA) == {}


def test_usage_line_from_the_schema() -> None:
    assert usage("db.query", SCHEMA) == (
        "db.query sql=<string> [limit=<integer>] [ratio=<number>] [dry=<boolean>] [tags=<array>] [status=<string>]"
    )
