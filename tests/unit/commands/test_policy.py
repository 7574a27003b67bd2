"""The access policy: defaults, the TOML file, role inclusion, rule specificity, places, refusals."""
from __future__ import annotations

import pytest

from commands import default_commands
from commands.access.commands import parse_subject
from commands.access.identity import Identity
from commands.access.policy import PolicyError, default_policy, parse_policy
from commands.access.rules import actions_for, refusal
from commands.errors import UserError
from commands.registry import Registry

MEMBER = Identity("slack", "U1", "T1")
POLICY = """
[access]
dms = true
guest_role = ""

[roles.operator]
members = ["slack:T1/U0OPS", "slack-group:T1/S0SRE", "discord-role:G1/77"]

[roles.dba]
inherits = "member"
members = ["github:dbadmin"]

[[rules]]
action = "tool:db.query"
role = "operator"
channels = ["slack:C0OPS"]

[[rules]]
action = "tool:db.query"
role = "dba"

[[rules]]
action = "review.post"
role = "member"
repos = ["acme/*"]

[[share]]
tools = "db.*"
channels = ["slack:C0OPS"]
"""


def test_defaults_give_members_read_and_ask_and_keep_tools_and_writes_for_operators() -> None:
    p = default_policy()
    member = p.roles_of(MEMBER)
    assert member == {"member", "viewer"}
    for action in ("help", "status", "report", "alerts.list", "ask", "review", "mcp.list", "whoami"):
        assert p.allows(member, action).allowed, action
    for action in ("tool:db.query", "tool:clock.now", "alerts.ack", "alerts.silence", "access.grant", "audit", "noop"):
        assert not p.allows(member, action).allowed, action
    operator = p.includes("operator")
    assert p.allows(operator, "tool:db.query").allowed and p.allows(operator, "alerts.silence").allowed
    assert not p.allows(operator, "access.grant").allowed
    assert p.allows(p.includes("admin"), "noop").allowed


def test_subcommands_and_flags_no_rule_names_follow_their_command_not_the_catch_all() -> None:
    p = default_policy()
    viewer, member = p.includes("viewer"), p.roles_of(MEMBER)
    assert p.allows(viewer, "report.7d").allowed and p.allows(viewer, "status.pool").allowed
    assert p.allows(member, "mcp.confirm").allowed  # the tool itself is still checked as tool:<name>
    assert not p.allows(viewer, "mcp.confirm").allowed and not p.allows(member, "noop.fast").allowed
    assert not p.allows(member, "access.grant").allowed  # access.* names it: admins
    assert not p.allows(member, "tool:db.query").allowed


def test_platform_base_roles_guests_console_system_and_github() -> None:
    p = default_policy()
    assert p.roles_of(MEMBER, guest=True) == {"viewer"}
    assert "admin" in p.roles_of(Identity("console", "alice"))
    assert "admin" in p.roles_of(Identity("system", "scheduler"))
    assert p.roles_of(Identity("github", "octocat")) == {"member", "viewer"}
    assert p.allows(p.roles_of(Identity("github", "octocat")), "github-review").allowed


def test_file_members_groups_grants_and_custom_roles() -> None:
    p = parse_policy(POLICY, "policy.toml")
    assert "operator" in p.roles_of(Identity("slack", "U0OPS", "T1"))
    assert "operator" in p.roles_of(MEMBER, groups=["slack-group:T1/S0SRE"])
    assert "operator" not in p.roles_of(Identity("slack", "U0OPS", "T2")), "an id in another workspace is someone else"
    assert p.roles_of(Identity("github", "dbadmin")) == {"dba", "member", "viewer"}
    assert "operator" in p.roles_of(MEMBER, granted=["operator"])
    assert p.roles_of(MEMBER, guest=True) == frozenset(), "guest_role = '' gives guests nothing"
    assert p.selectors("slack") == {"slack-group:T1/S0SRE"} and p.selectors("discord") == {"discord-role:G1/77"}
    assert p.dms


def test_a_specific_rule_narrows_the_default_to_a_channel_and_adds_a_custom_role() -> None:
    p = parse_policy(POLICY)
    op = p.includes("operator")
    assert p.allows(op, "tool:db.query", channel="slack:C0OPS").allowed
    verdict = p.allows(op, "tool:db.query", channel="slack:C0GENERAL")
    assert not verdict.allowed and {r.role for r in verdict.needs} == {"operator", "dba"}
    assert p.allows(p.includes("dba"), "tool:db.query", channel="slack:C0GENERAL").allowed
    assert p.allows(op, "tool:db.tables", channel="slack:C0GENERAL").allowed, "the default tool:* still holds"


def test_repositories_rules_and_the_deployment_allow_list() -> None:
    p = parse_policy(POLICY).with_repos(["acme/api", "other/site"])
    member = p.includes("member")
    assert p.allows(member, "review.post", repo="acme/api").allowed
    assert not p.allows(member, "review.post", repo="other/site").allowed
    refused = p.allows(p.includes("admin"), "review", repo="evil/secret")
    assert not refused.allowed and refused.needs == (), "GITHUB_ALLOWED_REPOS binds admins too"
    # the gate, before the handler has parsed the PR reference: a rule limited to repositories may hold, and
    # the handler asks again with the repository; without it (a tool with no repository) the rule does not hold
    assert not p.allows(member, "review.post").allowed
    assert p.allows(member, "review.post", repo_later=True).allowed
    assert not p.allows(member, "review.post", repo="other/site", repo_later=True).allowed


def test_shares_decide_who_sees_data_tool_results() -> None:
    p = parse_policy(POLICY)
    assert p.shared("db.query", "slack:C0OPS") and not p.shared("db.query", "slack:C0GENERAL")
    assert not p.shared("shopify.customers.list", "slack:C0OPS")
    assert p.shared("clock.now", "slack:C0GENERAL"), "not a data tool"


def test_mcp_operators_shorthand_maps_bare_ids_and_identities_to_operator() -> None:
    p = default_policy().with_operators(["U0OPS", "console:root"])
    assert "operator" in p.roles_of(Identity("slack", "U0OPS", "T9"))
    assert "operator" in p.roles_of(Identity("discord", "U0OPS", "G1"))
    assert "operator" not in p.roles_of(Identity("slack", "U0OPSX", "T9"))


@pytest.mark.parametrize("text, fragment", [
    ("[roles.x]\ninherits = 'nope'", "roles.x.inherits: no role 'nope'"),
    ("[[rules]]\naction = 'tool:db.*'\nrole = 'wizard'", "rules[0]: no role 'wizard'"),
    ("[[rules]]\naction = 'tool:db.*'", "rules[0]: needs `action` and `role`"),
    ("[access]\ndms = 'yes'", "access.dms must be true or false"),
    ("[acess]\ndms = true", "unknown section [acess]"),
    ("[roles.x]\nmembers = 'slack:T1/U1'\ncolour = 'red'", "unknown key 'colour'"),
    ("[roles.x\n", "line 1"),
])
def test_policy_file_errors_name_the_place(text: str, fragment: str) -> None:
    with pytest.raises(PolicyError) as e:
        parse_policy(text, "policy.toml")
    assert fragment in str(e.value) and str(e.value).startswith("policy.toml")


def test_actions_of_subcommands_and_flags() -> None:
    registry = Registry(default_commands())
    assert actions_for(*registry.resolve("/alerts ack cpu_high")) == ("alerts", "alerts.ack")
    assert actions_for(*registry.resolve("/review acme/api#3 --post")) == ("review", "review.post")
    assert actions_for(*registry.resolve("/mcp call db.query sql='select 1'")) == ("mcp", "mcp.call")


def test_refusal_names_the_need_in_both_languages_without_saying_whether_the_tool_exists() -> None:
    p = parse_policy(POLICY)
    member = p.includes("member")
    real = refusal(p.allows(member, "tool:db.query", channel="slack:C0GENERAL"), "en", who="<@U1>")
    assert real.startswith("`db.query` needs") and "<#C0OPS>" in real and "/access grant <@U1> operator" in real
    ja = refusal(p.allows(member, "tool:db.query", channel="slack:C0GENERAL"), "ja", who="<@U1>")
    assert "必要です" in ja and "<#C0OPS>" in ja
    made_up = refusal(p.allows(member, "tool:db.secret_dump"), "en")
    real_other = refusal(p.allows(member, "tool:db.tables"), "en")
    assert made_up.replace("secret_dump", "X") == real_other.replace("tables", "X")


def test_subjects_from_mentions_stay_in_the_askers_workspace() -> None:
    asker = "slack:T1/U1"
    assert parse_subject("<@U2|bob>", asker, "en") == "slack:T1/U2"
    assert parse_subject("<!subteam^S9|@sre>", asker, "en") == "slack-group:T1/S9"
    assert parse_subject("<@&55>", "discord:G1/9", "en") == "discord-role:G1/55"
    assert parse_subject("<@!42>", "discord:G1/9", "en") == "discord:G1/42"
    assert parse_subject("github:octocat", asker, "en") == "github:octocat"
    assert parse_subject("me", asker, "en") == asker
    with pytest.raises(UserError):
        parse_subject("<@42>", "discord:dm/9", "en")
    with pytest.raises(UserError):
        parse_subject("bob", asker, "en")
