"""The permission gate where a repository is touched (issue 13), end to end: `/review`, the `github.*`
tools and the webhook, with GITHUB_ALLOWED_REPOS and per-repository policy rules; GitHub logins that get
a role from a team (GET /orgs/{org}/teams/{slug}/memberships/{login} on the fake GitHub); and what a
GitHub outage does to that lookup. Real githubkit/httpx against the fake GitHub on 127.0.0.1, signed
deliveries through the bot's HTTP app, the real worker; nothing of the product is patched.

Console users stand in for a workspace's members (`console_role = "member"` in the policy file), as in
tests/scenarios/test_mcp.py; `console:olga` is an operator and `console:root` an admin by the policy.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from bot.adapters.github.members import CALL_TIMEOUT, GitHubMembers
from bot.app import Bot, open_bot
from bot.gate import LOOKUP_TIMEOUT
from bot.intake import Accepted, Rejected
from bot.members import FAILED_TTL, Membership
from bot.storage.models import Status
from commands.access.identity import Identity
from commands.model import Conversation, Event
from pool.fake import Behavior, FakeLLM
from providers import GitHubClient
from tests.fakes.github import FakeGitHub, fixture
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

SECRET_REPO = "octo/secret"  # exists on the fake GitHub, outside the allow-list
MISSING_REPO = "octo/nowhere"  # exists nowhere
TEAM = "github-team:acme/sre"
POLICY = f"""
[access]
console_role = "member"

[roles.operator]
members = ["console:olga", "{TEAM}"]

[roles.admin]
members = ["console:root"]
"""
NOT_ALLOWED = "`{action}` is not allowed on this repository in this deployment (GITHUB_ALLOWED_REPOS)."
NOT_ALLOWED_JA = "このデプロイではこのリポジトリに対する `{action}` は許可されていません（GITHUB_ALLOWED_REPOS）。"


@pytest.fixture
async def fake_github() -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub(bot_login="chatops-bot") as fake:
        seed(fake)
        secret = fake.repo(SECRET_REPO)
        secret.add_pull(1, "Rotate the production keys", "diff --git a/k b/k\n--- a/k\n+++ b/k\n@@ -1 +1 @@\n-a\n+b\n")
        yield fake


@pytest.fixture
def allowed() -> str:
    return HELLO


@pytest.fixture
def extra_policy() -> str:
    return ""


@pytest.fixture
async def gh_bot(make_settings, db_url: str, console, fake_llm: FakeLLM, fake_github: FakeGitHub, tmp_path: Path,
                 allowed: str, extra_policy: str) -> AsyncIterator[Bot]:
    fake_llm.behavior = Behavior(reply=LLM_JSON)
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY + extra_policy)
    gh = github_settings(fake_github)
    gh["github"]["github_allowed_repos"] = allowed
    settings = make_settings(
        core={"database_url": db_url, "lease_seconds": 5, "poll_interval": 0.05, "retry_delay": 0.2,
              "policy_file": str(policy)},
        llm={"openai_base_url": fake_llm.url, "llm_timeout": 5}, **gh,
    )
    async with open_bot(settings, outbounds=[console], receive=True) as b:
        yield b


async def run(bot: Bot, text: str, user: str = "console:alice", *, locale: str | None = None) -> tuple[str, str, dict[str, Any] | None]:
    """(outcome, what the asker is told, the execution row): `refused` at the gate (nothing stored), else
    the execution's final status, once a worker (running_worker) has finished it."""
    event = Event("console", user, Conversation("console", "t"), text, trigger="console", locale=locale)
    result = await bot.intake.submit(event)
    if isinstance(result, Rejected):
        return "refused", result.reply.plain_text(), None
    assert isinstance(result, Accepted)
    row = await bot.store.wait_finished(result.execution_id, timeout=15)
    assert row["status"] in (Status.COMPLETED, Status.FAILED), row
    return str(getattr(row["status"], "value", row["status"])).lower(), row["error"] or "", row


def touched(fake: FakeGitHub, *repos: str) -> list[str]:
    """The fake GitHub API paths that named one of `repos`."""
    return [r["path"] for r in fake.requests if any(f"/repos/{repo}".lower() in r["path"].lower() for repo in repos)]


def payload(name: str, **changes: Any) -> dict[str, Any]:
    data = json.loads(fixture(name))
    for path, value in changes.items():
        node = data
        *parents, leaf = path.split("__")
        for p in parents:
            node = node[p]
        node[leaf] = value
    return data


def encode(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


# -- 1. /review --post outside GITHUB_ALLOWED_REPOS --------------------------------------------------------
async def test_review_post_outside_the_allow_list_is_refused_audited_and_posts_nothing(
    gh_bot: Bot, fake_github: FakeGitHub, fake_llm: FakeLLM, transcript
) -> None:
    async with running_worker(gh_bot):
        member = await run(gh_bot, f"/review {SECRET_REPO}#1 --post")
        admin = await run(gh_bot, f"/review https://github.com/{SECRET_REPO}/pull/1 --post", user="console:root")
        # GitHub is asked nothing about a repository outside the list, and nothing reaches the LLM
        assert touched(fake_github, SECRET_REPO) == [] and fake_llm.requests == []
        ok = await run(gh_bot, f"/review {HELLO}#2 --post")
    refusal = NOT_ALLOWED.format(action="review.post")
    for outcome, said, _ in (member, admin):  # GITHUB_ALLOWED_REPOS binds admins too
        assert (outcome, said) == ("failed", refusal)
    assert transcript.getvalue().count(refusal) == 2
    assert fake_github.repos[SECRET_REPO].comments == {}
    assert ok[0] == "completed", ok[1]
    assert len(fake_github.bot_comments(HELLO, 2)) == 1 and len(fake_llm.requests) == 1
    # the audit trail keeps the refusal: who, where, what, the outcome and the words they were told
    row = member[2]
    assert row is not None
    entries = [e for e in await gh_bot.access.audit(actor="console:alice") if e.execution_id == row["id"]]
    [refused] = [e for e in entries if e.outcome == "refused"]  # the handler's refusal, as the gate writes one
    assert (refused.action, refused.place, (refused.detail or {}).get("reason")) == ("review.post", "console:t", "permission")
    [entry] = [e for e in entries if e.outcome != "refused"]  # and the execution itself
    assert (entry.action, entry.outcome, entry.place) == ("review", "failed", "console:t")
    assert entry.detail is not None and entry.detail["error"] == refusal
    assert entry.detail["args"] == {"pr": f"{SECRET_REPO}#1", "post": True}


def refusals_counted() -> float:
    return sum(s.value for m in REGISTRY.collect() if m.name == "chatops_access_refused" for s in m.samples
               if s.name == "chatops_access_refused_total")


async def test_a_repository_refusal_is_counted_and_audited_as_a_refusal(gh_bot: Bot) -> None:
    before = refusals_counted()
    async with running_worker(gh_bot):
        outcome, _, row = await run(gh_bot, f"/review {SECRET_REPO}#1 --post")
    assert outcome == "failed" and row is not None
    outcomes = {e.outcome for e in await gh_bot.access.audit(actor="console:alice")}
    assert refusals_counted() == before + 1 and "refused" in outcomes


# -- 2. the refusal does not tell whether the repository exists --------------------------------------------
async def test_the_refusal_reads_the_same_whether_or_not_the_repository_exists(gh_bot: Bot, fake_github: FakeGitHub) -> None:
    said: dict[tuple[str, str, str], str] = {}
    async with running_worker(gh_bot):
        for repo in (SECRET_REPO, MISSING_REPO):
            for flag in ("", " --post"):
                for locale in ("en", "ja"):
                    outcome, text, _ = await run(gh_bot, f"/review {repo}#1{flag}", locale=locale)
                    assert outcome == "failed"
                    said[(repo, flag, locale)] = text
    for flag, action in (("", "review"), (" --post", "review.post")):
        assert said[(SECRET_REPO, flag, "en")] == said[(MISSING_REPO, flag, "en")] == NOT_ALLOWED.format(action=action)
        assert said[(SECRET_REPO, flag, "ja")] == said[(MISSING_REPO, flag, "ja")] == NOT_ALLOWED_JA.format(action=action)
    assert touched(fake_github, SECRET_REPO, MISSING_REPO) == []  # the answer was not learnt from GitHub


# -- 3. github.* tools ---------------------------------------------------------------------------------------
async def test_github_tools_on_a_repository_outside_the_allow_list_are_refused(
    gh_bot: Bot, fake_github: FakeGitHub, fake_llm: FakeLLM, transcript
) -> None:
    refusal = NOT_ALLOWED.format(action="github.repos.get")
    async with running_worker(gh_bot):
        secret = await run(gh_bot, f"/mcp call github.repos.get repo={SECRET_REPO}", user="console:root")
        missing = await run(gh_bot, f"/mcp call github.repos.get repo={MISSING_REPO}", user="console:root")
        member = await run(gh_bot, f"/mcp call github.repos.get repo={HELLO}")  # tools are for operators
        ok = await run(gh_bot, f"/mcp call github.repos.get repo={HELLO}", user="console:olga")
        # the tool loop of /ask: the model asks for an issue of a repository outside the list
        call = {"name": "github__issues__get", "arguments": {"repo": SECRET_REPO, "number": 1}}
        fake_llm.behavior = Behavior(tool_calls=(call,), reply="I could not read it.")
        asked = await run(gh_bot, "/ask what is issue 1 of octo/secret about?", user="console:olga")
    assert secret[:2] == missing[:2] == ("failed", refusal)
    assert member[0] in ("refused", "failed") and "`github.repos.get` needs the operator role" in member[1]
    assert ok[0] == "completed" and f'"full_name": "{HELLO}"' in transcript.getvalue()
    assert asked[0] == "completed" and asked[2] is not None
    [tool] = asked[2]["tool_transcript"]
    assert (tool["tool"], tool["ok"], tool["error"]) == ("github.issues.get", False, "not_allowed")
    assert touched(fake_github, SECRET_REPO, MISSING_REPO) == []
    assert touched(fake_github, HELLO) == [f"/repos/{HELLO}"]


# -- 4. webhooks ---------------------------------------------------------------------------------------------
def webhook_count(outcome: str) -> float:
    return REGISTRY.get_sample_value("chatops_github_webhooks_total", {"event": "pull_request", "outcome": outcome}) or 0.0


async def test_a_delivery_for_a_repository_outside_the_allow_list_is_acknowledged_counted_and_runs_nothing(
    gh_bot: Bot, fake_github: FakeGitHub
) -> None:
    outside = payload("pull_request.opened.json", repository__full_name=SECRET_REPO, pull_request__number=1)
    before = webhook_count("not_allowed")
    async with client_for(gh_bot) as client, running_worker(gh_bot):
        refused = await deliver(client, "pull_request", encode(outside), delivery="d-outside")
        accepted = await deliver(client, "pull_request", fixture("pull_request.opened.json"), delivery="d-inside")
        await settle(gh_bot)
    # GitHub gets its 2xx (no redelivery storm), with the reason; nothing is stored for it
    assert refused.status_code == 202
    assert refused.json() == {"outcome": "not_allowed", "ignored": f"repository {SECRET_REPO} is not in GITHUB_ALLOWED_REPOS"}
    assert webhook_count("not_allowed") == before + 1
    assert await gh_bot.store.github.delivery("d-outside") is None
    assert fake_github.repos[SECRET_REPO].comments == {} and touched(fake_github, SECRET_REPO) == []
    # the allowed one queues its job, which runs as its sender and posts the review
    assert accepted.status_code == 202 and accepted.json() == {"outcome": "stored", "executions": 1}
    [row] = await executions(gh_bot)
    assert (row["kind"], row["requester"], row["status"]) == ("github-review", "github:Codertocat", Status.COMPLETED)
    assert set(row["roles"].split(",")) == {"member", "viewer"}
    assert len(fake_github.bot_comments(HELLO, 2)) == 1


# -- 5. a per-repository rule --------------------------------------------------------------------------------
PER_REPO = """
[[rules]]                 # members may post reviews on Codertocat's repositories only ...
action = "review.post"
role = "member"
repos = ["Codertocat/*"]

[[rules]]                 # ... operators anywhere the deployment allows
action = "review.post"
role = "operator"
"""


@pytest.mark.parametrize(("allowed", "extra_policy"), [(f"{HELLO},{SECRET_REPO}", PER_REPO)])
async def test_a_per_repository_rule_narrows_who_may_post(gh_bot: Bot, fake_github: FakeGitHub) -> None:
    async with running_worker(gh_bot):
        member = await run(gh_bot, f"/review {SECRET_REPO}#1 --post")
        reading = await run(gh_bot, f"/review {SECRET_REPO}#1")  # reading is not narrowed
        operator = await run(gh_bot, f"/review {SECRET_REPO}#1 --post", user="console:olga")
    assert member[0] in ("refused", "failed")
    assert "`review.post` needs the member role on Codertocat/* or the operator role" in member[1]
    assert reading[0] == "completed", reading[1]
    assert operator[0] == "completed", operator[1]
    assert len(fake_github.bot_comments(SECRET_REPO, 1)) == 1  # the operator's, only
    if member[0] == "refused":  # refused at the gate: the refusal is an audit event of its own
        [entry] = [e for e in await gh_bot.access.audit(actor="console:alice") if e.outcome == "refused"]
        assert entry.action == "review.post" and entry.detail is not None and entry.detail["reason"] == "permission"


@pytest.mark.parametrize(("allowed", "extra_policy"), [(f"{HELLO},{SECRET_REPO}", PER_REPO)])
async def test_a_member_may_post_on_the_repositories_the_rule_names(gh_bot: Bot, fake_github: FakeGitHub) -> None:
    async with running_worker(gh_bot):
        outcome, said, _ = await run(gh_bot, f"/review {HELLO}#2 --post")
    assert outcome == "completed", said
    assert len(fake_github.bot_comments(HELLO, 2)) == 1


# -- 6. roles from GitHub teams ------------------------------------------------------------------------------
MENTIONS_FOR_OPERATORS = """
[[rules]]                 # only operators get an answer when they @mention the bot on GitHub
action = "github-reply"
role = "operator"
"""


def mention(login: str, comment_id: int) -> bytes:
    user = {"login": login, "id": comment_id, "type": "User"}
    return encode(payload("issue_comment.created.json", comment__body="@chatops-bot what is wrong here?",
                          comment__user=user, comment__id=comment_id, sender=user))


def team_asks(fake: FakeGitHub) -> list[str]:
    return [r["path"] for r in fake.requests if "/memberships/" in r["path"]]


@pytest.mark.parametrize("extra_policy", [MENTIONS_FOR_OPERATORS])
async def test_a_login_in_a_team_the_policy_names_gets_its_role(gh_bot: Bot, fake_github: FakeGitHub, fake_llm: FakeLLM) -> None:
    fake_github.teams = {"acme/sre": {"Codertocat": "active", "newbie": "pending"}}
    fake_llm.behavior = Behavior(reply="Check the README spelling.")
    async with client_for(gh_bot) as client, running_worker(gh_bot):
        sre = await deliver(client, "issue_comment", mention("Codertocat", 1))
        invited = await deliver(client, "issue_comment", mention("newbie", 2))  # invited, not yet a member
        outsider = await deliver(client, "issue_comment", mention("hubot", 3))
        await settle(gh_bot)
    assert sre.json() == {"outcome": "stored", "executions": 1}
    assert invited.json() == outsider.json() == {"outcome": "stored", "executions": 0}
    [row] = await executions(gh_bot)
    assert row["kind"] == "github-reply" and row["requester"] == "github:Codertocat" and row["status"] == Status.COMPLETED
    assert "operator" in row["roles"].split(",")
    [reply] = fake_github.bot_comments(HELLO, 1)
    assert reply["body"].startswith("@Codertocat Check the README spelling.")
    assert sorted(team_asks(fake_github)) == sorted(f"/orgs/acme/teams/sre/memberships/{u}" for u in ("Codertocat", "newbie", "hubot"))
    # each refusal is in the audit trail, naming the sender and the action
    for login in ("newbie", "hubot"):
        [entry] = await gh_bot.access.audit(actor=f"github:{login}")
        assert (entry.action, entry.outcome, entry.place) == ("github-reply", "refused", f"github:{HELLO}")
        assert entry.detail is not None and entry.detail["reason"] == "permission" and entry.detail["trigger"] == "github"


@pytest.mark.parametrize("extra_policy", [MENTIONS_FOR_OPERATORS])
async def test_a_team_granted_a_role_at_run_time_gives_it_to_its_members(
    gh_bot: Bot, fake_github: FakeGitHub, fake_llm: FakeLLM
) -> None:
    fake_github.teams = {"acme/oncall": {"Codertocat": "active"}}  # a team the policy file does not name
    fake_llm.behavior = Behavior(reply="On it.")
    async with client_for(gh_bot) as client, running_worker(gh_bot):
        before = await deliver(client, "issue_comment", mention("Codertocat", 21))
        assert team_asks(fake_github) == ["/orgs/acme/teams/sre/memberships/Codertocat"]  # only the policy's team
        granted = await run(gh_bot, "/access grant github-team:acme/oncall operator", user="console:root")
        after = await deliver(client, "issue_comment", mention("Codertocat", 22))
        await settle(gh_bot)
    assert before.json()["executions"] == 0 and granted[0] == "completed" and after.json()["executions"] == 1
    assert "/orgs/acme/teams/oncall/memberships/Codertocat" in team_asks(fake_github)
    [row] = [r for r in await executions(gh_bot) if r["kind"] == "github-reply"]
    assert row["requester"] == "github:Codertocat" and "operator" in row["roles"].split(",")
    [reply] = fake_github.bot_comments(HELLO, 1)
    assert reply["body"].startswith("@Codertocat On it.")


# -- C. a GitHub outage: deny-safe, remembered FAILED_TTL, asked again after it -----------------------------
@pytest.mark.parametrize("extra_policy", [MENTIONS_FOR_OPERATORS])
async def test_during_a_github_outage_the_team_lookup_denies_at_once_and_is_not_repeated(
    gh_bot: Bot, fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    fake_github.teams = {"acme/sre": {"Codertocat": "active"}}
    fake_github.outage = 503
    timings = []
    with caplog.at_level(logging.WARNING, "chatops.github"):
        async with client_for(gh_bot) as client:
            for i in range(3):
                started = time.monotonic()
                resp = await deliver(client, "issue_comment", mention("Codertocat", 10 + i))
                timings.append(time.monotonic() - started)
                assert resp.json() == {"outcome": "stored", "executions": 0}  # not a member: refused, deny-safe
                fake_github.outage = None if i == 1 else fake_github.outage  # GitHub is back after the second
    # the first acknowledgement waited at most the lookup's own bound (githubkit's 5xx retries cut short,
    # so the answer is kept rather than cancelled by the gate); the next ones do not ask GitHub again
    assert timings[0] < LOOKUP_TIMEOUT and max(timings[1:]) < CALL_TIMEOUT / 2, timings
    asked = team_asks(fake_github)
    assert asked and set(asked) == {"/orgs/acme/teams/sre/memberships/Codertocat"}
    assert len(asked) <= 3  # the first call and its in-call retries, nothing for the later deliveries
    assert "treated as not a member for 15s" in caplog.text and "HTTP 503" in caplog.text
    assert "ghp_test" not in caplog.text
    assert [e.outcome for e in await gh_bot.access.audit(actor="github:Codertocat")] == ["refused"] * 3
    assert await executions(gh_bot) == []


def event(who: Identity) -> Event:
    return Event(source="github", user=str(who), conversation=Conversation("github", HELLO, "1"), text="/whoami")


async def test_a_failed_team_lookup_is_kept_failed_ttl_then_asked_again(fake_github: FakeGitHub) -> None:
    now = [1000.0]
    members = GitHubMembers(GitHubClient(fake_github.url, token="ghp_test", max_wait=0), ttl=300, clock=lambda: now[0])
    fake_github.teams = {"acme/sre": {"octocat": "active"}, "acme/ops": {"octocat": "active"}}
    octocat, wanted = Identity("github", "octocat"), frozenset({TEAM, "github-team:acme/ops"})
    fake_github.outage = 503
    started = time.monotonic()
    assert await members.membership(octocat, event(octocat), wanted) == Membership()
    assert time.monotonic() - started < CALL_TIMEOUT + 0.5  # both teams asked together, each cut at CALL_TIMEOUT
    outage_calls = len(team_asks(fake_github))
    fake_github.outage = None
    now[0] += FAILED_TTL - 1
    assert await members.membership(octocat, event(octocat), wanted) == Membership()  # still the kept answer
    assert len(team_asks(fake_github)) == outage_calls
    now[0] += 2
    assert (await members.membership(octocat, event(octocat), wanted)).groups == wanted  # asked again: a member
    assert len(team_asks(fake_github)) == outage_calls + 2
    # and a definite answer is kept the full TTL, not FAILED_TTL
    now[0] += FAILED_TTL + 1
    assert (await members.membership(octocat, event(octocat), wanted)).groups == wanted
    assert len(team_asks(fake_github)) == outage_calls + 2


async def test_a_github_that_does_not_answer_or_refuses_the_connection_is_not_a_member(fake_github: FakeGitHub) -> None:
    now = [1000.0]
    fake_github.teams = {"acme/sre": {"octocat": "active"}}
    octocat = Identity("github", "octocat")
    slow = GitHubMembers(GitHubClient(fake_github.url, token="ghp_test", max_wait=0), ttl=300, clock=lambda: now[0])
    fake_github.delay = CALL_TIMEOUT + 1
    started = time.monotonic()
    assert await slow.membership(octocat, event(octocat), frozenset({TEAM})) == Membership()
    assert time.monotonic() - started < CALL_TIMEOUT + 0.5
    fake_github.delay = 0
    assert await slow.membership(octocat, event(octocat), frozenset({TEAM})) == Membership()  # kept
    assert len(team_asks(fake_github)) == 1
    # a port nobody listens on: connection refused, answered at once and the safe way
    async with FakeGitHub() as gone:
        url = gone.url
    refused = GitHubMembers(GitHubClient(url, token="ghp_test", max_wait=0), ttl=300)
    started = time.monotonic()
    assert await refused.membership(octocat, event(octocat), frozenset({TEAM})) == Membership()
    assert time.monotonic() - started < CALL_TIMEOUT + 0.5
