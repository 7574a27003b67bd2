"""The documented contracts stay true: every setting is documented, the README starts with the two commands."""
from __future__ import annotations

from pathlib import Path

from bot.settings import _SECTIONS
from bot.settings_doc import env_example, readme_with_table

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_in_the_readme_and_env_example() -> None:
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    names = [name.upper() for cls in _SECTIONS.values() for name in cls.model_fields]
    missing = [n for n in names if f"`{n}`" not in readme or f"#{n}=" not in example]
    assert not missing, f"undocumented settings: {missing} (run: python -m bot.settings_doc)"
    assert example == env_example(), "run: python -m bot.settings_doc"
    assert readme == readme_with_table(readme), "run: python -m bot.settings_doc"


def test_readme_opens_with_install_and_test_commands() -> None:
    lines = [line for line in (ROOT / "README.md").read_text().splitlines() if line.strip()]
    block = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert block[0].startswith("python3 -m venv .venv") and "chatops" in block[0]
    assert block[1] == ".venv/bin/python -m pytest -q"


def test_procfile_runs_web_and_worker() -> None:
    assert (ROOT / "Procfile").read_text().split("\n")[:2] == ["web: chatops web", "worker: chatops worker"]
