"""Every execution has a deadline (issue 14): at it the handler is cancelled, the execution ends FAILED
with the reason shown to the asker, its worker slot is free again, and the row is never claimed again."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY

from bot.app import Bot, open_bot
from bot.settings import CoreSettings
from bot.storage.models import Status
from tests.scenarios.test_spine import console_event


@pytest.fixture
async def quick(make_settings, db_url: str, console) -> AsyncIterator[Bot]:
    settings = make_settings(core={"database_url": db_url, "poll_interval": 0.05, "lease_seconds": 3,
                                   "command_deadlines": "noop=0.4"})
    async with open_bot(settings, outbounds=[console]) as b:
        yield b


def stopped(kind: str) -> float:
    return REGISTRY.get_sample_value("chatops_execution_deadlines_total", {"kind": kind}) or 0.0


async def test_a_runaway_command_is_stopped_at_its_deadline_and_not_claimed_again(quick: Bot, transcript) -> None:
    before = stopped("noop")
    stop = asyncio.Event()
    worker = quick.worker(concurrency=1)
    task = asyncio.create_task(worker.run(stop))
    try:
        t0 = time.monotonic()
        runaway = await quick.intake.submit(console_event("/noop 60"))
        after = await quick.intake.submit(console_event("/noop"))  # queued behind it in the only slot
        row = await quick.store.wait_finished(runaway.execution_id, timeout=10)
        took = time.monotonic() - t0
        nxt = await quick.store.wait_finished(after.execution_id, timeout=10)
        await asyncio.sleep(0.5)  # a few polls: the stopped row must not come back
        again = await quick.store.wait_finished(runaway.execution_id, timeout=1)
    finally:
        stop.set()
        await task
    assert row["status"] == Status.FAILED and row["error"] == "deadline: stopped after 0.4s"
    assert 0.4 <= took < 3, took  # at the deadline, not at the lease or the 60 s the command asked for
    assert row["attempts"] == 1 and again["attempts"] == 1 and again["status"] == Status.FAILED
    assert nxt["status"] == Status.COMPLETED  # the slot was given back
    assert "`/noop` was stopped: it ran longer than its limit of 0.4 s" in transcript.getvalue()
    assert stopped("noop") == before + 1


def test_deadlines_are_read_per_kind_and_bad_ones_named() -> None:
    core = CoreSettings(command_deadlines="ask=600, /Report=60")
    assert core.deadline_for("ask", 300.0) == 600.0 and core.deadline_for("report", None) == 60.0
    assert core.deadline_for("review", 600.0) == 600.0 and core.deadline_for("status", None) == 120.0
    for bad in ("ask", "ask=0", "ask=soon", "=5", "ask=inf"):
        with pytest.raises(ValueError, match="expected kind=seconds"):
            CoreSettings(command_deadlines=bad)
