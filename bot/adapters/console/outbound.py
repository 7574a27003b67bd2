"""The console adapter: the embedded default, like errbot's and hubot's shell backends.

Replies print as terminal text; images are written under the data directory and their paths printed;
in-place updates print only what was added, so streamed answers appear progressively.
"""
from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path
from typing import TextIO

from commands.model import Conversation, Reply


def render_text(reply: Reply) -> str:
    text = reply.plain_text()
    if reply.buttons:
        text += "\n" + "  ".join(f"[{b.label}]" for b in reply.buttons)
    return text


class ConsoleOutbound:
    platform = "console"
    min_edit_interval = 0.0

    def __init__(self, data_dir: Path, out: TextIO | None = None) -> None:
        self._images = Path(data_dir) / "images"
        self._out = out or sys.stdout
        self._ids = itertools.count(1)
        self._shown: dict[str, str] = {}
        self.errors = 0  # final replies marked as errors, for `chatops say`'s exit code
        self.finals = 0

    def ready(self) -> bool:
        return True

    async def post(self, conversation: Conversation, reply: Reply, *, final: bool = True) -> str:
        ref = f"{os.getpid()}-{next(self._ids)}"
        self._write(ref, reply, final)
        return ref

    async def update(self, conversation: Conversation, ref: str, reply: Reply, *, final: bool = True) -> None:
        self._write(ref, reply, final)

    def _write(self, ref: str, reply: Reply, final: bool) -> None:
        text = render_text(reply)
        previous = self._shown.get(ref, "")
        if text.startswith(previous):
            chunk = text[len(previous):]
        else:
            chunk = "\n" + text  # the message changed, not only grew: show it again whole
        self._shown[ref] = text
        if final:
            self.finals += 1
            self.errors += reply.error
            for i, img in enumerate(reply.images):
                chunk += f"\n[image: {img.alt}] {self._save(ref, i, img.png)}"
            chunk += "\n"
            self._shown.pop(ref, None)
        self._out.write(chunk)
        self._out.flush()

    def _save(self, ref: str, index: int, png: bytes) -> Path:
        self._images.mkdir(parents=True, exist_ok=True)
        path = self._images / f"{ref}-{index + 1}.png"
        path.write_bytes(png)
        return path.resolve()
