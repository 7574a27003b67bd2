"""Provider API keys encrypted at rest (table stored_secret): only Fernet tokens reach the database.

Written by the CLI (`chatops keys …`) and read once at start-up; never by a chat command.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.keys import NO_KEY, SecretKeyError, setting_for
from bot.storage.models import SECRETS

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet


@dataclass(frozen=True, slots=True)
class SecretInfo:
    name: str
    updated_at: float


def _unreadable(name: str) -> SecretKeyError:
    return SecretKeyError(
        f"stored key {name!r} cannot be decrypted with CHATOPS_SECRET_KEY: the secret key changed"
        " (put the old key after the new one, comma-separated, and run `chatops keys rotate`)"
    )


class SecretStore:
    """`fernet` may be None for what needs no decryption (list, delete)."""

    def __init__(self, engine: AsyncEngine, fernet: MultiFernet | None) -> None:
        self.engine = engine
        self._fernet = fernet

    def _key(self) -> MultiFernet:
        if self._fernet is None:
            raise SecretKeyError(NO_KEY)
        return self._fernet

    async def set(self, name: str, value: str) -> None:
        """Insert or replace; unknown names raise ValueError listing the known ones."""
        setting_for(name)
        token = self._key().encrypt(value.encode()).decode()
        now = time.time()
        async with self.engine.begin() as conn:
            changed = await conn.execute(
                update(SECRETS).where(SECRETS.c.name == name).values(ciphertext=token, updated_at=now)
            )
            if not changed.rowcount:
                await conn.execute(insert(SECRETS).values(name=name, ciphertext=token, created_at=now, updated_at=now))

    async def get(self, name: str) -> str | None:
        async with self.engine.connect() as conn:
            token = (await conn.execute(select(SECRETS.c.ciphertext).where(SECRETS.c.name == name))).scalar()
        return None if token is None else self._decrypt(name, token)

    async def read_all(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(SECRETS.c.name, SECRETS.c.ciphertext).order_by(SECRETS.c.name))).all()
        return {name: self._decrypt(name, token) for name, token in rows}

    async def list(self) -> list[SecretInfo]:
        """Names and when each was last set; never a value."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(SECRETS.c.name, SECRETS.c.updated_at).order_by(SECRETS.c.name))).all()
        return [SecretInfo(name, updated_at) for name, updated_at in rows]

    async def delete(self, name: str) -> bool:
        async with self.engine.begin() as conn:
            return bool((await conn.execute(delete(SECRETS).where(SECRETS.c.name == name))).rowcount)

    async def rotate(self) -> int:
        """Re-encrypt every row with the primary (first) key, all in one transaction: a row no key can
        decrypt stops the rotation with nothing changed."""
        from cryptography.fernet import InvalidToken

        key = self._key()
        async with self.engine.begin() as conn:
            rows = (await conn.execute(select(SECRETS.c.name, SECRETS.c.ciphertext))).all()
            for name, token in rows:
                try:
                    fresh = key.rotate(token.encode()).decode()
                except InvalidToken:
                    raise _unreadable(name) from None
                # the value, and so updated_at, is unchanged
                await conn.execute(update(SECRETS).where(SECRETS.c.name == name).values(ciphertext=fresh))
        return len(rows)

    def _decrypt(self, name: str, token: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._key().decrypt(token.encode()).decode()
        except InvalidToken:
            raise _unreadable(name) from None
