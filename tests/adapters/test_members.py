"""Member lookups through the real clients against the fakes: Slack user groups and guests (slack_sdk),
GitHub team memberships (githubkit, token and App). Answers are cached per TTL (a second call makes no
request), and a failing API means "not a member", never an exception."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from bot.adapters.github.members import GitHubMembers
from bot.adapters.slack.members import SlackMembers
from bot.adapters.slack.outbound import web_client
from bot.members import FAILED_TTL, Membership
from commands.access.identity import Identity
from commands.model import Conversation, Event
from providers import GitHubClient
from tests.adapters.conftest import Chat
from tests.fakes.github import FakeGitHub
from tests.fakes.slack import TEAM, FakeSlack
from tests.unit.providers.test_github_provider import rsa_pair

ALICE = Identity("slack", "U0ALICE", TEAM)
ONCALL, ADMINS = f"slack-group:{TEAM}/S0ONCALL", f"slack-group:{TEAM}/S0ADMINS"


def event(user: Identity) -> Event:
    return Event(source=user.platform, user=str(user), conversation=Conversation("console", "t"), text="/status")


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.usergroups = {"S0ONCALL": ["U0ALICE", "U0BOB"], "S0ADMINS": ["U0BOB"]}
        fake.users = {"U0ALICE": {}, "U0GUEST": {"is_restricted": True}, "U0SINGLE": {"is_ultra_restricted": True}}
        yield fake


async def test_slack_groups_are_asked_once_per_group_and_ttl(slack: FakeSlack) -> None:
    members = SlackMembers(web_client("xoxb-fake", slack.api_url), ttl=300)
    wanted = frozenset({ONCALL, ADMINS, "slack-group:T0OTHER/S0ONCALL", "github-team:org/ops"})
    first = await members.membership(ALICE, event(ALICE), wanted)
    assert first == Membership(frozenset({ONCALL}), guest=False)
    # only this workspace's groups were asked about, each once, and the person's guest flag once
    assert sorted(c["usergroup"] for c in slack.of("usergroups.users.list")) == ["S0ADMINS", "S0ONCALL"]
    assert [c["user"] for c in slack.of("users.info")] == ["U0ALICE"]
    calls = len(slack.calls)
    assert await members.membership(ALICE, event(ALICE), wanted) == first
    bob = Identity("slack", "U0BOB", TEAM)
    slack.users["U0BOB"] = {}
    assert (await members.membership(bob, event(bob), wanted)).groups == {ONCALL, ADMINS}
    assert [c.method for c in slack.calls[calls:]] == ["users.info"]  # the groups came from the cache


async def test_slack_guests_are_restricted_or_single_channel_accounts(slack: FakeSlack) -> None:
    members = SlackMembers(web_client("xoxb-fake", slack.api_url), ttl=300)
    for user, guest in (("U0GUEST", True), ("U0SINGLE", True), ("U0ALICE", False)):
        who = Identity("slack", user, TEAM)
        assert (await members.membership(who, event(who), frozenset())).guest is guest
    assert slack.of("usergroups.users.list") == []


async def test_slack_api_failures_deny_and_are_asked_again_after_a_short_while(slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    members = SlackMembers(web_client("xoxb-fake", slack.api_url), ttl=300, clock=lambda: now[0])
    unknown = f"slack-group:{TEAM}/S0GONE"
    with caplog.at_level(logging.WARNING, "chatops.slack"):
        got = await members.membership(ALICE, event(ALICE), frozenset({unknown}))
        assert got == Membership(frozenset(), guest=False)
        assert "no_such_subteam" in caplog.text and "xoxb" not in caplog.text
        # a user Slack does not know: the guest question fails, answered the safe way (a guest)
        nobody = Identity("slack", "U0NOBODY", TEAM)
        assert (await members.membership(nobody, event(nobody), frozenset())).guest is True
        assert "user_not_found" in caplog.text
        # a server error on the group call: not a member now, and for FAILED_TTL (an outage must not make
        # every command wait on Slack), then asked again
        slack.fail_next["usergroups.users.list"] = (500, None)
        assert (await members.membership(ALICE, event(ALICE), frozenset({ONCALL}))).groups == frozenset()
    assert (await members.membership(ALICE, event(ALICE), frozenset({ONCALL}))).groups == frozenset()
    assert [c["usergroup"] for c in slack.of("usergroups.users.list")] == ["S0GONE", "S0ONCALL"]
    now[0] += FAILED_TTL + 1
    assert (await members.membership(ALICE, event(ALICE), frozenset({ONCALL}))).groups == {ONCALL}
    assert [c["usergroup"] for c in slack.of("usergroups.users.list")] == ["S0GONE", "S0ONCALL", "S0ONCALL"]


async def test_slack_lookup_ignores_other_platforms_identities(slack: FakeSlack) -> None:
    members = SlackMembers(web_client("xoxb-fake", slack.api_url), ttl=300)
    gh = Identity("github", "octocat")
    assert await members.membership(gh, event(gh), frozenset({ONCALL})) == Membership()
    assert slack.calls == []


async def test_the_slack_platform_registers_its_lookup_when_it_opens(chat: Chat) -> None:
    lookup = chat.bot.spine.members["slack"]
    assert isinstance(lookup, SlackMembers)
    chat.slack.usergroups["S0ONCALL"] = ["U00FAKEUSER"]
    chat.slack.users["U00FAKEUSER"] = {"is_restricted": True}
    me = Identity.parse(f"slack:{TEAM}/U00FAKEUSER")
    assert await lookup.membership(me, event(me), frozenset({ONCALL})) == Membership(frozenset({ONCALL}), guest=True)


# -- GitHub ---------------------------------------------------------------------------------------------
@pytest.fixture
async def github() -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub() as fake:
        fake.teams = {"acme/ops": {"octocat": "active", "newbie": "pending"}, "acme/admins": {}}
        yield fake


def memberships(fake: FakeGitHub) -> list[str]:
    return [r["path"] for r in fake.requests if "/memberships/" in r["path"]]


async def test_github_teams_active_members_only_cached(github: FakeGitHub) -> None:
    members = GitHubMembers(GitHubClient(github.url, token="ghp_test", max_wait=0), ttl=300)
    wanted = frozenset({"github-team:acme/ops", "github-team:acme/admins", f"slack-group:{TEAM}/S1"})
    octocat, newbie = Identity("github", "octocat"), Identity("github", "newbie")
    assert await members.membership(octocat, event(octocat), wanted) == Membership(frozenset({"github-team:acme/ops"}))
    assert await members.membership(newbie, event(newbie), wanted) == Membership()  # invited, not yet a member
    asked = memberships(github)
    assert sorted(asked) == sorted([f"/orgs/acme/teams/{t}/memberships/{u}" for t in ("ops", "admins") for u in ("octocat", "newbie")])
    # the second time (404s too) comes from the cache
    assert (await members.membership(octocat, event(octocat), wanted)).groups == {"github-team:acme/ops"}
    assert await members.membership(newbie, event(newbie), wanted) == Membership()
    assert memberships(github) == asked
    ghost = Identity("github", "ghost")
    assert await members.membership(ghost, event(ghost), wanted) == Membership()
    assert memberships(github) == asked


async def test_github_failures_are_not_a_member_and_asked_again(github: FakeGitHub, caplog: pytest.LogCaptureFixture) -> None:
    members = GitHubMembers(GitHubClient(github.url, token="ghp_test", max_wait=0), ttl=300)
    octocat = Identity("github", "octocat")
    github.secondary_limit = 1  # a secondary rate limit longer than the client waits (max_wait=0)
    with caplog.at_level(logging.WARNING, "chatops.github"):
        assert await members.membership(octocat, event(octocat), frozenset({"github-team:acme/ops"})) == Membership()
    assert "treated as not a member" in caplog.text and "ghp_test" not in caplog.text
    assert (await members.membership(octocat, event(octocat), frozenset({"github-team:acme/ops"}))).groups == {"github-team:acme/ops"}
    assert len(memberships(github)) == 2


async def test_github_app_asks_as_its_installation_on_the_organization() -> None:
    private, public = rsa_pair()
    async with FakeGitHub(tokens=set(), app_id="4242", app_public_key=public) as fake:
        fake.teams = {"acme/ops": {"octocat": "active"}}
        fake.org_installations = {"acme": 77}
        members = GitHubMembers(GitHubClient(fake.url, app_id="4242", private_key=private, max_wait=0), ttl=300)
        octocat = Identity("github", "octocat")
        assert (await members.membership(octocat, event(octocat), frozenset({"github-team:acme/ops"}))).groups == {"github-team:acme/ops"}
        [asked] = [r for r in fake.requests if "/memberships/" in r["path"]]
        assert asked["auth"] == "installation"
        assert [r["path"] for r in fake.requests if r["path"].endswith("/installation")] == ["/orgs/acme/installation"]
