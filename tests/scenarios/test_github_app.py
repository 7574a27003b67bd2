"""As a GitHub App: the webhook's installation id picks the installation token, comments appear as
`<slug>[bot]`, and the default handle people mention is the App's slug (read once from GET /app)."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.app import Bot, open_bot
from pool.fake import Behavior, FakeLLM
from tests.fakes.github import SECRET, FakeGitHub, fixture
from tests.scenarios.github_env import HELLO, LLM_JSON, client_for, deliver, running_worker, seed, settle
from tests.unit.providers.test_github_provider import rsa_pair


@pytest.fixture
async def app_github() -> AsyncIterator[tuple[FakeGitHub, str]]:
    private, public = rsa_pair()
    async with FakeGitHub(tokens=set(), app_id="4242", app_public_key=public, bot_login="review-pal[bot]") as fake:
        seed(fake)
        yield fake, private


@pytest.fixture
async def app_bot(make_settings, sqlite_url, console, fake_llm: FakeLLM, app_github) -> AsyncIterator[Bot]:
    fake, private = app_github
    fake_llm.behavior = Behavior(reply=LLM_JSON)
    settings = make_settings(
        core={"database_url": sqlite_url, "lease_seconds": 5, "poll_interval": 0.05},
        llm={"openai_base_url": fake_llm.url, "llm_timeout": 5},
        github={"github_webhook_secret": SECRET, "github_app_id": "4242", "github_private_key": private,
                "github_api_url": fake.url},
    )
    async with open_bot(settings, outbounds=[console], receive=True) as b:
        yield b


async def test_app_reviews_with_the_installation_token_and_answers_its_slug(app_bot: Bot, app_github, fake_llm: FakeLLM) -> None:
    fake, _ = app_github
    mention = json.loads(fixture("issue_comment.created.json"))
    mention["comment"]["body"] = "@review-pal can you summarize this?"
    async with client_for(app_bot) as client, running_worker(app_bot):
        assert (await deliver(client, "pull_request", fixture("pull_request.opened.json"))).status_code == 202
        assert (await deliver(client, "issue_comment", json.dumps(mention).encode())).status_code == 202
        await settle(app_bot)
    assert len(fake.bot_comments(HELLO, 2)) == 1 and len(fake.bot_comments(HELLO, 1)) == 1
    assert fake.token_exchanges == 1  # installation 1 from the payload; the token is cached afterwards
    api = [r for r in fake.requests if r["path"].startswith("/repos/")]
    assert api and all(r["auth"] == "installation" for r in api)
    assert [r["auth"] for r in fake.requests if r["path"] == "/app"] == ["jwt"]
