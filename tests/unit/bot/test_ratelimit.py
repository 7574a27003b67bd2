"""Rate limits (issue 14): a sliding window per person, conversation and GitHub sender, shared by every
process through `rate_window`, refusing with when to try again; console and scheduler work is exempt."""
from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from bot.doorbell import Doorbell
from bot.gate import Gate
from bot.intake import Accepted, Intake, Rejected
from bot.ratelimit import Limit, RateLimiter, parse_limits
from bot.storage.access import AccessStore
from bot.storage.engine import create_engine
from bot.storage.migrate import upgrade
from bot.storage.store import Store
from commands import Registry, default_commands
from commands.access.policy import default_policy
from commands.model import Conversation, Event


def test_limits_parse_and_bad_ones_are_named() -> None:
    assert parse_limits("user=30/60s, channel=120/1m,github=20/1h") == {
        "user": Limit("user", 30, 60.0), "channel": Limit("channel", 120, 60.0), "github": Limit("github", 20, 3600.0)}
    assert parse_limits("off") == {} and parse_limits("") == {}
    for bad in ("user=30", "user=0/60s", "people=3/60s", "user=x/60s", "user=3/0s"):
        with pytest.raises(ValueError, match="expected scope=count/period"):
            parse_limits(bad)


async def test_a_sliding_window_refuses_with_when_to_try_again(db_url: str) -> None:
    engine = create_engine(db_url)
    await upgrade(engine)
    now = [600.0]  # the start of a 60 s window
    try:
        rates = RateLimiter(engine, parse_limits("user=3/60s"), clock=lambda: now[0])
        assert [rates.take([("user", "slack:T/U1")]) for _ in range(3)] == [None, None, None]
        assert rates.take([("user", "slack:T/U1")]) == ("user", 60.0)  # the window has 60 s to go
        assert rates.take([("user", "slack:T/U2")]) is None  # another person is not held up
        now[0] = 660.0 + 30  # half way through the next window: half of the previous three still count
        assert rates.take([("user", "slack:T/U1")]) is None  # 1.5 + 0 + 1 ≤ 3
        refused = rates.take([("user", "slack:T/U1")])  # 1.5 + 1 + 1 > 3
        assert refused is not None and refused[0] == "user" and 1 <= refused[1] <= 30
        assert rates.take([("channel", "slack:C1")]) is None  # no channel limit configured
    finally:
        await engine.dispose()


async def test_every_process_sees_the_others_counts_after_a_sync(db_url: str) -> None:
    engine_a, engine_b = create_engine(db_url), create_engine(db_url)
    await upgrade(engine_a)
    now = [1200.0]
    try:
        a = RateLimiter(engine_a, parse_limits("user=5/60s"), clock=lambda: now[0])
        b = RateLimiter(engine_b, parse_limits("user=5/60s"), clock=lambda: now[0])
        assert all(a.take([("user", "u")]) is None for _ in range(3))
        assert b.take([("user", "u")]) is None  # b has not heard of a yet; b counts its own
        await a.sync()
        await b.sync()
        await a.sync()
        assert b.take([("user", "u")]) is None  # 3 (a) + 1 (b) + 1 ≤ 5
        assert b.take([("user", "u")]) is not None  # a's three are now b's too
        # a has not heard of b's latest: processes may overshoot by what arrives between two syncs
        assert a.take([("user", "u")]) is None
        await b.sync()
        await a.sync()
        assert a.take([("user", "u")]) is not None and b.take([("user", "u")]) is not None
        now[0] += 3 * 60
        assert await a.prune(now[0]) >= 1  # windows nobody looks at any more are removed
    finally:
        await engine_a.dispose()
        await engine_b.dispose()


def refused_rate() -> float:
    return REGISTRY.get_sample_value("chatops_access_refused_total", {"reason": "rate"}) or 0.0


async def test_the_gate_refuses_past_the_limit_in_the_askers_language_and_audits_once(db_url: str) -> None:
    engine = create_engine(db_url)
    await upgrade(engine)
    store, access = Store(engine), AccessStore(engine)
    rates = RateLimiter(engine, parse_limits("user=2/60s,channel=100/60s,github=1/3600s"))
    gate = Gate(default_policy(), access, {}, {"slack": None, "discord": None}, rates=rates)
    intake = Intake(store, Registry(default_commands()), Doorbell(), middleware=[gate])

    def slack(text: str, locale: str | None = None) -> Event:
        return Event("slack", "slack:T1/U1", Conversation("slack", "C1"), text, trigger="command", locale=locale)

    try:
        before = refused_rate()
        assert isinstance(await intake.submit(slack("/status")), Accepted)
        assert isinstance(await intake.submit(slack("/help")), Accepted)
        third = await intake.submit(slack("/status"))
        ja = await intake.submit(slack("/status", locale="ja"))
        assert isinstance(third, Rejected) and third.reply.ephemeral and third.refused == "rate"
        assert third.reply.plain_text().startswith("You are sending requests faster than this bot allows. Try again in ")
        assert isinstance(ja, Rejected) and "秒後にもう一度お試しください" in ja.reply.plain_text()
        console = Event("console", "console:root", Conversation("console", "t"), "/status", trigger="console")
        for _ in range(5):  # the operator's terminal is not limited
            assert isinstance(await intake.submit(console), Accepted)
        assert refused_rate() == before + 2
        entries = [e for e in await access.audit(actor="slack:T1/U1") if e.outcome == "refused"]
        assert [(e.action, (e.detail or {}).get("scope")) for e in entries] == [("rate", "user")]  # once per window
    finally:
        await store.aclose()
        await engine.dispose()


async def test_llm_tokens_are_charged_after_the_work_and_refuse_only_new_llm_work(db_url: str) -> None:
    engine = create_engine(db_url)
    await upgrade(engine)
    store, access = Store(engine), AccessStore(engine)
    rates = RateLimiter(engine, parse_limits("user=100/60s,channel=100/60s,tokens=1000/3600s"))
    gate = Gate(default_policy(), access, {}, {"slack": None, "discord": None}, rates=rates)
    intake = Intake(store, Registry(default_commands()), Doorbell(), middleware=[gate])

    def slack(text: str) -> Event:
        return Event("slack", "slack:T1/U1", Conversation("slack", "C1"), text, trigger="command")

    try:
        assert isinstance(await intake.submit(slack("/ask how are we doing?")), Accepted)
        rates.charge("tokens", "slack:T1/U1", 1200)  # what the worker books once the answer is done
        refused = await intake.submit(slack("/ask and now?"))
        assert isinstance(refused, Rejected) and "allowance of LLM tokens" in refused.reply.plain_text()
        assert isinstance(await intake.submit(slack("/status")), Accepted)  # work without the LLM goes on
        other = Event("slack", "slack:T1/U2", Conversation("slack", "C1"), "/ask me?", trigger="command")
        assert isinstance(await intake.submit(other), Accepted)  # another person has their own allowance
    finally:
        await store.aclose()
        await engine.dispose()


async def test_the_worker_charges_the_tokens_an_answer_used(make_settings, db_url: str, fake_llm, console) -> None:
    import asyncio

    from sqlalchemy import select

    from bot.app import open_bot
    from bot.storage.models import RATE_WINDOWS

    settings = make_settings(core={"database_url": db_url, "poll_interval": 0.05},
                             llm={"openai_base_url": fake_llm.url, "llm_timeout": 5})
    async with open_bot(settings, outbounds=[console]) as bot:
        stop = asyncio.Event()
        task = asyncio.create_task(bot.worker().run(stop))
        try:
            # a Slack person, answered on the console (no Slack adapter in this test)
            asked = await bot.intake.submit(Event("slack", "slack:T1/U1", Conversation("console", "t"), "/ask hi",
                                                  trigger="command"))
            assert isinstance(asked, Accepted)
            row = await bot.store.wait_finished(asked.execution_id, timeout=10)
        finally:
            stop.set()
            await task
        gate = bot.access.gate
        assert gate is not None and gate.rates is not None
        await gate.rates.sync()
        async with bot.store.engine.connect() as conn:
            used = (await conn.execute(select(RATE_WINDOWS.c.used).where(
                RATE_WINDOWS.c.key == "tokens:slack:T1/U1"))).scalar()
    assert row["tokens_in"] + row["tokens_out"] > 0 and used == row["tokens_in"] + row["tokens_out"]
