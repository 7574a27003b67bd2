"""Shared fixtures: isolated settings, a database per test (SQLite always, PostgreSQL when
TEST_DATABASE_URL is set), the bot assembled on it with the real console adapter, and the fake LLM."""
from __future__ import annotations

import asyncio
import io
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.adapters.console import ConsoleOutbound
from bot.app import Bot, open_bot
from bot.settings import _SECTIONS, Settings, load_settings
from bot.storage.engine import async_url, create_engine
from pool.fake import FakeLLM

PG_URL = os.environ.get("TEST_DATABASE_URL")


def _setting_names() -> set[str]:
    return {name.upper() for cls in _SECTIONS.values() for name in cls.model_fields}


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the machine's environment or a .env file in the working directory."""
    for name in _setting_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


# -- databases -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A throwaway database on the TEST_DATABASE_URL server for this test session."""
    if not PG_URL:
        yield None
        return
    name = f"chatops_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = async_url(PG_URL)

    async def run(sql: str) -> None:
        engine = create_engine(admin.render_as_string(hide_password=False))
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
        await engine.dispose()

    # may be first requested from inside a running loop (an async fixture): use a thread of its own
    def blocking(sql: str) -> None:
        with ThreadPoolExecutor(1) as ex:
            ex.submit(asyncio.run, run(sql)).result()

    blocking(f'CREATE DATABASE "{name}"')
    yield admin.set(database=name).render_as_string(hide_password=False)
    blocking(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database URL: a new SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'chatops.db'}"
        return
    url = request.getfixturevalue("pg_database")
    if url is None:
        pytest.skip("TEST_DATABASE_URL is not set")
    engine = create_engine(url)
    async with engine.begin() as conn:
        # the whole schema, so a table a new migration adds never survives into the next test
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'chatops.db'}"


# -- settings and the bot --------------------------------------------------------------------------
SettingsFactory = Callable[..., Settings]


@pytest.fixture
def make_settings(tmp_path: Path) -> SettingsFactory:
    """`make_settings(core={...}, llm={...})`: settings from explicit values only."""

    def make(**sections: dict[str, Any]) -> Settings:
        core = {"database_url": f"sqlite:///{tmp_path / 'chatops.db'}", "data_dir": tmp_path / "data", **sections.pop("core", {})}
        return load_settings(env_file=None, core=core, **sections)

    return make


class Transcript(io.StringIO):
    """What the console adapter printed."""


@pytest.fixture
def transcript() -> Transcript:
    return Transcript()


@pytest.fixture
def console(transcript: Transcript, tmp_path: Path) -> ConsoleOutbound:
    return ConsoleOutbound(tmp_path / "data", out=transcript)


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as fake:
        yield fake


@pytest.fixture
async def bot(make_settings: SettingsFactory, db_url: str, console: ConsoleOutbound, fake_llm: FakeLLM) -> AsyncIterator[Bot]:
    """The assembled bot on a fresh database, the console adapter, and the fake LLM."""
    settings = make_settings(
        core={"database_url": db_url, "lease_seconds": 5, "poll_interval": 0.05},
        llm={"openai_base_url": fake_llm.url, "llm_timeout": 2},
    )
    async with open_bot(settings, outbounds=[console]) as b:
        yield b
