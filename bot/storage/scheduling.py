"""Scheduler bookkeeping: the last slot each job ran (so a restart never runs a slot twice) and, on
SQLite, the leader lease (PostgreSQL uses an advisory lock instead)."""
from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel

from bot.storage.models import table_of


class SchedulerSlot(SQLModel, table=True):
    __tablename__ = "scheduler_slot"

    job: str = Field(primary_key=True, max_length=64)
    slot: str = Field(max_length=64)  # e.g. "2026-11-23T10" for the hourly report; compared as text
    ran_at: float = 0.0
    owner: str = Field(default="", max_length=128)


class SchedulerLease(SQLModel, table=True):
    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=64)
    owner: str = Field(max_length=128)
    expires_at: float = 0.0


SLOT = table_of(SchedulerSlot)
LEASE = table_of(SchedulerLease)


async def claim_slot(engine: AsyncEngine, job: str, slot: str, owner: str, now: float) -> bool:
    """Record that `job` runs `slot`; False when that slot (or a later one) already ran."""
    async with engine.begin() as conn:
        res = await conn.execute(
            update(SLOT).where(SLOT.c.job == job, SLOT.c.slot < slot).values(slot=slot, ran_at=now, owner=owner)
        )
        if res.rowcount == 1:
            return True
        exists = (await conn.execute(select(SLOT.c.slot).where(SLOT.c.job == job))).first()
        if exists is not None:
            return False
        try:
            async with conn.begin_nested():
                await conn.execute(insert(SLOT).values(job=job, slot=slot, ran_at=now, owner=owner))
        except IntegrityError:
            return False
        return True


async def last_slot(engine: AsyncEngine, job: str) -> str | None:
    async with engine.connect() as conn:
        return (await conn.execute(select(SLOT.c.slot).where(SLOT.c.job == job))).scalar()


async def take_lease(engine: AsyncEngine, name: str, owner: str, now: float, ttl: float) -> bool:
    """Take or renew the lease `name` for `ttl` seconds; False while another owner holds it."""
    async with engine.begin() as conn:
        res = await conn.execute(
            update(LEASE)
            .where(LEASE.c.name == name, (LEASE.c.owner == owner) | (LEASE.c.expires_at < now))
            .values(owner=owner, expires_at=now + ttl)
        )
        if res.rowcount == 1:
            return True
        if (await conn.execute(select(LEASE.c.owner).where(LEASE.c.name == name))).first() is not None:
            return False
        try:
            async with conn.begin_nested():
                await conn.execute(insert(LEASE).values(name=name, owner=owner, expires_at=now + ttl))
        except IntegrityError:
            return False
        return True


async def release_lease(engine: AsyncEngine, name: str, owner: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(LEASE).where(LEASE.c.name == name, LEASE.c.owner == owner).values(expires_at=0.0))
