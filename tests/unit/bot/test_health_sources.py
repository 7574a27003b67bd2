"""BudgetEvents: a refused budget counts for the UTC day it happened on, like the pool's budgets."""
from __future__ import annotations

from bot.health_sources import BudgetEvents
from pool.pool import PoolEvent
from tests.fakes.health import ManualClock

DAY = 86400.0


def test_a_budget_event_lasts_until_the_utc_day_ends() -> None:
    clock = ManualClock(20_000 * DAY + 100)  # 100 s into a UTC day
    events = BudgetEvents(clock)
    events(PoolEvent("breaker_open", "openai", "3 failures in a row", clock()))  # not a budget: ignored here
    events(PoolEvent("budget_exceeded", "user:slack:U1", "$0.0100 of $0.01 today; openai skipped", clock()))
    assert events.today() == {"user:slack:U1": "$0.0100 of $0.01 today; openai skipped"}
    clock.advance(DAY - 101)  # the last second of the day
    assert list(events.today()) == ["user:slack:U1"]
    clock.advance(1)  # midnight UTC: the pool's budgets reset, so does the alert's input
    assert events.today() == {}
