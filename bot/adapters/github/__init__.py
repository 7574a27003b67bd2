"""GitHub: the signed webhook (inbound), comments into issue/PR threads (outbound), the platform component."""
from __future__ import annotations

from bot.adapters.github.component import PLATFORM

__all__ = ["PLATFORM"]
