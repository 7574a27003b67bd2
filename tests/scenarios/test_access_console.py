"""/whoami, /access and /audit end to end in the console (issue 13): Event → intake (the permission gate)
→ Execution → worker → the reply the console adapter prints, on SQLite and PostgreSQL.

Whoever runs the console owns the machine (`console:<os user>` is an admin by default). To try the
other roles, the policy file makes console users members (`console_role = "member"`) and names one
admin, `console:root`, as a deployment would with its own people.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from bot.app import Bot, open_bot
from bot.intake import Accepted, Rejected
from bot.settings import Settings
from bot.storage.models import Status
from commands.model import Conversation, Event
from pool.fake import FakeLLM
from tests.scenarios.github_env import running_worker

ADMIN, ALICE = "console:root", "console:alice"
POLICY = """
[access]
console_role = "member"

[roles.admin]
members = ["console:root"]
"""
NEEDS_OPERATOR = "`alerts.ack` needs the operator role. Ask an admin: `/access grant console:alice operator`"
LINK = re.compile(r"valid 10 minutes: (http://127\.0\.0\.1:\d+/login/link/[A-Za-z0-9_-]{40,})$")


@pytest.fixture
def settings(make_settings, db_url: str, tmp_path: Path, fake_llm: FakeLLM) -> Settings:
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY)
    return make_settings(core={"database_url": db_url, "poll_interval": 0.05, "policy_file": str(policy)},
                         llm={"openai_base_url": fake_llm.url, "llm_timeout": 2})


@pytest.fixture
async def bot(settings: Settings, console) -> AsyncIterator[Bot]:
    async with open_bot(settings, outbounds=[console]) as b, running_worker(b):
        yield b


class Said:
    """What one request came to: refused at the gate (nothing stored), or the finished execution."""

    def __init__(self, result: Accepted | Rejected, row: dict[str, Any] | None, printed: str) -> None:
        self.refused = isinstance(result, Rejected)
        self.row = row
        self.text = result.reply.plain_text() if isinstance(result, Rejected) else printed

    @property
    def completed(self) -> bool:
        return self.row is not None and self.row["status"] == Status.COMPLETED


def field(text: str, name: str) -> str:
    """A field of a reply as the console prints it (`Roles   admin, member`)."""
    m = re.search(rf"^{re.escape(name)}\s+(.*)$", text, re.MULTILINE)
    assert m, text
    return m.group(1).strip()


async def say(bot: Bot, transcript, text: str, user: str = ALICE, locale: str | None = None) -> Said:
    start = len(transcript.getvalue())
    result = await bot.intake.submit(Event("console", user, Conversation("console", "t"), text, trigger="console", locale=locale))
    row = None
    if isinstance(result, Accepted):
        row = await bot.store.wait_finished(result.execution_id, timeout=10)
        assert row["status"] in (Status.COMPLETED, Status.FAILED), row
    return Said(result, row, transcript.getvalue()[start:])


async def test_the_console_user_is_an_admin_by_default_and_whoami_says_so(make_settings, db_url: str, console, transcript) -> None:
    async with open_bot(make_settings(core={"database_url": db_url, "poll_interval": 0.05}), outbounds=[console]) as b, \
            running_worker(b):
        me = await say(b, transcript, "/whoami", user="console:alice")
    assert me.completed
    assert "*Who you are to the bot*" in me.text and field(me.text, "Identity") == "`console:alice`"
    assert field(me.text, "Roles") == "admin, member, operator, viewer"
    may = field(me.text, "Commands you may use").split()
    assert {f"`/{c}`" for c in ("access", "audit", "alerts", "ask", "review", "status", "whoami")} <= set(may)


async def test_a_grant_opens_the_gate_and_a_revoke_closes_it(bot: Bot, settings: Settings, console, transcript) -> None:
    me = await say(bot, transcript, "/whoami")
    assert me.completed and field(me.text, "Identity") == "`console:alice`" and field(me.text, "Roles") == "member, viewer"
    may = field(me.text, "Commands you may use").split()
    assert "`/ask`" in may and "`/access`" in may and "`/audit`" not in may  # /audit is for admins
    before = await say(bot, transcript, "/alerts ack disk-full")
    assert before.refused and before.text == NEEDS_OPERATOR

    granted = await say(bot, transcript, "/access grant console:alice operator", user=ADMIN)
    assert granted.completed and "`console:alice` now has the operator role." in granted.text
    again = await say(bot, transcript, "/access grant console:alice operator", user=ADMIN)
    assert "`console:alice` already had the operator role." in again.text
    after = await say(bot, transcript, "/alerts ack disk-full")
    assert not after.refused and after.row is not None  # past the gate: the handler answers about the rule
    assert NEEDS_OPERATOR not in after.text and "needs the operator role" not in after.text
    assert set(after.row["roles"].split(",")) == {"operator", "member", "viewer"}
    me = await say(bot, transcript, "/whoami")
    assert field(me.text, "Roles") == "member, operator, viewer"

    listing = await say(bot, transcript, "/access show", user=ADMIN)
    assert listing.completed
    assert re.search(r"• `console:alice` → operator \(by console:root, \d{4}-\d\d-\d\d \d\d:\d\dZ\)", listing.text), listing.text
    shown = await say(bot, transcript, "/access show console:alice", user=ADMIN)
    assert shown.completed and "`console:alice`: member, operator, viewer" in shown.text

    # another process on the same database (a second worker, the web): the grant holds there too, and
    # the revoke reaches it within its one-second grant cache
    async with open_bot(settings, outbounds=[console]) as other:
        assert isinstance(await other.intake.submit(Event("console", ALICE, Conversation("console", "t"), "/alerts ack disk-full",
                                                          trigger="console")), Accepted)
        revoked = await say(bot, transcript, "/access revoke console:alice", user=ADMIN)
        assert revoked.completed and "`console:alice` no longer has: operator." in revoked.text
        refused = await say(bot, transcript, "/alerts ack disk-full")  # this process: at once
        assert refused.refused and refused.text == NEEDS_OPERATOR
        revoked_at = asyncio.get_running_loop().time()
        deadline = revoked_at + 3
        while True:
            there = await other.intake.submit(Event("console", ALICE, Conversation("console", "t"), "/alerts ack disk-full",
                                                    trigger="console"))
            if isinstance(there, Rejected) or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.1)
        assert isinstance(there, Rejected) and there.reply.plain_text() == NEEDS_OPERATOR
        assert asyncio.get_running_loop().time() - revoked_at < 1.5  # the other process's grant cache is 1 s
    nothing = await say(bot, transcript, "/access revoke console:alice", user=ADMIN)
    assert "`console:alice` has no role granted with /access" in nothing.text


async def test_access_show_of_one_person_names_who_granted_their_role(bot: Bot, transcript) -> None:
    await say(bot, transcript, "/access grant console:alice operator", user=ADMIN)
    shown = await say(bot, transcript, "/access show console:alice", user=ADMIN)
    assert shown.completed and "operator" in shown.text and "console:root" in shown.text


def refusals_counted(reason: str) -> float:
    return REGISTRY.get_sample_value("chatops_access_refused_total", {"reason": reason}) or 0.0


async def test_a_member_cannot_change_access_and_the_refusal_is_audited(bot: Bot, transcript) -> None:
    counted = refusals_counted("permission")
    tried = await say(bot, transcript, "/access grant console:alice admin")
    assert tried.refused
    assert tried.text == "`access.grant` needs the admin role. Ask an admin: `/access grant console:alice admin`"
    ja = await say(bot, transcript, "/access revoke console:root", locale="ja")
    assert ja.refused and ja.text.startswith("`access.revoke` には admin ロールが必要です。")
    audit = await say(bot, transcript, "/audit", user=ALICE)
    assert audit.refused and "`audit` needs the admin role" in audit.text
    assert refusals_counted("permission") == counted + 3
    entries = await bot.access.audit(actor=ALICE)
    assert [(e.action, e.outcome, e.place, (e.detail or {}).get("reason")) for e in entries] == [
        ("audit", "refused", "console:t", "permission"),
        ("access.revoke", "refused", "console:t", "permission"),
        ("access.grant", "refused", "console:t", "permission"),
    ]
    assert await bot.access.grants() == []  # nothing changed


async def test_audit_lists_grants_revokes_and_refusals_paged_in_english_and_japanese(bot: Bot, transcript) -> None:
    await say(bot, transcript, "/access grant console:alice operator", user=ADMIN)
    await say(bot, transcript, "/access revoke console:alice operator", user=ADMIN)
    refused = await say(bot, transcript, "/alerts ack disk-full")
    assert refused.refused
    for _ in range(13):  # enough executions to need a second page (15 a page)
        assert (await say(bot, transcript, "/help")).completed

    first = await say(bot, transcript, "/audit", user=ADMIN)
    assert first.completed
    assert "*Audit (15 entries)*" in first.text and "Older entries: `/audit 2`" in first.text
    second = await say(bot, transcript, "/audit 2", user=ADMIN)
    assert second.completed and "Older entries" not in second.text
    both = first.text + second.text
    assert re.search(r"`console:root` access\.grant → `console:alice` — done operator · console:t", both), both
    assert re.search(r"`console:root` access\.revoke → `console:alice` — done operator · console:t", both)
    assert re.search(r"`console:alice` alerts\.ack — refused \(permission\) · console:t", both)
    assert both.count("`console:alice` help #") == 13
    # one person's entries only
    alice = await say(bot, transcript, "/audit console:alice 1h", user=ADMIN)
    assert alice.completed and "alerts.ack — refused" in alice.text
    assert "access.grant" not in alice.text and "`console:root`" not in alice.text

    ja = await say(bot, transcript, "/audit", user=ADMIN, locale="ja")
    assert ja.completed and "*監査ログ（15 件）*" in ja.text and "さらに古い記録: `/audit 2`" in ja.text
    assert "Audit (" not in ja.text
    none = await say(bot, transcript, "/audit console:nobody", user=ADMIN, locale="ja")
    assert none.completed and "この期間の記録はありません。" in none.text
    bad = await say(bot, transcript, "/audit 二日", user=ADMIN)
    assert bad.row is not None and bad.row["status"] == Status.FAILED and bad.row["locale"] == "ja"


async def test_access_link_answers_a_one_time_login_url_and_a_new_one_each_time(bot: Bot, transcript) -> None:
    first = await say(bot, transcript, "/access link")
    second = await say(bot, transcript, "/access link")
    assert first.completed and second.completed
    assert "one-time login link for the dashboard (member)" in first.text
    urls = [LINK.search(s.text.strip()) for s in (first, second)]
    assert all(urls), (first.text, second.text)
    assert urls[0] is not None and urls[1] is not None and urls[0].group(1) != urls[1].group(1)


async def test_an_llm_call_is_in_the_audit_with_model_tokens_and_cost(bot: Bot, transcript) -> None:
    asked = await say(bot, transcript, "/ask what is our error budget? token=abc123", user=ADMIN)
    assert asked.completed
    [entry] = [e for e in await bot.access.audit(actor=ADMIN) if e.execution_id == asked.row["id"]]
    detail = entry.detail or {}
    assert (entry.action, entry.outcome, entry.place) == ("ask", "completed", "console:t")
    assert detail["model"] and detail["tokens_in"] > 0 and detail["tokens_out"] > 0 and detail["cost"] is not None
    assert "abc123" not in str(detail)  # a secret typed into the question is not kept in the trail
