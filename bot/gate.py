"""The permission gate: the intake middleware every request passes (command, mention, button, GitHub job,
scheduled work) before anything is stored.

    identity → workspace/guild allow-list and DMs → roles (policy + platform groups + grants) → actions

A refusal is answered at once (ephemeral, in the asker's language, naming what is needed), counted, and
written to the audit trail; an admitted request carries its roles on the Execution row, where the handler
reads them for what only it can check (a tool, a repository). Nothing here waits on a platform more than
once per person and TTL, nor on the database more than once per `grants_ttl` per process: that is how
a grant made in one process takes effect in the others within about two seconds.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from prometheus_client import Counter

from bot.intake import Decision, Next, Rejected, Request
from bot.members import MemberLookup, Membership
from bot.ratelimit import RateLimiter
from bot.storage.access import AccessStore
from commands.access.identity import Identity, mention
from commands.access.policy import Policy, Verdict
from commands.access.rules import SPACE_SETTINGS, actions_for, place_refusal, rate_refusal, refusal
from commands.model import Event, Reply
from commands.registry import Command

log = logging.getLogger("chatops.access")
REFUSED = Counter("chatops_access_refused_total", "Requests the permission gate refused, by reason", ["reason"])
LOOKUP_TIMEOUT = 1.5  # seconds a member lookup may take on the acknowledgement path (Slack allows 3 s)
# A person's membership is reused this long without asking the lookup (whose own cache holds it for
# minutes): the common request then costs dictionary reads only, no timeout scope (issue 13: < 5 % of the ack).
MEMBERSHIP_REUSE = 5.0


class Grants:
    """Every run-time grant, subject → roles, reloaded at most every `ttl` seconds (one load at a time)."""

    def __init__(self, store: AccessStore, ttl: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.store, self.ttl, self._clock = store, ttl, clock
        self._by_subject: dict[str, frozenset[str]] = {}
        self._fresh_until = float("-inf")
        self._loading: asyncio.Task[None] | None = None
        self._generation, self._reread = 0, False
        self.version = 0

    async def current(self) -> dict[str, frozenset[str]]:
        now = self._clock()
        if now >= self._fresh_until:
            if self._loading is None:
                self._loading = asyncio.ensure_future(self._load())
            # Under load the grants are reloaded every second; the requests meanwhile take the ones read
            # less than 1.5 s ago rather than park behind the read (it would stall a burst of acks). Older
            # ones (an idle process, a change made here: invalidate) are waited for.
            if now >= self._fresh_until + self.ttl / 2:
                await asyncio.shield(self._loading)
                if self._reread:  # the read began before a change made here: read once more
                    if self._loading is None:
                        self._loading = asyncio.ensure_future(self._load())
                    await asyncio.shield(self._loading)
        return self._by_subject

    async def _load(self) -> None:
        generation = self._generation
        self._reread = False
        try:
            found: dict[str, set[str]] = {}
            for g in await self.store.grants():
                found.setdefault(g.subject, set()).add(g.role)
            loaded = {s: frozenset(r) for s, r in found.items()}
            if loaded != self._by_subject:
                self._by_subject, self.version = loaded, self.version + 1
            if generation == self._generation:
                self._fresh_until = self._clock() + self.ttl
            else:  # invalidated while reading: what was read may predate the change
                self._reread = True
        except Exception:  # the database is away: keep the last grants rather than refuse everyone
            log.warning("access grants could not be read; using the last known ones", exc_info=True)
        finally:
            self._loading = None

    def invalidate(self) -> None:
        """This process changed a grant: the next request reads them again (and not from a read already
        under way, which may have begun before the change was committed)."""
        self._generation += 1
        self._fresh_until = float("-inf")

    def selectors(self, platform: str) -> frozenset[str]:
        prefix = {"slack": "slack-group:", "discord": "discord-role:", "github": "github-team:"}.get(platform, "\0")
        return frozenset(s for s in self._by_subject if s.startswith(prefix))


class Gate:
    def __init__(
        self, policy: Policy, store: AccessStore, members: Mapping[str, MemberLookup],
        spaces: Mapping[str, frozenset[str] | None], *, grants_ttl: float = 1.0, rates: RateLimiter | None = None,
    ) -> None:
        self.policy, self.store, self.members, self.spaces = policy, store, members, spaces
        self.rates = rates
        self.grants = Grants(store, grants_ttl)
        self._roles: dict[tuple[str, tuple[str, ...], bool, int], frozenset[str]] = {}
        self._memberships: dict[tuple[str, int], tuple[float, Membership]] = {}
        self._verdicts: dict[tuple[frozenset[str], str, str, str | None, bool], Verdict] = {}

    async def __call__(self, request: Request, call_next: Next) -> Decision:
        event = request.event
        try:
            identity = Identity.parse(event.user)
        except ValueError:
            return await self._refuse(request, "identity", place_refusal("identity", "", request.locale))
        if identity.platform in SPACE_SETTINGS:
            reason = None
            if identity.dm or _slack_dm(event):
                reason = None if self.policy.dms else "dm"
            else:
                allowed = self.spaces.get(identity.platform)
                reason = "workspace" if allowed is not None and identity.space not in allowed else None
            if reason is not None:
                return await self._refuse(request, reason, place_refusal(reason, identity.platform, request.locale))
        roles = await self.roles_of(identity, event)
        assert request.command is not None and request.args_checked is not None  # resolve ran first
        conversation = event.conversation
        channel = f"{conversation.platform}:{conversation.channel}"
        repo = conversation.channel if conversation.platform == "github" else None
        # a repository named in the arguments (`/review owner/repo#1`) is the handler's to check
        later = repo is None and request.command.checks_repo
        for action in actions_for(request.command, request.args_checked):
            verdict = self._allows(roles, action, channel, repo, later)
            if not verdict.allowed:
                return await self._refuse(request, "permission", self.explain(verdict, request.locale, event), verdict)
        if self.rates is not None and (limited := self._rate(identity, event, request.locale, request.command)) is not None:
            return await limited
        request.roles = roles
        return await call_next(request)

    def _rate(self, identity: Identity, event: Event, locale: str, command: Command | None) -> Awaitable[Rejected] | None:
        """Per person and conversation for people; per sender for GitHub work; none for the console and the
        scheduler (the operator's terminal, the bot's own jobs)."""
        platform = identity.platform
        if platform in ("console", "system"):
            return None
        conversation = event.conversation
        if platform == "github":
            wanted = [("github", str(identity))]
        else:
            wanted = [("user", str(identity)), ("channel", f"{conversation.platform}:{conversation.channel}")]
            if command is not None and command.uses_llm:
                wanted.append(("tokens", str(identity)))
        assert self.rates is not None
        hit = self.rates.take(wanted)
        if hit is None:
            return None
        return self._limited(identity, event, locale, *hit)

    async def _limited(self, identity: Identity, event: Event, locale: str, scope: str, wait: float) -> Rejected:
        REFUSED.labels("rate").inc()
        text = rate_refusal(scope, wait, locale)
        assert self.rates is not None
        key = str(identity) if scope != "channel" else f"{event.conversation.platform}:{event.conversation.channel}"
        if self.rates.first_refusal(scope, key):  # a flood is audited once per window, not per request
            with contextlib.suppress(Exception):
                await self.store.record(str(identity), f"{event.conversation.platform}:{event.conversation.channel}",
                                        "rate", "refused", detail={"reason": "rate", "scope": scope, "retry_after": wait})
        return Rejected(Reply.failure(text, ephemeral=True), refused="rate")

    def _allows(self, roles: frozenset[str], action: str, channel: str, repo: str | None, later: bool) -> Verdict:
        """The policy's answer, remembered: the policy is fixed for the process, so one answer per question."""
        key = (roles, action, channel, repo, later)
        verdict = self._verdicts.get(key)
        if verdict is None:
            if len(self._verdicts) > 10_000:
                self._verdicts.clear()
            verdict = self._verdicts[key] = self.policy.allows(roles, action, channel=channel, repo=repo,
                                                               repo_later=later)
        return verdict

    def explain(self, verdict: Verdict, locale: str, event: Event) -> str:
        return refusal(verdict, locale, who=mention(event.user))

    async def roles_of(self, identity: Identity, event: Event) -> frozenset[str]:
        grants = await self.grants.current()
        membership = await self._membership(identity, event)
        groups = (*event.groups, *sorted(membership.groups))
        key = (str(identity), groups, membership.guest, self.grants.version)
        roles = self._roles.get(key)
        if roles is None:
            granted = set(grants.get(str(identity), ()))
            for group in groups:
                granted |= grants.get(group, frozenset())
            roles = self.policy.roles_of(identity, groups, guest=membership.guest, granted=granted)
            if len(self._roles) > 10_000:
                self._roles.clear()
            self._roles[key] = roles
        return roles

    async def _membership(self, identity: Identity, event: Event) -> Membership:
        lookup = self.members.get(identity.platform)
        if lookup is None:
            return Membership()
        key, now = (str(identity), self.grants.version), time.monotonic()
        seen = self._memberships.get(key)
        if seen is not None and seen[0] > now:
            return seen[1]
        wanted = self.policy.selectors(identity.platform) | self.grants.selectors(identity.platform)
        try:
            # a timeout scope, not wait_for: no task and no extra loop turn on the acknowledgement path
            async with asyncio.timeout(LOOKUP_TIMEOUT):
                found = await lookup.membership(identity, event, wanted)
        except Exception as e:  # a platform that cannot say: no groups, and a guest where guests exist (deny-safe)
            log.warning("member lookup for %s failed: %s", identity, type(e).__name__)
            found = Membership(guest=identity.platform == "slack")
        if len(self._memberships) > 10_000:
            self._memberships.clear()
        self._memberships[key] = (now + MEMBERSHIP_REUSE, found)
        return found

    async def _refuse(self, request: Request, reason: str, text: str, verdict: Verdict | None = None) -> Rejected:
        REFUSED.labels(reason).inc()
        event = request.event
        conversation = event.conversation
        action = verdict.action if verdict else (request.command.name if request.command else "?")
        detail: dict[str, object] = {"reason": reason, "trigger": event.trigger, "text": event.text[:200]}
        try:
            await self.store.record(event.user or "?", f"{conversation.platform}:{conversation.channel}", action,
                                    "refused", detail=detail)
        except Exception:  # the refusal still stands; the log keeps what the table could not
            log.warning("audit write failed for a refusal of %s (%s)", event.user, reason, exc_info=True)
        return Rejected(Reply.failure(text, ephemeral=True), refused=reason)


def _slack_dm(event: Event) -> bool:
    # Slack DM channel ids start with D; a slash command typed in a DM says so by channel_name too
    return event.conversation.platform == "slack" and event.conversation.channel.startswith("D")

