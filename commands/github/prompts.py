"""Prompts are data (TOML beside this module), loaded once and filled with `str.format`."""
from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from commands.github.safety import UNTRUSTED_NOTE
from pool import Message

_DIR = Path(__file__).parent / "prompts"


@functools.cache
def load(name: str) -> dict[str, str]:
    with open(_DIR / f"{name}.toml", "rb") as f:
        data = tomllib.load(f)
    return {k: v.strip() for k, v in data.items()}


def messages(name: str, **fields: object) -> list[Message]:
    p = load(name)
    return [
        Message("system", p["system"].format(untrusted_note=UNTRUSTED_NOTE, **fields)),
        Message("user", p["user"].format(**fields)),
    ]
