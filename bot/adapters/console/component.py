"""The console as a platform component: its outbound prints to this process's stdout (rows addressed to
"console", e.g. REPORT_CHANNEL=console, are printed by whichever process runs them). Its inbound is the
REPL (bot/repl.py), run by `chatops console` and `chatops run` on a terminal, not by the assembly."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING

from pydantic_settings import BaseSettings

from bot.adapters.console.outbound import ConsoleOutbound
from bot.adapters.platform import Opened, Probe

if TYPE_CHECKING:
    from bot.spine import Spine


class ConsolePlatform:
    name = "console"
    sections: Mapping[str, type[BaseSettings]] = {}  # its one setting, DATA_DIR, is the core's

    def configured(self, sections: Mapping[str, BaseSettings]) -> bool:
        return True

    def probes(self, sections: Mapping[str, BaseSettings]) -> dict[str, Probe]:
        return {}

    @contextlib.asynccontextmanager
    async def open(self, spine: Spine, *, receive: bool) -> AsyncIterator[Opened]:
        yield Opened(ConsoleOutbound(spine.settings.core.data_dir))


PLATFORM = ConsolePlatform()
