"""What executions forget (issue 14): Discord interaction tokens after 15 minutes, people's text and payloads
after EXECUTION_RETENTION_DAYS, the rows after AUDIT_RETENTION_DAYS; unfinished rows keep everything."""
from __future__ import annotations

import time

from sqlalchemy import select, update

from bot.storage.engine import create_engine
from bot.storage.migrate import upgrade
from bot.storage.models import EXEC, Status
from bot.storage.retention import Retention
from bot.storage.store import Claim, NewExecution, Store

TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDpzZWNyZXQtdG9rZW4"


def discord_row(i: int) -> NewExecution:
    return NewExecution(kind="ask", trigger="command", source="discord", requester="discord:1/2",
                        conversation={"platform": "discord", "channel": "5", "thread": f"i:77:{1000 + i}:{TOKEN}"},
                        text=f"/ask what is secret {i}?", args={"question": f"what is secret {i}?"},
                        raw={"token": TOKEN, "member": {"user": {"id": "2"}}})


async def test_tokens_texts_and_rows_are_forgotten_in_their_time_and_running_rows_keep_theirs(db_url: str) -> None:
    engine = create_engine(db_url)
    await upgrade(engine)
    store = Store(engine)
    try:
        old, recent, running = [await store.enqueue(discord_row(i)) for i in range(3)]
        claimed = await store.claim(Claim(owner="w1", shared=True, pinned=None), 3, 30)
        assert len(claimed) == 3
        for eid in (old, recent):
            assert await store.finish(eid, "w1", Status.COMPLETED, {"result_summary": "the answer"}, None)
        now = time.time()
        async with engine.begin() as conn:  # as if `old` had run 40 days ago and `recent` 20 minutes ago
            await conn.execute(update(EXEC).where(EXEC.c.id == old).values(created_at=now - 40 * 86400,
                                                                        finished_at=now - 40 * 86400))
            await conn.execute(update(EXEC).where(EXEC.c.id.in_([recent, running])).values(created_at=now - 1200))
        retention = Retention(engine)
        assert await retention.drop_interaction_tokens(now - 900) == 3
        assert await retention.drop_interaction_tokens(now - 900) == 0  # already done
        assert await retention.forget_payloads(now - 30 * 86400) == 1
        async with engine.connect() as conn:
            rows = {r.id: r for r in (await conn.execute(select(EXEC))).all()}
        assert all(TOKEN not in str(r.conversation) for r in rows.values())
        assert rows[old].conversation["thread"] == "i:77:1000:"  # kind and ids kept: the outbound sees it expired
        assert (rows[old].text, rows[old].args, rows[old].raw, rows[old].result_summary) == ("", {}, None, None)
        assert (rows[old].kind, rows[old].requester, rows[old].status) == ("ask", "discord:1/2", Status.COMPLETED)
        assert rows[recent].text == "/ask what is secret 1?" and rows[running].raw is not None
        assert await retention.delete_executions(now - 90 * 86400) == 0
        assert await retention.delete_executions(now - 30 * 86400) == 1  # only `old`: finished and old enough
        async with engine.connect() as conn:
            assert sorted(r.id for r in (await conn.execute(select(EXEC.c.id))).all()) == [recent, running]
    finally:
        await store.aclose()
        await engine.dispose()
