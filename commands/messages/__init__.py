"""The one message catalog of `commands/`: every user-facing string, in English and Japanese, behind `t`.

    from commands.messages import t
    t("mcp.unknown_tool", ctx.locale, name="db.query")

The strings live in topic tables beside this module (`general`, `help`, `mcp`, `github`,
`alerts`, `report`, `status`, `access`) so that a branch adding a command edits one small file; they are merged
here into one table, and a key defined twice stops the import. Keys of a topic table start with its
topic (`help.`, `mcp.`, `github.`, `alerts.`, `report.`, `health.`, `status.`); the general strings of
dispatch, /ask and the LLM have no prefix. `tests/unit/commands/test_messages.py` walks the table:
every key has `en` and `ja` with the same format fields, and every `t("…")` in the package names a key
that exists.
"""
from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping

from commands.messages import access, alerts, general, github, help, mcp, report, status

Table = Mapping[str, Mapping[str, str]]
LOCALES = ("en", "ja")


def language(locale: str | None) -> str:
    """The catalog language of a locale: "ja-JP" and "ja" are Japanese, anything else English."""
    return "ja" if (locale or "").lower().startswith("ja") else "en"


class Catalog:
    """A lookup over one merged table: `t = Catalog(access.MESSAGES, general.MESSAGES, mcp.MESSAGES)`; `t("key", "ja", x=1)`.

    Used for this package's `t` and for `bot/`'s own catalog, so both look strings up the same way.
    An unknown key raises KeyError (a typo must fail its test, not print a key).
    """

    def __init__(self, *tables: Table) -> None:
        merged: dict[str, Mapping[str, str]] = {}
        for table in tables:
            twice = sorted(set(merged) & set(table))
            if twice:
                raise ValueError(f"message keys defined twice: {', '.join(twice)}")
            merged.update(table)
        self.messages: Mapping[str, Mapping[str, str]] = merged

    def __call__(self, key: str, locale: str | None = "en", **fields: object) -> str:
        entry = self.messages[key]
        return entry.get(language(locale), entry["en"]).format(**fields)


def format_fields(template: str) -> set[str]:
    """The names a template formats (`{spent:.4f}` → "spent"); `{{` escapes are not fields."""
    return {re.split(r"[.\[]", name, maxsplit=1)[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def problems(messages: Table, locales: Iterable[str] = LOCALES) -> list[str]:
    """What is wrong with a table: a locale missing or empty, or format fields that differ between locales."""
    out = []
    wanted = tuple(locales)
    for key, entry in messages.items():
        missing = [loc for loc in wanted if not entry.get(loc)]
        if missing:
            out.append(f"{key}: no {', '.join(missing)}")
            continue
        fields = {loc: format_fields(entry[loc]) for loc in wanted}
        if len({frozenset(f) for f in fields.values()}) > 1:
            out.append(f"{key}: format fields differ: " + "; ".join(f"{loc} {sorted(f)}" for loc, f in fields.items()))
    return out


_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")


def guess_locale(text: str, declared: str | None = None) -> str:
    """The platform's declared locale wins; otherwise Japanese script in the text means 'ja'."""
    if declared:
        return language(declared)
    return "ja" if _JAPANESE.search(text or "") else "en"


t = Catalog(access.MESSAGES, general.MESSAGES, help.MESSAGES, mcp.MESSAGES, github.MESSAGES, alerts.MESSAGES, report.MESSAGES, status.MESSAGES)

__all__ = ["Catalog", "LOCALES", "format_fields", "guess_locale", "language", "problems", "t"]
