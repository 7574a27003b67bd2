"""Provider keys stored encrypted: set through `chatops keys`, read back through the pool, rotated, preferred
to the environment by the bot, and never written, printed or logged in plain text."""
from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.adapters.console import ConsoleOutbound
from bot.app import StartupError, open_bot, prepare_database
from bot.cli import main
from bot.intake import Accepted
from bot.keys import KeySettings, SecretKeyError, fernet, with_stored_keys
from bot.storage.engine import create_engine
from bot.storage.models import SECRETS, Status
from bot.storage.secrets import SecretStore
from commands.model import Conversation, Event
from pool import LLMSettings, load_config
from pool.fake import FakeLLM
from tests.conftest import SettingsFactory

PLAIN = "sk-stored-Pl41nT3xt-0123456789"


async def chatops(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str,
                  stdin: str = "") -> tuple[int, str, str]:
    """`chatops …` in this process (bot.cli.main, on a thread: it runs its own event loop)."""
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))  # not a terminal: `keys set` reads one line
    code = await asyncio.to_thread(main, list(args))
    out, err = capsys.readouterr()
    return code, out, err


async def _read(db_url: str, key: str, name: str = "openai") -> str | None:
    engine = create_engine(db_url)
    try:
        return await SecretStore(engine, fernet(KeySettings(chatops_secret_key=key))).get(name)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


async def _ciphertexts(db_url: str) -> list[str]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(select(SECRETS.c.ciphertext))).scalars())
    finally:
        await engine.dispose()


async def test_set_read_back_through_the_pool_rotate_and_delete(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # check probes it: closed port, no network
    code, old, _ = await chatops(monkeypatch, capsys, "keys", "generate")
    old = old.strip()
    assert code == 0 and len(old) == 44
    monkeypatch.setenv("CHATOPS_SECRET_KEY", old)

    code, out, err = await chatops(monkeypatch, capsys, "keys", "set", "openai", stdin=PLAIN + "\n")
    assert code == 0, err
    assert out.strip() == "stored openai (encrypted); it replaces OPENAI_API_KEY from the next start"
    code, out, _ = await chatops(monkeypatch, capsys, "keys", "list")
    assert code == 0 and out.startswith("openai ") and " set 20" in out and PLAIN not in out

    # read back through the pool: the deployment the environment configures carries the stored key
    assert await _read(db_url, old) == PLAIN
    engine = create_engine(db_url)
    try:
        llm = await with_stored_keys(LLMSettings(openai_api_key="sk-env"), engine, KeySettings(chatops_secret_key=old))  # type: ignore[arg-type]
    finally:
        await engine.dispose()
    assert load_config(llm).deployment("openai").api_key == PLAIN

    # the database holds only the Fernet token: the SQLite file (and its WAL) never has the plaintext
    [token] = await _ciphertexts(db_url)
    assert token.startswith("gAAAA") and PLAIN not in token
    if db_url.startswith("sqlite"):
        path = Path(db_url.removeprefix("sqlite:///"))
        files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
        assert files and all(PLAIN.encode() not in p.read_bytes() for p in files)

    code, out, _ = await chatops(monkeypatch, capsys, "check")
    assert "openai (OPENAI_API_KEY)        stored (encrypted)" in out
    assert "anthropic (ANTHROPIC_API_KEY)  not set" in out
    assert "OPENAI_API_KEY" in out and "(set, hidden)" in out

    # rotation: the new key first, rotate, then the old key alone can no longer read it
    code, new, _ = await chatops(monkeypatch, capsys, "keys", "generate")
    new = new.strip()
    monkeypatch.setenv("CHATOPS_SECRET_KEY", f"{new},{old}")
    code, out, err = await chatops(monkeypatch, capsys, "keys", "rotate")
    assert code == 0, err
    assert out.strip() == "re-encrypted 1 stored key(s) with the first CHATOPS_SECRET_KEY"
    assert await _read(db_url, new) == PLAIN
    with pytest.raises(SecretKeyError, match=r"stored key 'openai' cannot be decrypted .*the secret key changed"):
        await _read(db_url, old)
    assert (await _ciphertexts(db_url))[0] != token

    # a start with the old key alone: one line naming the stored key, exit code 2
    monkeypatch.setenv("CHATOPS_SECRET_KEY", old)
    code, _, err = await chatops(monkeypatch, capsys, "say", "/help")
    assert code == 2 and "stored key 'openai' cannot be decrypted" in err and len(err.strip().splitlines()) == 1

    monkeypatch.setenv("CHATOPS_SECRET_KEY", new)
    code, out, _ = await chatops(monkeypatch, capsys, "keys", "delete", "openai")
    assert code == 0 and "deleted openai" in out
    code, out, _ = await chatops(monkeypatch, capsys, "keys", "list")
    assert out.strip() == "no stored keys"
    code, _, err = await chatops(monkeypatch, capsys, "keys", "delete", "openai")
    assert code == 1 and "no stored key openai" in err

    assert PLAIN not in caplog.text


async def test_refusals_are_one_line_naming_the_fix(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    code, _, err = await chatops(monkeypatch, capsys, "keys", "set", "openai", stdin=PLAIN + "\n")
    assert code == 2 and err.strip() == "error: set CHATOPS_SECRET_KEY (generate one with `chatops keys generate`)"
    code, key, _ = await chatops(monkeypatch, capsys, "keys", "generate")
    monkeypatch.setenv("CHATOPS_SECRET_KEY", key.strip())
    code, _, err = await chatops(monkeypatch, capsys, "keys", "set", "openaj", stdin=PLAIN + "\n")
    assert code == 2 and err.strip() == "error: unknown key 'openaj'; known: openai, anthropic, gemini"
    code, _, err = await chatops(monkeypatch, capsys, "keys", "set", "openai", stdin="\n")
    assert code == 1 and "empty key" in err
    monkeypatch.setenv("CHATOPS_SECRET_KEY", "not-a-fernet-key-at-all")
    code, _, err = await chatops(monkeypatch, capsys, "keys", "list")
    assert code == 2 and err.startswith("configuration error: CHATOPS_SECRET_KEY: key #1 is not a Fernet key")
    assert "not-a-fernet-key-at-all" not in err


async def _store_key(db_url: str, key: str, value: str) -> None:
    engine = create_engine(db_url)
    try:
        await prepare_database(engine, db_url)
        await SecretStore(engine, fernet(KeySettings(chatops_secret_key=key))).set("openai", value)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


async def test_the_bot_sends_the_stored_key_not_the_environments(
    make_settings: SettingsFactory, db_url: str, fake_llm: FakeLLM, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    from bot.keys import generate_key

    key = generate_key()
    await _store_key(db_url, key, PLAIN)
    settings = make_settings(
        core={"database_url": db_url, "lease_seconds": 5, "poll_interval": 0.05},
        llm={"openai_base_url": fake_llm.url, "openai_api_key": "sk-from-the-environment", "llm_timeout": 2},
        keys={"chatops_secret_key": key},
    )
    transcript = io.StringIO()
    async with open_bot(settings, outbounds=[ConsoleOutbound(tmp_path / "data", out=transcript)]) as bot:
        stop = asyncio.Event()
        task = asyncio.create_task(bot.worker().run(stop))
        try:
            event = Event(source="console", user="console:alice", conversation=Conversation("console", "t"), text="/ask hi")
            accepted = await bot.intake.submit(event)
            assert isinstance(accepted, Accepted)
            row = await bot.store.wait_finished(accepted.execution_id, timeout=10)
        finally:
            stop.set()
            await task
    assert row["status"] == Status.COMPLETED
    assert fake_llm.requests[-1]["headers"]["Authorization"] == f"Bearer {PLAIN}"
    assert PLAIN not in caplog.text and PLAIN not in transcript.getvalue()

    # stored rows but no secret key: start-up stops with one line instead of using the environment's key
    without = make_settings(core={"database_url": db_url}, llm={"openai_base_url": fake_llm.url})
    with pytest.raises(StartupError, match=r"provider keys are stored encrypted in the database \(openai\): set CHATOPS_SECRET_KEY"):
        async with open_bot(without):
            pass
