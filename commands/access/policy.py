"""Who may do what: roles, their members, and the permission rules — plain data, no I/O.

A `Policy` is built from the defaults below, then a TOML file (`POLICY_FILE`, see docs/access.md), then
`MCP_OPERATORS` (the old shorthand, mapped to the operator role). The gate (bot/gate.py) asks it two
questions for every request: which roles an identity has (`roles_of`, given what the platform says the
person belongs to and the grants stored at run time), and whether those roles may do an action here
(`allows`). Handlers ask the second question again for what only they can name (a tool, a repository).

Actions are `<command>` (`status`), `<command>.<subcommand>` (`alerts.ack`, `review.post`) and
`tool:<mcp tool>` (`tool:db.query`). A rule names an action or a glob (`tool:db.*`), the lowest role that
may do it, and optionally the channels and repositories it holds in. For one action the most specific
matching pattern decides and all rules with that pattern are alternatives, so a file can narrow a default
(`tool:db.query` for `operator` in `slack:C0OPS` only) as well as widen one.
"""
from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from commands.access.identity import Identity

BUILTIN = ("viewer", "member", "operator", "admin")  # each includes the ones before it
DATA_TOOLS = ("tool:db.*", "tool:shopify.*")  # results kept to the asker unless a `share` rule opens a channel

DEFAULT_RULES: tuple[tuple[str, str], ...] = (
    ("help", "viewer"), ("whoami", "viewer"), ("status", "viewer"), ("report", "viewer"),
    ("alerts", "viewer"), ("alerts.list", "viewer"), ("alerts.ack", "operator"), ("alerts.silence", "operator"),
    ("ask", "member"), ("review", "member"), ("review.post", "member"),
    ("mcp", "member"), ("mcp.list", "member"), ("mcp.call", "member"), ("tool:*", "operator"),
    ("access", "viewer"), ("access.link", "viewer"), ("access.*", "admin"), ("audit", "admin"),
    # the GitHub webhook's own jobs: its senders are members on the allowed repositories
    ("github-*", "member"),
    ("*", "admin"),  # anything not named above (hidden commands, new ones) is for admins until a rule says so
)


class PolicyError(ValueError):
    """A policy file that cannot be used; the text names the file, the line or key, and what is wrong."""


@dataclass(frozen=True, slots=True)
class Rule:
    action: str
    role: str
    channels: tuple[str, ...] = ()  # conversation selectors: "slack:C0OPS", "discord:1234", "C0OPS"; () = anywhere
    repos: tuple[str, ...] = ()  # owner/repo globs; () = any repository the deployment allows

    def holds_in(self, channel: str | None, repo: str | None, *, repo_later: bool = False) -> bool:
        """`repo_later`: the repository is not known yet and the caller checks again once it is (the gate
        before a handler parses the PR reference), so a rule limited to repositories may still hold."""
        if self.channels and not (channel and any(_place_match(c, channel) for c in self.channels)):
            return False
        if not self.repos or (repo is None and repo_later):
            return True
        return bool(repo and any(fnmatch.fnmatchcase(repo.lower(), r.lower()) for r in self.repos))


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    inherits: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # identities (globs allowed: "slack:T0123/*") and group selectors


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    action: str
    needs: tuple[Rule, ...] = ()  # the rules that would have allowed it (what the refusal names)


@dataclass(frozen=True)
class Policy:
    roles: Mapping[str, Role]
    rules: tuple[Rule, ...]
    shares: tuple[Rule, ...] = ()  # data-tool results that a channel may see (role unused)
    dms: bool = False
    default_role: str | None = "member"  # everyone in an allowed workspace or guild
    guest_role: str | None = "viewer"  # Slack guests, instead of default_role
    github_role: str | None = "member"  # senders of GitHub events on the allowed repositories
    console_role: str = "admin"  # whoever runs the console owns the machine
    system_role: str = "admin"  # the scheduler and the bot's own jobs
    allowed_repos: frozenset[str] | None = None  # GITHUB_ALLOWED_REPOS, lower case; None = all
    source: str = "defaults"
    _includes: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)
    _by_action: dict[str, tuple[Rule, ...]] = field(default_factory=dict, repr=False, compare=False)

    # -- who has which role ------------------------------------------------------------------------------
    def selectors(self, platform: str) -> frozenset[str]:
        """The group selectors of one platform that the policy names (the member lookup asks about these)."""
        prefix = {"slack": "slack-group:", "discord": "discord-role:", "github": "github-team:"}.get(platform)
        if prefix is None:
            return frozenset()
        return frozenset(m for r in self.roles.values() for m in r.members if m.startswith(prefix))

    def roles_of(self, identity: Identity, groups: Iterable[str] = (), *, guest: bool = False,
                 granted: Iterable[str] = ()) -> frozenset[str]:
        """Every role `identity` has: the platform's base role, the policy's members lists (by identity or
        group), and `granted` (the roles stored at run time for it or its groups), with what they include."""
        base = {
            "console": self.console_role, "system": self.system_role, "github": self.github_role,
        }.get(identity.platform, self.guest_role if guest else self.default_role)
        names = {base} if base else set()
        who = str(identity)
        group_set = set(groups)
        for role in self.roles.values():
            if any(m in group_set or fnmatch.fnmatchcase(who, m) for m in role.members):
                names.add(role.name)
        names.update(r for r in granted if r in self.roles)
        return frozenset(n for name in names for n in self.includes(name))

    def includes(self, role: str) -> frozenset[str]:
        """`role` and every role it includes (operator → operator, member, viewer)."""
        cached = self._includes.get(role)
        if cached is None:
            cached = self._includes[role] = frozenset(self._closure(role, ()))
        return cached

    def _closure(self, role: str, seen: tuple[str, ...]) -> set[str]:
        if role in seen or role not in self.roles:
            return set()
        out = {role}
        for parent in self.roles[role].inherits:
            out |= self._closure(parent, (*seen, role))
        return out

    # -- what a role may do ------------------------------------------------------------------------------
    def rules_for(self, action: str) -> tuple[Rule, ...]:
        cached = self._by_action.get(action)
        if cached is None:
            matching = [r for r in self.rules if fnmatch.fnmatchcase(action, r.action)]
            if matching:
                best = max(_specificity(r.action) for r in matching)
                matching = [r for r in matching if _specificity(r.action) == best]
            parent, dot, _ = action.rpartition(".")
            if dot and not action.startswith("tool:") and all(r.action == "*" for r in matching):
                # a subcommand or flag no rule names (`/report 7d`, `/mcp call --confirm`) is its command's
                # business; only unnamed commands fall to the catch-all
                matching = list(self.rules_for(parent))
            cached = self._by_action[action] = tuple(matching)
        return cached

    def allows(self, roles: frozenset[str], action: str, *, channel: str | None = None,
               repo: str | None = None, repo_later: bool = False) -> Verdict:
        """May someone with `roles` do `action` in `channel` (a conversation string such as "slack:C0OPS")
        on `repo`? Admins may do everything the deployment allows; GITHUB_ALLOWED_REPOS binds everyone.
        `repo_later`: no repository yet, the caller asks again with it (see `Rule.holds_in`)."""
        if repo is not None and not self.repo_allowed(repo):
            return Verdict(False, action)
        rules = self.rules_for(action)
        if "admin" in roles:
            return Verdict(True, action)
        for rule in rules:
            if rule.role in roles and rule.holds_in(channel, repo, repo_later=repo_later):
                return Verdict(True, action)
        return Verdict(False, action, rules)

    def repo_allowed(self, repo: str) -> bool:
        return self.allowed_repos is None or repo.lower() in self.allowed_repos

    def shared(self, tool: str, channel: str | None) -> bool:
        """May the channel see the results of data tool `tool` (else only the asker sees them)?"""
        action = tool if tool.startswith("tool:") else f"tool:{tool}"
        if not any(fnmatch.fnmatchcase(action, p) for p in DATA_TOOLS):
            return True
        return any(fnmatch.fnmatchcase(action, s.action) and s.holds_in(channel, None) for s in self.shares)

    def web_role(self, roles: frozenset[str]) -> str:
        """The highest built-in role among `roles`: what a web login made from chat may see."""
        return next((r for r in reversed(BUILTIN) if r in roles), "viewer")

    def with_operators(self, operators: Iterable[str]) -> Policy:
        """MCP_OPERATORS (deprecated): each entry joins the operator role. A bare id ("U0123", "root") is
        taken to mean that user on any platform, as the old setting compared bare ids."""
        extra = tuple(o if ":" in o else f"*[:/]{o}" for o in operators)
        if not extra:
            return self
        op = self.roles["operator"]
        roles = {**self.roles, "operator": Role(op.name, op.inherits, (*op.members, *extra))}
        return _replace(self, roles=roles)

    def with_repos(self, repos: Iterable[str] | None) -> Policy:
        allowed = None if repos is None else frozenset(r.strip().lower() for r in repos if r.strip())
        return _replace(self, allowed_repos=allowed or None)


def _replace(policy: Policy, **changes: Any) -> Policy:
    from dataclasses import replace

    return replace(policy, _includes={}, _by_action={}, **changes)


def _specificity(pattern: str) -> tuple[int, int]:
    literal = len(pattern) - sum(pattern.count(c) for c in "*?[")
    return (0 if any(c in pattern for c in "*?[") else 1, literal)


def _place_match(selector: str, channel: str) -> bool:
    """"slack:C0OPS" matches the conversation "slack:C0OPS"; a bare "C0OPS" matches it on any platform."""
    if ":" in selector:
        return fnmatch.fnmatchcase(channel, selector)
    return fnmatch.fnmatchcase(channel.partition(":")[2], selector)


def default_policy() -> Policy:
    roles = {
        "viewer": Role("viewer"), "member": Role("member", ("viewer",)),
        "operator": Role("operator", ("member",)), "admin": Role("admin", ("operator",)),
    }
    return Policy(roles=roles, rules=tuple(Rule(a, r) for a, r in DEFAULT_RULES))


# -- the policy file --------------------------------------------------------------------------------------
_ACCESS_KEYS = {"dms", "default_role", "guest_role", "github_role", "console_role", "system_role"}


def parse_policy(text: str, source: str = "POLICY_FILE") -> Policy:
    """The defaults with a TOML policy applied (format: docs/access.md). Raises PolicyError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"{source}: {e}") from None
    unknown = sorted(set(data) - {"access", "roles", "rules", "share"})
    if unknown:
        raise PolicyError(f"{source}: unknown section [{unknown[0]}] (known: access, roles, rules, share)")
    base = default_policy()
    roles = dict(base.roles)
    for name, spec in _table(data.get("roles", {}), f"{source}: [roles]").items():
        spec = _table(spec, f"{source}: [roles.{name}]")
        _only(spec, {"members", "inherits"}, f"{source}: [roles.{name}]")
        old = roles.get(name, Role(name))
        inherits = tuple(_strings(spec.get("inherits", list(old.inherits)), f"{source}: roles.{name}.inherits"))
        members = tuple(_strings(spec.get("members", []), f"{source}: roles.{name}.members"))
        roles[name] = Role(name, inherits, (*old.members, *members))
    for role in roles.values():
        for parent in role.inherits:
            if parent not in roles:
                raise PolicyError(f"{source}: roles.{role.name}.inherits: no role {parent!r} (known: {', '.join(roles)})")
    # a file's rules for an action replace the default ones for exactly that action pattern
    specs = _list(data.get("rules", []), f"{source}: [[rules]]")
    mine = [_rule(spec, roles, f"{source}: rules[{i}]") for i, spec in enumerate(specs)]
    named = {r.action for r in mine}
    rules = [*mine, *(r for r in base.rules if r.action not in named)]
    shares = tuple(_rule({"role": "viewer", **spec}, roles, f"{source}: share[{i}]", share=True)
                   for i, spec in enumerate(_list(data.get("share", []), f"{source}: [[share]]")))
    access = _table(data.get("access", {}), f"{source}: [access]")
    _only(access, _ACCESS_KEYS, f"{source}: [access]")
    options: dict[str, Any] = {}
    if "dms" in access:
        if not isinstance(access["dms"], bool):
            raise PolicyError(f"{source}: access.dms must be true or false")
        options["dms"] = access["dms"]
    for key in _ACCESS_KEYS - {"dms"}:
        if key in access:
            value = access[key] or None
            if value is not None and value not in roles:
                raise PolicyError(f"{source}: access.{key}: no role {value!r} (known: {', '.join(roles)})")
            options[key] = value
    return _replace(base, roles=roles, rules=tuple(rules), shares=shares, source=source, **options)


def _rule(spec: Any, roles: Mapping[str, Role], where: str, *, share: bool = False) -> Rule:
    spec = _table(spec, where)
    key = "tools" if share else "action"
    _only(spec, {key, "role", "channels", "repos"} if not share else {key, "role", "channels"}, where)
    if key not in spec or "role" not in spec:
        raise PolicyError(f"{where}: needs `{key}`" + ("" if share else " and `role`"))
    role = spec["role"]
    if role not in roles:
        raise PolicyError(f"{where}: no role {role!r} (known: {', '.join(roles)})")
    action = spec[key]
    if not isinstance(action, str) or not action:
        raise PolicyError(f"{where}.{key} must be a non-empty string")
    if share:
        action = action if action.startswith("tool:") else f"tool:{action}"
    return Rule(action, role, tuple(_strings(spec.get("channels", []), f"{where}.channels")),
                tuple(_strings(spec.get("repos", []), f"{where}.repos")))


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyError(f"{where} must be a table")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise PolicyError(f"{where} must be an array of tables")
    return value


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise PolicyError(f"{where} must be a list of strings")
    for v in value:
        if ":" in v and not v.split(":", 1)[0]:
            raise PolicyError(f"{where}: {v!r} has no platform before ':'")
    return value


def _only(spec: Mapping[str, Any], known: set[str], where: str) -> None:
    extra = sorted(set(spec) - known)
    if extra:
        raise PolicyError(f"{where}: unknown key {extra[0]!r} (known: {', '.join(sorted(known))})")
