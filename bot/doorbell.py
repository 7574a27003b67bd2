"""How the intake tells this process's workers that work is waiting, without callbacks up the stack.

The intake rings; workers wait with the number of rings they have seen, so a ring that lands between a
worker's empty claim and its wait is never missed. One doorbell per process, handed down at assembly to
both sides; a cross-process wake-up (PostgreSQL LISTEN) only has to ring it too.
"""
from __future__ import annotations

import asyncio
import contextlib


class Doorbell:
    def __init__(self) -> None:
        self.rings = 0
        self._event: asyncio.Event | None = None

    def ring(self) -> None:
        self.rings += 1
        if self._event is not None:
            self._event.set()
            self._event = None  # waiters hold the old one; the next wait gets a fresh event

    async def wait(self, seen: int, timeout: float) -> None:
        """Return once the bell rang after `seen` rings (at once if it already has), or after `timeout`."""
        if self.rings != seen:
            return
        if self._event is None:
            self._event = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._event.wait()
