"""The one shape of a chat or code platform: a component that declares its settings and opens its edges.

A platform package (`bot/adapters/<name>/`) exports one `Platform` object. Its `sections` are the
settings it declares beside its code (composed into the one `Settings` by bot/settings.py); `open`,
given the spine, enters — as one async context manager — its outbound (every mode delivers), its HTTP
routes, and, when `receive` is set, its inbound runners (gateways, sockets). `probes` tell
`chatops check` how to reach it. `open_bot` enters the literal list in bot/adapters/platforms.py in
order; adding a platform is its package plus one line there.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic_settings import BaseSettings
from starlette.routing import BaseRoute

from bot.adapters.base import Outbound

if TYPE_CHECKING:
    from bot.spine import Spine

Probe = Callable[[], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class Opened:
    """What an open platform contributes: its outbound (None when not configured), its HTTP routes, and
    its inbound runner objects by name (e.g. the Discord gateway client), for readiness and tests."""

    outbound: Outbound | None = None
    routes: Sequence[BaseRoute] = ()
    inbound: Mapping[str, Any] = field(default_factory=dict)


class Platform(Protocol):
    name: str
    sections: Mapping[str, type[BaseSettings]]

    def configured(self, sections: Mapping[str, BaseSettings]) -> bool:
        """Whether the settings ask for this platform at all (`chatops check`, the console default)."""
        ...

    def open(self, spine: Spine, *, receive: bool) -> AbstractAsyncContextManager[Opened]: ...

    def probes(self, sections: Mapping[str, BaseSettings]) -> dict[str, Probe]:
        """One reachability check per configured service, for `chatops check`."""
        ...
