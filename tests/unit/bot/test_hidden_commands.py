"""Hidden and internal commands (/noop, the GitHub jobs) cannot be typed from chat, buttons or GitHub text,
and numeric arguments are range-checked at intake, before anything is stored (issue 14)."""
from __future__ import annotations

import pytest

from bot.doorbell import Doorbell
from bot.intake import Accepted, Intake, Rejected
from bot.storage.engine import create_engine
from bot.storage.migrate import upgrade
from bot.storage.store import Store
from commands import Registry, default_commands
from commands.model import Conversation, Event


@pytest.fixture
async def intake(db_url: str):
    engine = create_engine(db_url)
    await upgrade(engine)
    store = Store(engine)
    try:
        yield Intake(store, Registry(default_commands()), Doorbell())
    finally:
        await store.aclose()
        await engine.dispose()


def event(source: str, text: str, trigger: str = "command") -> Event:
    return Event(source=source, user=f"{source}:T1/U1", conversation=Conversation(source, "C1"), text=text, trigger=trigger)


@pytest.mark.parametrize(("source", "trigger"), [("slack", "command"), ("slack", "mention"), ("discord", "button"),
                                                 ("github", "github")])
async def test_hidden_commands_are_unknown_outside_the_console(intake: Intake, source: str, trigger: str) -> None:
    for text in ("/noop 1e9", "/github-review"):
        hidden = await intake.submit(event(source, text, trigger))
        assert isinstance(hidden, Rejected), text
        name = text.split()[0].lstrip("/")
        truly_unknown = await intake.submit(event(source, f"/{name}x", trigger))
        assert isinstance(truly_unknown, Rejected)
        # the same words as a name that does not exist: nothing says an internal command is there
        assert hidden.reply.plain_text() == truly_unknown.reply.plain_text().replace(f"{name}x", name)


async def test_the_console_may_run_hidden_commands_within_their_bounds(intake: Intake) -> None:
    assert isinstance(await intake.submit(event("console", "/noop 0.5")), Accepted)
    for bad in ("1e9", "-1", "nan", "inf", "soon"):
        refused = await intake.submit(event("console", f"/noop {bad}"))
        assert isinstance(refused, Rejected), bad
        assert "seconds must be a number from 0 to 60" in refused.reply.plain_text()
    ja = await intake.submit(Event(source="console", user="console:u", conversation=Conversation("console", "t"),
                                   text="/noop 1e9", locale="ja"))
    assert isinstance(ja, Rejected) and "0 から 60 までの数値" in ja.reply.plain_text()
