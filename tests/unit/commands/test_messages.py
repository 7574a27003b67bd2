"""The catalog of commands/: one table behind one `t`, complete in both languages, and every lookup in
the package names a key that exists with the fields its text formats."""
from __future__ import annotations

import pytest

from commands.messages import Catalog, format_fields, guess_locale, language, problems, t
from tests.catalogs import ROOT, lookup_problems, unused_keys


def test_every_key_has_english_and_japanese_with_the_same_fields() -> None:
    assert problems(t.messages) == []


def test_the_walk_catches_a_missing_locale_and_differing_fields() -> None:
    bad = {"a": {"en": "x {n}"}, "b": {"en": "{spent:.2f} of {limit}", "ja": "{limit} 中 {spent:.2f}"}, "c": {"en": "{n} left", "ja": "残り"}}
    assert problems(bad) == ["a: no ja", "c: format fields differ: en ['n']; ja []"]


def test_every_lookup_in_commands_names_a_key_with_the_fields_it_formats() -> None:
    assert lookup_problems("commands", "commands.messages", t.messages) == []


def test_no_key_is_defined_but_never_used() -> None:
    tables = tuple(sorted((ROOT / "commands" / "messages").glob("*.py")))
    assert unused_keys(("commands",), t.messages, tables) == []


def test_a_key_defined_in_two_topic_tables_stops_the_merge() -> None:
    with pytest.raises(ValueError, match="defined twice: x"):
        Catalog({"x": {"en": "a", "ja": "あ"}}, {"x": {"en": "b", "ja": "い"}})


def test_lookup_by_locale_falls_back_to_english_and_fails_on_an_unknown_key() -> None:
    assert t("mcp.unknown_tool", "ja-JP", name="db.q") == "`db.q` という MCP ツールはありません。"
    assert t("mcp.unknown_tool", "fr", name="db.q") == "Unknown MCP tool `db.q`."
    assert t("mcp.unknown_tool", None, name="db.q") == "Unknown MCP tool `db.q`."
    assert language("JA") == "ja" and language("en-US") == "en" and language(None) == "en"
    with pytest.raises(KeyError):
        t("mcp.no_such_key", "en")


def test_format_fields_reads_names_not_escapes_or_specs() -> None:
    assert format_fields("${spent:.4f} of {limit!r} {{literal}} {a.b} {c[0]}") == {"spent", "limit", "a", "c"}


def test_locale_from_platform_or_from_japanese_text() -> None:
    assert guess_locale("hello") == "en"
    assert guess_locale("こんにちは") == "ja"
    assert guess_locale("hello", "ja-JP") == "ja"
    assert guess_locale("こんにちは", "en-US") == "en"



def test_every_visible_command_is_described_in_both_languages() -> None:
    from commands import default_commands

    for cmd in (c for c in default_commands() if not c.hidden):
        assert t.messages[f"help.{cmd.name}"]["en"] == cmd.help
        if cmd.long_help:
            assert t.messages[f"help.{cmd.name}.long"]["en"] == cmd.long_help
        for part in (*cmd.args, *cmd.options):
            assert t.messages[f"help.{cmd.name}.{part.name}"]["en"] == part.help, (cmd.name, part.name)
