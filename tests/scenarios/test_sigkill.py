"""A worker process killed with SIGKILL mid-execution loses nothing: the next one completes it once."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

import pytest

from bot.storage.engine import create_engine
from bot.storage.migrate import upgrade
from bot.storage.models import Status
from bot.storage.store import NewExecution, Store
from pool.fake import Behavior, FakeLLM

pytestmark = pytest.mark.slow


async def start_worker(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "worker",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **env},
    )


async def until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def test_sigkilled_worker_execution_completes_once_in_the_next_worker(db_url: str, fake_llm: FakeLLM) -> None:
    env = {
        "DATABASE_URL": db_url, "OPENAI_BASE_URL": fake_llm.url,
        "LEASE_SECONDS": "1", "POLL_INTERVAL": "0.1", "LLM_TIMEOUT": "60",
    }
    engine = create_engine(db_url)
    await upgrade(engine)
    store = Store(engine)
    eid = await store.enqueue(NewExecution(
        kind="ask", trigger="test", source="console", requester="ops",
        conversation={"platform": "console", "channel": "ops"}, text="/ask survive?", args={"question": "survive?"},
    ))
    fake_llm.script.append(Behavior(hang=True))  # the first worker is killed while it waits on the LLM

    first = await start_worker(env)

    async def first_call_arrived() -> bool:
        return len(fake_llm.requests) >= 1

    await until(first_call_arrived)
    row = await store.get(eid)
    assert row["status"] == Status.RUNNING and row["attempts"] == 1
    first.send_signal(signal.SIGKILL)
    out1, _ = await first.communicate()
    assert first.returncode == -signal.SIGKILL

    second = await start_worker(env)
    try:
        row = await store.wait_finished(eid, timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        out2, err2 = await asyncio.wait_for(second.communicate(), 30)
    assert second.returncode == 0, err2.decode()

    assert row["status"] == Status.COMPLETED
    assert row["attempts"] == 2
    assert "echo: survive?" not in out1.decode()
    assert out2.decode().count("echo: survive?") == 1
    deliveries = await store.deliveries(eid)
    # /ask streams: the second worker posted one message (live) and finished it in place (final)
    assert sorted(deliveries) == sorted([f"{eid}:live", f"{eid}:final"])
    assert deliveries[f"{eid}:final"] == deliveries[f"{eid}:live"]
    assert deliveries[f"{eid}:final"].startswith(f"{second.pid}-")  # the console message id of the second worker
    assert len(fake_llm.requests) == 2
    await engine.dispose()


async def test_a_confirmed_writing_tool_cut_off_by_sigkill_is_not_called_again(db_url: str, tmp_path) -> None:
    """Issue 14: the side effect of a confirmed writing tool happens once, even when its worker is killed
    mid-call and the next worker takes the execution over."""
    from pathlib import Path

    effects = tmp_path / "effects.txt"
    servers = tmp_path / "mcp.toml"
    script = Path(__file__).resolve().parents[1] / "fakes" / "note_server.py"
    servers.write_text(f'[[servers]]\nname = "note"\ncommand = "{sys.executable}"\nargs = ["{script}", "{effects}"]\n'
                       f'[servers.env]\nNOTE_SLEEP = "30"\nNOTE_KEYS = "{tmp_path / "keys.txt"}"\n')
    env = {"DATABASE_URL": db_url, "MCP_SERVERS": str(servers), "LEASE_SECONDS": "1", "POLL_INTERVAL": "0.1",
           "RATE_LIMITS": "off"}
    engine = create_engine(db_url)
    await upgrade(engine)
    store = Store(engine)
    first = await start_worker(env)  # started first: the MCP server is up before the row arrives
    eid = await store.enqueue(NewExecution(
        kind="mcp", trigger="console", source="console", requester="console:root", roles="admin",
        conversation={"platform": "console", "channel": "ops"}, text='/mcp call --confirm note.write {"text":"deploy"}',
        args={"action": "call", "rest": 'note.write {"text":"deploy"}', "confirm": True},
    ))

    async def effect_happened() -> bool:
        return effects.exists() and effects.read_text() == "deploy\n"

    await until(effect_happened, timeout=60)  # the tool ran its side effect and is now answering slowly
    first.send_signal(signal.SIGKILL)
    await first.communicate()

    second = await start_worker({**env})
    try:
        row = await store.wait_finished(eid, timeout=60)
    finally:
        second.send_signal(signal.SIGTERM)
        out2, err2 = await asyncio.wait_for(second.communicate(), 30)
    assert row["attempts"] == 2
    assert row["status"] == Status.FAILED and "may already have run" in out2.decode()
    assert effects.read_text() == "deploy\n"  # once: the second worker did not call the tool again
    # the call carried the execution's idempotency key (for servers that dedupe on one)
    assert (tmp_path / "keys.txt").read_text() == f"execution:{eid}:tool:note.write\n"
    await store.aclose()
    await engine.dispose()
