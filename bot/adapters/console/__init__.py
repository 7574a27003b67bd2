"""The console: the embedded default platform (stdout outbound; the REPL in bot/repl.py reads stdin)."""
from __future__ import annotations

from bot.adapters.console.component import PLATFORM
from bot.adapters.console.outbound import ConsoleOutbound, render_text

__all__ = ["PLATFORM", "ConsoleOutbound", "render_text"]
