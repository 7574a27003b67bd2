"""Every recorded GitHub payload, posted over HTTP with its real signature to the running app, against
the fake GitHub API and the fake LLM: the expected comment or notification appears exactly once."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.app import Bot, open_bot
from bot.storage.models import Status
from pool.fake import Behavior, FakeLLM
from tests.fakes.github import FakeGitHub, event_of, fixture, fixture_names, real_signature, unwrapped
from tests.scenarios.github_env import (
    HELLO,
    LLM_JSON,
    client_for,
    deliver,
    executions,
    github_settings,
    running_worker,
    seed,
    settle,
)

REVIEW, TRIAGE = "review", "triage"
# fixture → what must happen: a review or triage comment on Hello-World, a chat notification (text
# that must appear once in the console transcript), or nothing (None). Review label is set to "bug".
EXPECTED: dict[str, str | None] = {
    "ping.json": None,
    "pull_request.opened.json": REVIEW,
    "pull_request.reopened.json": REVIEW,
    "pull_request.ready_for_review.json": REVIEW,
    "pull_request.synchronize.json": REVIEW,
    "pull_request.labeled.json": REVIEW,
    "pull_request.closed.json": None,
    "pull_request.closed.merged.json": "🔀 Merged into `master`: **codinasion/codinasion-bot-try#14**",
    "pull_request.edited.probot-event.json": None,
    "issues.opened.json": TRIAGE,
    "issues.labeled.json": TRIAGE,
    "issues.edited.json": None,
    "issues.closed.json": None,
    "issue_comment.created.json": None,  # no @mention of the bot
    "issue_comment.created.on-pr.json": None,  # "/build": not for this bot
    "issue_comment.edited.json": None,
    "pull_request_review.submitted.json": None,  # state "commented"
    "pull_request_review.submitted.approved.json": "✅ Approved: **baxterthehacker/public-repo#8**",
    "pull_request_review.submitted.changes_requested.probot-event.json": None,  # wrapper: no review inside
    "pull_request_review_comment.created.json": None,
    "push.json": "⬆️ 1 commit(s) pushed to `master` of **binkkatal/sample_app**",
    "push.new-branch.json": "🌱 Branch `master` of **Codertocat/Hello-World** created",
    "push.tag-created.json": "🏷️ Tag `simple-tag` created in **Codertocat/Hello-World**",
    "push.tag-deleted.json": None,
    "star.created.json": None,
    "fork.json": None,
    "release.published.json": None,
    "check_run.completed.json": None,
    "workflow_run.completed.json": None,
}


def test_the_table_covers_every_fixture() -> None:
    assert sorted(EXPECTED) == fixture_names()


@pytest.fixture
async def fake_github() -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub(bot_login="chatops-bot") as fake:
        seed(fake)
        yield fake


@pytest.fixture
async def gh_bot(make_settings, db_url, console, fake_llm: FakeLLM, fake_github: FakeGitHub) -> AsyncIterator[Bot]:
    fake_llm.behavior = Behavior(reply=LLM_JSON)
    settings = make_settings(
        core={"database_url": db_url, "lease_seconds": 5, "poll_interval": 0.05},
        llm={"openai_base_url": fake_llm.url, "llm_timeout": 5},
        **github_settings(fake_github, github_review_label="bug", github_keep_bodies=True),
    )
    async with open_bot(settings, outbounds=[console], receive=True) as b:
        yield b


async def test_by_default_the_delivery_is_recorded_without_its_body(make_settings, db_url, console, fake_github: FakeGitHub) -> None:
    settings = make_settings(core={"database_url": db_url}, **github_settings(fake_github))
    body = fixture("pull_request.opened.json")
    async with open_bot(settings, outbounds=[console], receive=True) as bot, client_for(bot) as client:
        resp = await deliver(client, "pull_request", body, signature=real_signature("pull_request.opened.json"))
        assert resp.status_code == 202, resp.text
        [row] = await executions(bot)
        stored = await bot.store.github.delivery(row["raw"]["github_delivery"])
        assert stored is not None and stored["event"] == "pull_request" and stored["action"] == "opened"
        assert stored["body"] == "" and row["args"]["number"] == 2


async def test_without_a_webhook_secret_the_endpoint_says_which_setting_is_missing(
    make_settings, db_url, console, fake_github: FakeGitHub,
) -> None:
    """GitHub configured (a token) but GITHUB_WEBHOOK_SECRET forgotten: GitHub's delivery page shows a 503
    naming the setting, and nothing is stored, rather than a 404 that looks like a wrong URL."""
    gh = github_settings(fake_github)
    gh["github"].pop("github_webhook_secret")
    settings = make_settings(core={"database_url": db_url}, **gh)
    body = fixture("pull_request.opened.json")
    async with open_bot(settings, outbounds=[console], receive=True) as bot, client_for(bot) as client:
        resp = await deliver(client, "pull_request", body, signature=real_signature("pull_request.opened.json"))
        assert resp.status_code == 503 and "GITHUB_WEBHOOK_SECRET" in resp.json()["error"]
        assert await executions(bot) == []


def bot_comments(fake: FakeGitHub, number: int) -> list[dict]:
    return fake.bot_comments(HELLO, number)


def check_effect(expected: str | None, fake: FakeGitHub, transcript: str) -> None:
    reviews, triages = bot_comments(fake, 2), bot_comments(fake, 1)
    if expected == REVIEW:
        assert len(reviews) == 1 and not triages and not transcript.strip()
        body = reviews[0]["body"]
        assert "<!-- chatops:review -->" in body and "Adds a welcome line" in body
        assert "`README.md:2` End the welcome line" in body
        assert "`package-lock.json`: lockfile" in body and "`logo.png`: binary" in body
    elif expected == TRIAGE:
        assert len(triages) == 1 and not reviews and not transcript.strip()
        body = triages[0]["body"]
        assert "`documentation`" in body and "not-a-label" not in body
        assert "#7 Spelling error in README file" in body and "#999" not in body
    elif expected is None:
        assert not reviews and not triages and not transcript.strip()
    else:
        assert not reviews and not triages
        assert transcript.count(expected) == 1, transcript


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_fixture_has_its_effect_exactly_once(name: str, gh_bot: Bot, fake_github: FakeGitHub, transcript) -> None:
    body = fixture(name)
    async with client_for(gh_bot) as client, running_worker(gh_bot):
        resp = await deliver(client, event_of(name), body, signature=real_signature(name))
        assert resp.status_code == (200 if name == "ping.json" else 202), resp.text
        await settle(gh_bot)
    rows = await executions(gh_bot)
    assert all(r["status"] == Status.COMPLETED for r in rows), [(r["kind"], r["error"]) for r in rows]
    assert len(rows) == (0 if EXPECTED[name] is None else 1)
    for r in rows:  # audit: the execution points at the delivery, whose body is stored byte-exact
        stored = await gh_bot.store.github.delivery(r["raw"]["github_delivery"])
        assert stored is not None and stored["body"].encode() == body
    check_effect(EXPECTED[name], fake_github, transcript.getvalue())


@pytest.mark.parametrize(("name", "expected"), [
    ("pull_request.edited.probot-event.json", None),
    ("pull_request_review.submitted.changes_requested.probot-event.json", "❌ Changes requested: **ocombe/test#35**"),
])
async def test_probot_captures_unwrapped_and_signed(name: str, expected: str | None, gh_bot: Bot, fake_github: FakeGitHub, transcript) -> None:
    event = json.loads(fixture(name))["name"]
    async with client_for(gh_bot) as client, running_worker(gh_bot):
        resp = await deliver(client, event, unwrapped(name))
        assert resp.status_code == 202
        await settle(gh_bot)
    check_effect(expected, fake_github, transcript.getvalue())


async def test_all_fixtures_together_leave_one_comment_per_thread(gh_bot: Bot, fake_github: FakeGitHub, fake_llm: FakeLLM, transcript) -> None:
    async with client_for(gh_bot) as client, running_worker(gh_bot):
        for name in sorted(EXPECTED):
            resp = await deliver(client, event_of(name), fixture(name), signature=real_signature(name))
            assert resp.status_code in (200, 202)
        await settle(gh_bot)
    assert len(bot_comments(fake_github, 2)) == 1 and len(bot_comments(fake_github, 1)) == 1
    # five review triggers for one head: one LLM review, the others re-render the stored state
    review_calls = [r for r in fake_llm.requests if "Pull request #2" in r["body"]["messages"][1]["content"]]
    assert len(review_calls) == 1
    out = transcript.getvalue()
    for expected in EXPECTED.values():
        if expected not in (None, REVIEW, TRIAGE):
            assert out.count(expected) == 1, expected
