"""Who may open the web surfaces: API tokens, browser sessions and one-time login links.

A secret is shown once, to whoever made it, and only its SHA-256 is stored: a copy of the database lets
nobody in. API tokens (`chatops tokens create`) carry a role and last until revoked or their expiry;
sessions are made by signing in (with a token, or with a link from `/access link` in chat) and last
`SESSION_HOURS`; a login link works once, for `LINK_SECONDS`. Every sign-in is written to the audit trail.
"""
from __future__ import annotations

import contextlib
import hashlib
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.models import AUDIT, LOGIN_LINKS, TOKENS
from bot.storage.sqlite_writer import writer_for

TOKEN_PREFIX = "chatops_"  # recognisable by secret scanners and by people
SESSION_HOURS = 12.0
LINK_SECONDS = 600.0
LAST_USED_EVERY = 60.0  # last_used_at is a hint for the operator: one write a minute per token is plenty


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request to the web surfaces is: a token's name or a signed-in person, and the role it carries."""

    id: int
    kind: str  # "token" or "session"
    name: str
    role: str
    subject: str | None
    expires_at: float | None


@dataclass(frozen=True, slots=True)
class TokenRow:
    name: str
    kind: str
    role: str
    subject: str | None
    created_by: str
    created_at: float
    expires_at: float | None
    last_used_at: float | None


class TokenStore:
    def __init__(self, engine: AsyncEngine, clock: Callable[[], float] = time.time) -> None:
        self.engine, self.clock = engine, clock
        self._writer = writer_for(engine)
        self._touched: dict[int, float] = {}

    @contextlib.asynccontextmanager
    async def _tx(self) -> AsyncIterator[AsyncConnection]:
        async with (self._writer.lock if self._writer else contextlib.nullcontext()), self.engine.begin() as conn:
            yield conn

    # -- API tokens ------------------------------------------------------------------------------------------
    async def create(self, name: str, role: str, by: str, *, ttl: float | None = None) -> str:
        """A new API token; the secret is returned once. Raises ValueError if a live token has this name."""
        now = self.clock()
        async with self._tx() as conn:
            live = (await conn.execute(select(TOKENS.c.id).where(
                TOKENS.c.kind == "token", TOKENS.c.name == name, TOKENS.c.revoked_at.is_(None),
                or_(TOKENS.c.expires_at.is_(None), TOKENS.c.expires_at > now)))).first()
            if live is not None:
                raise ValueError(f"a token named {name!r} exists: revoke it first")
            secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
            await conn.execute(insert(TOKENS).values(
                kind="token", name=name, role=role, subject=None, token_hash=digest(secret), created_by=by,
                created_at=now, expires_at=None if ttl is None else now + ttl))
            await conn.execute(insert(AUDIT).values(_event(now, by, "tokens.create", target=name, role=role)))
        return secret

    async def tokens(self) -> list[TokenRow]:
        """The live API tokens (never their secrets)."""
        now = self.clock()
        query = select(TOKENS.c.name, TOKENS.c.kind, TOKENS.c.role, TOKENS.c.subject, TOKENS.c.created_by,
                       TOKENS.c.created_at, TOKENS.c.expires_at, TOKENS.c.last_used_at).where(
            TOKENS.c.kind == "token", TOKENS.c.revoked_at.is_(None),
            or_(TOKENS.c.expires_at.is_(None), TOKENS.c.expires_at > now)).order_by(TOKENS.c.name)
        async with self.engine.connect() as conn:
            return [TokenRow(*row) for row in (await conn.execute(query)).all()]

    async def revoke(self, name: str, by: str) -> int:
        """Revoke the live API token called `name` and every session signed in with it; how many ended."""
        now = self.clock()
        async with self._tx() as conn:
            ended = (await conn.execute(update(TOKENS).where(
                or_(TOKENS.c.name == name, TOKENS.c.name == session_name(name)),
                TOKENS.c.revoked_at.is_(None)).values(revoked_at=now))).rowcount or 0
            if ended:
                await conn.execute(insert(AUDIT).values(_event(now, by, "tokens.revoke", target=name)))
        return int(ended)

    # -- checking and sessions -------------------------------------------------------------------------------
    async def check(self, secret: str) -> Principal | None:
        """The live token or session whose secret this is, else None."""
        if not secret or len(secret) > 200:
            return None
        now = self.clock()
        query = select(TOKENS.c.id, TOKENS.c.kind, TOKENS.c.name, TOKENS.c.role, TOKENS.c.subject,
                       TOKENS.c.expires_at).where(
            TOKENS.c.token_hash == digest(secret), TOKENS.c.revoked_at.is_(None),
            or_(TOKENS.c.expires_at.is_(None), TOKENS.c.expires_at > now))
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        found = Principal(*row)
        if now - self._touched.get(found.id, 0.0) >= LAST_USED_EVERY:
            self._touched[found.id] = now
            async with self._tx() as conn:
                await conn.execute(update(TOKENS).where(TOKENS.c.id == found.id).values(last_used_at=now))
        return found

    async def open_session(self, name: str, role: str, subject: str | None, how: str) -> str:
        """Sign a browser in; `how` says with what ("token" or "link"). The cookie's secret is returned."""
        now = self.clock()
        secret = secrets.token_urlsafe(32)
        async with self._tx() as conn:
            await conn.execute(insert(TOKENS).values(
                kind="session", name=name, role=role, subject=subject, token_hash=digest(secret),
                created_by=subject or name, created_at=now, expires_at=now + SESSION_HOURS * 3600))
            await conn.execute(insert(AUDIT).values(_event(now, subject or f"token:{name}", "web.login",
                                                           target=name, role=role, how=how)))
        return secret

    async def close_session(self, secret: str) -> None:
        async with self._tx() as conn:
            await conn.execute(update(TOKENS).where(TOKENS.c.token_hash == digest(secret), TOKENS.c.kind == "session",
                                                    TOKENS.c.revoked_at.is_(None)).values(revoked_at=self.clock()))

    # -- one-time login links --------------------------------------------------------------------------------
    async def create_link(self, subject: str, role: str) -> str:
        now = self.clock()
        secret = secrets.token_urlsafe(32)
        async with self._tx() as conn:
            await conn.execute(insert(LOGIN_LINKS).values(secret_hash=digest(secret), subject=subject, role=role,
                                                          created_at=now, expires_at=now + LINK_SECONDS))
        return secret

    async def use_link(self, secret: str) -> tuple[str, str] | None:
        """(subject, role) of an unused, unexpired link, marking it used in the same statement: two clicks,
        or two processes, cannot both sign in with it."""
        if not secret or len(secret) > 200:
            return None
        now = self.clock()
        key = digest(secret)
        async with self._tx() as conn:
            used = await conn.execute(update(LOGIN_LINKS).where(
                LOGIN_LINKS.c.secret_hash == key, LOGIN_LINKS.c.used_at.is_(None),
                LOGIN_LINKS.c.expires_at > now).values(used_at=now))
            if used.rowcount != 1:
                return None
            row = (await conn.execute(select(LOGIN_LINKS.c.subject, LOGIN_LINKS.c.role).where(
                LOGIN_LINKS.c.secret_hash == key))).one()
        return str(row[0]), str(row[1])

    async def prune(self, older_than: float) -> int:
        """Forget ended sessions and links (the retention job); API tokens stay listed until revoked."""
        async with self._tx() as conn:
            links = await conn.execute(delete(LOGIN_LINKS).where(LOGIN_LINKS.c.expires_at < older_than))
            sessions = await conn.execute(delete(TOKENS).where(
                TOKENS.c.kind == "session", or_(TOKENS.c.expires_at < older_than, TOKENS.c.revoked_at < older_than)))
        return int((links.rowcount or 0) + (sessions.rowcount or 0))


def session_name(token_name: str) -> str:
    """The name of a session signed in with an API token: revoking the token ends it too."""
    return f"{token_name} (browser)"


def _event(at: float, actor: str, action: str, *, target: str, **detail: str) -> dict[str, object]:
    platform = actor.partition(":")[0] if ":" in actor else ""
    return {"at": at, "actor": actor[:255], "platform": platform[:32], "place": "web", "action": action,
            "target": target[:255], "outcome": "done", "detail": detail or None, "execution_id": None}
