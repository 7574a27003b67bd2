"""Regenerate the settings documentation from the settings classes: `python -m bot.settings_doc`.

Rewrites `.env.example` and the table between the markers in README.md; `tests/test_docs.py` fails
when either is out of date, so a new setting cannot go undocumented.
"""
from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from bot.settings import _SECTIONS

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"


def _default(field: object) -> str:
    d = getattr(field, "default", None)
    if d is None or isinstance(d, SecretStr) or repr(d) == "PydanticUndefined":
        return ""
    return str(d)


def env_example() -> str:
    lines = ["# Copy to .env, uncomment and fill in what you use. Every setting can also come from the environment."]
    for section, cls in _SECTIONS.items():
        lines.append(f"\n# --- {section} ---")
        for name, field in cls.model_fields.items():
            lines.append(f"# {field.description}")
            lines.append(f"#{name.upper()}={_default(field)}")
    return "\n".join(lines) + "\n"


def readme_table() -> str:
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    for cls in _SECTIONS.values():
        for name, field in cls.model_fields.items():
            d = _default(field)
            rows.append(f"| `{name.upper()}` | {f'`{d}`' if d else ''} | {field.description} |")
    return "\n".join(rows)


def readme_with_table(readme: str) -> str:
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{readme_table()}\n{END}{tail}"


def main() -> None:
    (ROOT / ".env.example").write_text(env_example())
    readme = ROOT / "README.md"
    readme.write_text(readme_with_table(readme.read_text()))


if __name__ == "__main__":
    main()
