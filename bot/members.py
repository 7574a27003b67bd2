"""What a platform says a person belongs to: its groups (Slack user groups, Discord roles, GitHub teams)
and whether it is a guest. Each platform that can tell registers a `MemberLookup` in the spine
(`spine.members[platform]`) when it opens; the access gate asks it for every request it has not seen
lately. Lookups answer from a short cache: the acknowledgement path must not wait on a platform API
more than once per person and TTL.
"""
from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from commands.access.identity import Identity
from commands.model import Event

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Membership:
    groups: frozenset[str] = frozenset()  # group selectors: slack-group:T/S, discord-role:G/R, github-team:org/slug
    guest: bool = False  # a Slack guest (restricted or single-channel account): the policy's guest role


NOBODY = Membership()
# A failed lookup's deny-safe answer is kept this long: during a platform outage each person costs one
# timed-out call per quarter minute, not one per command on the acknowledgement path.
FAILED_TTL = 15.0


class MemberLookup(Protocol):
    async def membership(self, identity: Identity, event: Event, wanted: frozenset[str]) -> Membership:
        """The groups among `wanted` (the selectors of this platform that the policy and the grants name)
        that `identity` belongs to, plus any the event's payload names, and whether it is a guest."""
        ...


class TTLCache(Generic[K, V]):
    """Values for `ttl` seconds, at most `size` of them (the oldest go first); one load per key at a time
    is not enforced: two concurrent misses load twice, which a read-only platform call tolerates."""

    def __init__(self, ttl: float, size: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self._clock = ttl, size, clock
        self._data: dict[K, tuple[float, V]] = {}

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        now = self._clock()
        hit = self._data.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = await load()
        self.put(key, value, self.ttl)
        return value

    def put(self, key: K, value: V, ttl: float) -> None:
        if len(self._data) >= self.size:
            for old in list(self._data)[: max(1, self.size // 10)]:
                del self._data[old]
        self._data[key] = (self._clock() + ttl, value)

    def clear(self) -> None:
        self._data.clear()
