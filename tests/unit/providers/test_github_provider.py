"""The GitHub provider against the fake GitHub REST API: MCP tools, pagination, App auth, rate limits."""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from mcp import Client

from providers.github.client import GitHubClient
from providers.github.errors import NotFound, RateLimited
from providers.github.reader import GitHubReader
from providers.github.server import build_server
from tests.fakes.github import FakeGitHub


def rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private.decode(), public.decode()


@pytest.fixture
async def fake_github() -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub() as fake:
        repo = fake.repo("octo/app")
        for n in range(1, 8):
            repo.add_issue(n, f"issue {n}", labels=("bug",) if n % 2 else ())
        repo.add_pull(10, "Add feature", "diff --git a/x.py b/x.py\n+print('hi')\n", head_sha="h1")
        repo.commits = [{"sha": f"c{n}", "commit": {"message": f"commit {n}", "author": {"name": "A", "date": "2026-11-01"}},
                         "author": {"login": "alice" if n % 2 else "bob"}} for n in range(5)]
        yield fake


async def test_mcp_tools_list_and_read_through_the_real_client(fake_github: FakeGitHub) -> None:
    server = build_server(reader=GitHubReader(GitHubClient(fake_github.url, token="ghp_test")))
    async with Client(server) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"github.repos.list", "github.repos.get", "github.issues.list", "github.issues.get",
                "github.pulls.list", "github.pulls.get", "github.commits.list"} <= names
        page1 = (await client.call_tool("github.issues.list", {"repo": "octo/app", "per_page": 3})).structured_content
        assert [i["number"] for i in page1["items"]] == [7, 6]  # PR #10 filled a slot but is not an issue
        assert page1["next_page"] == 2 and all(not i["is_pull_request"] for i in page1["items"])
        labelled = (await client.call_tool("github.issues.list", {"repo": "octo/app", "labels": "bug", "per_page": 100})).structured_content
        assert {i["number"] for i in labelled["items"]} == {1, 3, 5, 7}
        pr = (await client.call_tool("github.pulls.get", {"repo": "octo/app", "number": 10, "diff": True})).structured_content
        assert pr["head_sha"] == "h1" and "print('hi')" in pr["diff"]
        commits = (await client.call_tool("github.commits.list", {"repo": "octo/app", "author": "bob"})).structured_content
        assert [c["sha"] for c in commits["items"]] == ["c0", "c2", "c4"]
        missing = await client.call_tool("github.issues.get", {"repo": "octo/nope", "number": 1})
        assert missing.is_error and "not found" in missing.content[0].text.lower()
        bad = await client.call_tool("github.repos.get", {"repo": "no slash"})
        assert bad.is_error
    assert all(r["authorization"] == "token ghp_test" for r in fake_github.requests)


async def test_app_auth_exchanges_a_jwt_and_refreshes_the_expiring_installation_token(fake_github: FakeGitHub) -> None:
    private, public = rsa_pair()
    fake_github.app_id, fake_github.app_public_key, fake_github.tokens = "12345", public, set()
    fake_github.token_ttl = 62  # githubkit refreshes one minute before expiry: after ~2 s here
    reader = GitHubReader(GitHubClient(fake_github.url, app_id="12345", private_key=private))
    assert (await reader.get_repo("octo", "app"))["full_name"] == "octo/app"
    await reader.get_issue("octo", "app", 1)
    assert fake_github.token_exchanges == 1
    first = fake_github.requests[-1]["authorization"]
    await asyncio.sleep(2.2)
    await reader.get_issue("octo", "app", 2)
    assert fake_github.token_exchanges == 2
    assert fake_github.requests[-1]["authorization"] != first
    assert fake_github.requests[-1]["auth"] == "installation"
    lookup = [r for r in fake_github.requests if r["path"] == "/repos/octo/app/installation"]
    assert len(lookup) == 1 and lookup[0]["auth"] == "jwt"


async def test_secondary_rate_limit_with_retry_after_is_waited_out(fake_github: FakeGitHub) -> None:
    reader = GitHubReader(GitHubClient(fake_github.url, token="ghp_test"))
    fake_github.secondary_limit, fake_github.retry_after = 2, 1
    t0 = time.monotonic()
    issue = await reader.get_issue("octo", "app", 3)
    assert issue["title"] == "issue 3"
    assert time.monotonic() - t0 >= 1.9  # two waits of Retry-After: 1
    assert len(fake_github.requests) == 3


async def test_a_rate_limit_longer_than_the_allowed_wait_fails_clearly(fake_github: FakeGitHub) -> None:
    reader = GitHubReader(GitHubClient(fake_github.url, token="ghp_test", max_wait=0.5))
    fake_github.secondary_limit, fake_github.retry_after = 1, 30
    with pytest.raises(RateLimited) as e:
        await reader.get_issue("octo", "app", 3)
    assert e.value.retry_after == 30


async def test_spent_primary_budget_waits_for_the_reset(fake_github: FakeGitHub) -> None:
    reader = GitHubReader(GitHubClient(fake_github.url, token="ghp_test"))
    fake_github.primary_reset_in = 1.5
    await reader.get_issue("octo", "app", 1)  # this response says: 0 remaining until now+1.5 s
    t0 = time.monotonic()
    await reader.get_issue("octo", "app", 2)
    assert time.monotonic() - t0 >= 0.4
    with pytest.raises(NotFound):
        await reader.get_issue("octo", "app", 99)
