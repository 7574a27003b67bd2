"""The outbound seam: one small interface per platform, and the router that picks one by conversation."""
from __future__ import annotations

from typing import Protocol

from commands.model import Conversation, Reply


class Outbound(Protocol):
    """Renders a Reply on one platform. `post` returns the platform's id of the new message.

    `final` is False for intermediate states (streamed tokens, progress) that a later call replaces.
    """

    platform: str
    min_edit_interval: float  # seconds between in-place edits the platform tolerates

    async def post(self, conversation: Conversation, reply: Reply, *, final: bool = True) -> str | None: ...

    async def update(self, conversation: Conversation, ref: str, reply: Reply, *, final: bool = True) -> None: ...

    def ready(self) -> bool: ...


class UnknownPlatform(LookupError):
    pass


class Outbounds:
    """Platform name → adapter. Built once at start-up; an unknown platform names the known ones."""

    def __init__(self, adapters: list[Outbound]) -> None:
        self._by_platform: dict[str, Outbound] = {}
        for a in adapters:  # the first one of a platform wins (an override given by the caller comes first)
            self._by_platform.setdefault(a.platform, a)

    def __contains__(self, platform: str) -> bool:
        return platform in self._by_platform

    def for_conversation(self, conversation: Conversation) -> Outbound:
        try:
            return self._by_platform[conversation.platform]
        except KeyError:
            known = ", ".join(sorted(self._by_platform)) or "none"
            raise UnknownPlatform(
                f"no adapter for platform {conversation.platform!r} in this process (configured: {known})"
            ) from None

    def all(self) -> list[Outbound]:
        return list(self._by_platform.values())

    async def post(self, conversation: Conversation, reply: Reply, *, final: bool = True) -> str | None:
        """Post through the adapter owning the conversation (a handler posting somewhere else, e.g. a PR)."""
        return await self.for_conversation(conversation).post(conversation, reply, final=final)
