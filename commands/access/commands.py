"""/access grant|revoke|show|link, /whoami and /audit: who may do what, changed and read from chat.

Grants are stored (with who changed what, in the same transaction as its audit row) and reach every
process within about two seconds. Roles that come from the policy file change only in the file: /access says so.
"""
from __future__ import annotations

import re
import time

from commands.access.identity import Identity
from commands.context import AccessAdmin, AuditRow, Context, GrantRow
from commands.errors import UserError
from commands.messages import t
from commands.model import Reply, Section
from commands.registry import Arg, Args, Command

_SLACK_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_SLACK_GROUP = re.compile(r"^<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>$")
_DISCORD_USER = re.compile(r"^<@!?(\d+)>$")
_DISCORD_ROLE = re.compile(r"^<@&(\d+)>$")
_SELECTOR = re.compile(r"^(slack-group:[^/\s]+/\S+|discord-role:[^/\s]+/\d+|github-team:[\w.-]+/[\w.-]+)$")
_WINDOW = re.compile(r"^(\d+(?:\.\d+)?)([mhd])$")
AUDIT_PAGE = 15
LINK_MINUTES = 10


def _admin(ctx: Context) -> AccessAdmin:
    if ctx.services.access is None:
        raise UserError(t("access.no_web", ctx.locale))
    return ctx.services.access


def parse_subject(text: str, requester: str, locale: str) -> str:
    """A mention or identity → the subject a grant is stored under, in the asker's own workspace or guild:
    `<@U1>` → slack:T1/U1, `<!subteam^S1>` → slack-group:T1/S1, `<@&9>` → discord-role:G/9, `me` → the asker."""
    text = text.strip()
    asker = Identity.parse(requester) if ":" in requester else None
    if text.lower() in ("me", "@me"):
        return requester
    space = asker.space if asker else None
    platform = asker.platform if asker else None
    for pattern, kind in ((_SLACK_USER, "slack"), (_SLACK_GROUP, "slack-group"), (_DISCORD_ROLE, "discord-role"),
                          (_DISCORD_USER, "discord")):
        m = pattern.match(text)
        if m is None:
            continue
        home = "slack" if kind.startswith("slack") else "discord"
        if platform != home or not space or space == "dm":  # a mention means someone where the asker is
            break
        return f"{kind}:{space}/{m.group(1)}"
    else:
        if _SELECTOR.match(text):
            return text
        try:
            return str(Identity.parse(text))
        except ValueError:
            pass
    raise UserError(t("access.bad_subject", locale))


def _role(ctx: Context, name: str) -> str:
    roles = ctx.services.policy.roles
    if name not in roles:
        raise UserError(t("access.unknown_role", ctx.locale, role=name, roles=", ".join(roles)))
    return name


async def access_command(ctx: Context, args: Args) -> Reply:
    action, rest = args["action"], (args.get("rest") or "").split()
    place = str(ctx.conversation)
    if action == "link":
        return await _link(ctx)
    if action == "show":
        return await _show(ctx, rest[0] if rest else None)
    if not rest:
        raise UserError(t("access.bad_subject", ctx.locale))
    subject = parse_subject(rest[0], ctx.requester, ctx.locale)
    admin = _admin(ctx)
    if action == "grant":
        if len(rest) < 2:
            raise UserError(t("access.unknown_role", ctx.locale, role="", roles=", ".join(ctx.services.policy.roles)))
        role = _role(ctx, rest[1])
        done = await admin.grant(subject, role, ctx.requester, place)
        return Reply.text(t("access.granted" if done else "access.already", ctx.locale, subject=f"`{subject}`", role=role))
    role_name = _role(ctx, rest[1]) if len(rest) > 1 else None
    if subject == ctx.requester and role_name in (None, "admin"):
        raise UserError(t("access.not_yourself", ctx.locale))
    taken = await admin.revoke(subject, role_name, ctx.requester, place)
    if not taken:
        return Reply.text(t("access.nothing_to_revoke", ctx.locale, subject=f"`{subject}`",
                            role=f" {role_name} " if role_name else " "))
    return Reply.text(t("access.revoked", ctx.locale, subject=f"`{subject}`", roles=", ".join(taken)))


async def _show(ctx: Context, who: str | None) -> Reply:
    admin, policy = _admin(ctx), ctx.services.policy
    if who is not None:
        subject = parse_subject(who, ctx.requester, ctx.locale)
        grants = await admin.grants(subject)
        static: set[str] = set()
        try:
            static = set(policy.roles_of(Identity.parse(subject)))
        except ValueError:  # a group selector: only its grants
            pass
        roles = sorted({g.role for g in grants} | static)
        text = t("access.subject_roles", ctx.locale, subject=f"`{subject}`",
                 roles=", ".join(roles) or t("access.no_roles", ctx.locale))
        lines = [f"• {g.role} ({_granted(g, ctx.locale)})" for g in grants]  # who granted what, and when
        return Reply.text("\n".join([text, *lines]), ephemeral=True)
    grants = await admin.grants()
    lines = [f"• `{g.subject}` → {g.role} ({_granted(g, ctx.locale)})" for g in grants]
    policy_lines = [f"• {r.name}: " + ", ".join(f"`{m}`" for m in r.members) for r in policy.roles.values() if r.members]
    sections = [Section("\n".join(lines) or t("access.no_grants", ctx.locale), title=t("access.grants_title", ctx.locale))]
    if policy_lines:
        sections.append(Section("\n".join(policy_lines), title=t("access.policy_title", ctx.locale, source=policy.source)))
    return Reply(sections=sections, ephemeral=True)


def _granted(grant: GrantRow, locale: str) -> str:
    return t("access.granted_by", locale, who=grant.granted_by, time=_ago(grant.granted_at))


async def _link(ctx: Context) -> Reply:
    role = ctx.services.policy.web_role(ctx.roles)
    url = await _admin(ctx).login_link(ctx.requester, role)
    if url is None:
        raise UserError(t("access.no_web", ctx.locale))
    return Reply.text(t("access.link", ctx.locale, role=role, minutes=LINK_MINUTES, url=url), ephemeral=True)


async def whoami_command(ctx: Context, args: Args) -> Reply:
    commands = [f"`/{c.name}`" for c in ctx.services.registry.visible() if ctx.may(c.name)]
    fields = [
        (t("access.identity", ctx.locale), f"`{ctx.requester}`"),
        (t("access.roles", ctx.locale), ", ".join(sorted(ctx.roles)) or t("access.no_roles", ctx.locale)),
        (t("access.may", ctx.locale), " ".join(commands) or t("access.no_roles", ctx.locale)),
    ]
    hub = ctx.services.mcp
    if hub is not None:
        tools = [f"`{x.name}`" for x in hub.list_tools() if ctx.may(f"tool:{x.name}")]
        fields.append((t("access.tools", ctx.locale), " ".join(tools[:30]) or t("access.no_roles", ctx.locale)))
    return Reply(sections=[Section("", title=t("access.whoami_title", ctx.locale))], fields=fields, ephemeral=True)


def parse_window(value: str, locale: str) -> float:
    m = _WINDOW.match(value.strip().lower())
    if m is None:
        raise UserError(t("access.bad_since", locale, value=value))
    return float(m.group(1)) * {"m": 60, "h": 3600, "d": 86400}[m.group(2)]


async def audit_command(ctx: Context, args: Args) -> Reply:
    """`/audit [@user|identity] [since, e.g. 24h] [page]`."""
    words = (args.get("rest") or "").split()
    actor, since, page = None, 24 * 3600.0, 1
    for word in words:
        if word.isdigit():
            page = max(1, int(word))
        elif _WINDOW.match(word.lower()):
            since = parse_window(word, ctx.locale)
        else:
            actor = parse_subject(word, ctx.requester, ctx.locale)
    now = time.time()
    entries = await _admin(ctx).audit(actor=actor, since=now - since, limit=AUDIT_PAGE * page + 1)
    shown = entries[AUDIT_PAGE * (page - 1):AUDIT_PAGE * page]
    if not shown:
        return Reply.text(t("access.audit_none", ctx.locale), ephemeral=True)
    lines = [_line(e) for e in shown]
    footer = None
    if len(entries) > AUDIT_PAGE * page:
        footer = t("access.audit_more", ctx.locale, args=" ".join([*words_without_page(words), str(page + 1)]))
    return Reply(sections=[Section("\n".join(lines), title=t("access.audit_title", ctx.locale, count=len(shown)))],
                 footer=footer, ephemeral=True)


def words_without_page(words: list[str]) -> list[str]:
    return [w for w in words if not w.isdigit()]


def _line(e: AuditRow) -> str:
    at = time.strftime("%m-%d %H:%M", time.gmtime(e.at))
    detail = e.detail or {}
    extra = ""
    if detail.get("reason"):
        extra = f" ({detail['reason']})"
    elif detail.get("role") or detail.get("roles"):
        extra = f" {detail.get('role') or ', '.join(detail['roles'])}"
    elif detail.get("model"):
        extra = f" {detail['model']} {detail.get('tokens_in', 0)}+{detail.get('tokens_out', 0)} tok"
    if detail.get("tools"):
        extra += " tools: " + ", ".join(str(c.get("tool")) for c in detail["tools"][:5])
    target = f" → `{e.target}`" if e.target else ""
    run = f" #{e.execution_id}" if e.execution_id else ""
    return f"`{at}Z` `{e.actor}` {e.action}{run}{target} — {e.outcome}{extra} · {e.place}"


def _ago(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(at)) + "Z"


ACCESS = Command(
    name="access",
    help=t("help.access"),
    handler=access_command,
    args=(
        Arg("action", t("help.access.action"), required=False, choices=("show", "grant", "revoke", "link"), default="show"),
        Arg("rest", t("help.access.rest"), required=False, rest=True),
    ),
)
WHOAMI = Command(name="whoami", help=t("help.whoami"), handler=whoami_command)
AUDIT = Command(
    name="audit", help=t("help.audit"), handler=audit_command,
    args=(Arg("rest", t("help.audit.rest"), required=False, rest=True),),
)
