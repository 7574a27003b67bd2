"""Two worker processes posting the same PR's first review: one comment, not two (PostgreSQL lock)."""
from __future__ import annotations

import asyncio

import pytest

from bot.adapters.github.outbound import GitHubOutbound
from bot.storage.engine import create_engine
from bot.storage.locks import database_lock, lock_id
from commands.model import Conversation, Reply
from providers.github.client import GitHubClient
from tests.fakes.github import FakeGitHub

MARKED = "Review of the first round\n\n<!-- chatops:review -->"


def test_lock_ids_are_stable_and_signed_64_bit() -> None:
    assert lock_id("github-thread:a") == lock_id("github-thread:a") != lock_id("github-thread:b")
    assert -(2 ** 63) <= lock_id("x") < 2 ** 63


async def test_two_processes_upsert_one_marked_comment(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite deployments run one worker process; the in-process lock covers them")
    engine = create_engine(db_url)
    async with FakeGitHub() as fake:
        fake.repo("octo/app").add_issue(5, "flaky test")
        # two outbounds with their own in-process locks, like two `chatops worker` processes
        outbounds = [GitHubOutbound(GitHubClient(fake.url, token="ghp_test"),
                                    shared_lock=lambda key: database_lock(engine, key)) for _ in range(2)]
        where = Conversation("github", "octo/app", "5")
        refs = await asyncio.gather(*(o.post(where, Reply.text(MARKED)) for o in outbounds for _ in range(3)))
    await engine.dispose()
    [comment] = fake.bot_comments("octo/app", 5)
    assert set(refs) == {str(comment["id"])} and comment["updated"] == 5
