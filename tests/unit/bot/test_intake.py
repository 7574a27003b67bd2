"""The intake: one chain for every path, the command table checks mapped arguments, and it rings the
workers' doorbell only for what it stored."""
from __future__ import annotations

import asyncio

from bot.doorbell import Doorbell
from bot.intake import Accepted, Decision, Intake, Next, Rejected, Request
from bot.storage.engine import create_engine
from bot.storage.github import DUPLICATE, STORED, IncomingDelivery
from bot.storage.migrate import upgrade
from bot.storage.store import Store
from commands import Registry, default_commands
from commands.model import Conversation, Event, Reply
from commands.registry import GITHUB, INTERACTIVE, SCHEDULED


async def open_intake(url: str, *middleware) -> Intake:  # type: ignore[no-untyped-def]
    engine = create_engine(url)
    await upgrade(engine)
    return Intake(Store(engine), Registry(default_commands()), Doorbell(), middleware=middleware)


async def close(intake: Intake) -> None:
    await intake.store.aclose()
    await intake.store.engine.dispose()


def typed(text: str, **kw) -> Event:  # type: ignore[no-untyped-def]
    return Event(source="console", user="console:alice", conversation=Conversation("console", "t"), text=text, **kw)


def github_job(**args) -> Request:  # type: ignore[no-untyped-def]
    event = Event(source="github", user="console:octocat", conversation=Conversation("github", "o/r", "2"),
                  text="review o/r#2", command="github-review", trigger="github")
    return Request(event, idempotency_key="gh:d1:0", args=args)


async def test_a_typed_command_is_stored_with_its_locale_on_the_conversation_and_rings_once(db_url: str) -> None:
    intake = await open_intake(db_url)
    result = await intake.submit(typed("/ask 今日のデプロイはどうでしたか"))
    assert isinstance(result, Accepted) and result.command == "ask" and result.locale == "ja"
    row = await intake.store.get(result.execution_id)
    assert row is not None and row["locale"] == "ja" and row["conversation"]["locale"] == "ja"
    assert row["priority"] == INTERACTIVE and row["args"] == {"question": "今日のデプロイはどうでしたか", "model": None}
    assert intake.doorbell.rings == 1
    await close(intake)


async def test_bad_input_is_answered_and_nothing_is_stored_or_rung(db_url: str) -> None:
    intake = await open_intake(db_url)
    unknown = await intake.submit(typed("/stauts"))
    usage = await intake.submit(typed("/report 2w"))
    assert isinstance(unknown, Rejected) and "/status" in unknown.reply.plain_text()
    assert isinstance(usage, Rejected) and "/report" in usage.reply.plain_text()
    assert intake.doorbell.rings == 0 and (await intake.store.counts(0))[0] == 0
    await close(intake)


async def test_middleware_runs_in_order_after_resolve_and_may_refuse(db_url: str) -> None:
    seen: list[str] = []

    async def first(request: Request, call_next: Next) -> Decision:
        assert request.command is not None  # resolve ran before: a gate knows the command it guards
        seen.append(f"first:{request.command.name}")
        return await call_next(request)

    async def gate(request: Request, call_next: Next) -> Decision:
        seen.append("gate")
        if request.event.user == "console:mallory":
            return Rejected(Reply.failure("not for you"))
        return await call_next(request)

    intake = await open_intake(db_url, first, gate)
    assert isinstance(await intake.submit(typed("/status")), Accepted)
    refused = await intake.submit(Event("console", "console:mallory", Conversation("console", "t"), "/status"))
    assert isinstance(refused, Rejected) and refused.reply.plain_text() == "not for you"
    assert seen == ["first:status", "gate", "first:status", "gate"]
    assert (await intake.store.counts(0))[0] == 1 and intake.doorbell.rings == 1
    await close(intake)


async def test_a_github_job_is_checked_against_the_command_table_and_queued_behind_people(db_url: str) -> None:
    intake = await open_intake(db_url)
    ok = github_job(repo="o/r", number=2, installation=None, action="opened")
    renamed = github_job(repository="o/r", number=2)  # a key renamed on one side: refused here, not in the worker
    outcome, refused = await intake.submit_delivery(IncomingDelivery("d1", "pull_request", "opened", "o/r", ""), [ok, renamed])
    assert outcome == STORED
    [no] = refused
    assert "repository" in no.reply.plain_text()
    row = await intake.store.get(await intake.store.find_key("gh:d1:0") or 0)
    assert row is not None and row["kind"] == "github-review" and row["priority"] == GITHUB
    assert row["args"]["repo"] == "o/r" and row["trigger"] == "github"
    again, _ = await intake.submit_delivery(IncomingDelivery("d1", "pull_request", "opened", "o/r", ""), [ok])
    assert again == DUPLICATE and intake.doorbell.rings == 1
    await close(intake)


async def test_scheduled_work_takes_the_scheduled_priority(db_url: str) -> None:
    intake = await open_intake(db_url)
    event = Event("scheduler", "scheduler", Conversation("console", "stdout"), "/report 1h", trigger="schedule", locale="ja")
    result = await intake.submit(event, idempotency_key="report:2026-12-03T08:console:stdout")
    assert isinstance(result, Accepted) and result.locale == "ja"
    row = await intake.store.get(result.execution_id)
    assert row is not None and row["priority"] == SCHEDULED and row["args"]["window"] == "1h"
    await close(intake)


async def test_a_waiting_worker_wakes_on_a_ring_it_has_not_seen() -> None:
    bell = Doorbell()
    seen = bell.rings
    bell.ring()  # rang between the worker's empty claim and its wait: not missed
    await asyncio.wait_for(bell.wait(seen, timeout=5), timeout=1)
    waiter = asyncio.create_task(bell.wait(bell.rings, timeout=5))
    await asyncio.sleep(0.01)
    assert not waiter.done()
    bell.ring()
    await asyncio.wait_for(waiter, timeout=1)
