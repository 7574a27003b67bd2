"""Reply.upsert_key: handlers name the one message of a kind, the GitHub outbound turns the name into its
hidden marker and edits its own comment instead of posting another."""
from __future__ import annotations

from bot.adapters.github.inbound import is_bot_comment
from bot.adapters.github.outbound import MAX_COMMENT, GitHubOutbound, render_markdown
from commands.model import Conversation, Reply, Section
from providers.github.client import GitHubClient
from tests.fakes.github import FakeGitHub

WHERE = Conversation("github", "octo/app", "5")


def test_the_key_survives_the_stored_json_and_an_old_stored_reply_reads_without_one() -> None:
    reply = Reply(sections=[Section("review")], footer="https://github.com/octo/app/pull/5", upsert_key="review")
    assert Reply.from_json(reply.to_json()) == reply
    old = reply.to_json()
    del old["upsert_key"]
    assert Reply.from_json(old).upsert_key is None


def test_the_key_is_rendered_as_the_same_hidden_marker_as_before() -> None:
    body = render_markdown(Reply(sections=[Section("LGTM", title="Summary")], footer="https://x/pull/5", upsert_key="review"))
    assert body == "### Summary\nLGTM\n\n<sub>https://x/pull/5</sub>\n\n<!-- chatops:review -->"
    assert render_markdown(Reply.text("hi", upsert_key="reply:492700400")).endswith("<!-- chatops:reply:492700400 -->")
    # a key cannot close the HTML comment or smuggle text into the thread
    assert render_markdown(Reply.text("hi", upsert_key="x --> @everyone")).endswith("<!-- chatops:x------everyone -->")
    # no key, no marker
    assert "<!--" not in render_markdown(Reply.text("hi", footer="plain"))


def test_a_body_over_githubs_limit_is_cut_and_still_ends_with_its_marker() -> None:
    body = render_markdown(Reply.text("x" * (MAX_COMMENT + 500), upsert_key="triage"))
    assert len(body) <= MAX_COMMENT and "truncated" in body and body.endswith("<!-- chatops:triage -->")


async def test_posting_a_keyed_reply_twice_edits_one_comment_and_other_keys_get_their_own() -> None:
    async with FakeGitHub() as fake:
        fake.repo("octo/app").add_issue(5, "flaky test")
        outbound = GitHubOutbound(GitHubClient(fake.url, token="ghp_test"))
        first = await outbound.post(WHERE, Reply.text("first round", upsert_key="review"))
        again = await outbound.post(WHERE, Reply.text("second round", upsert_key="review"))
        other = await outbound.post(WHERE, Reply.text("labels", upsert_key="triage"))
        plain = await outbound.post(WHERE, Reply.text("no key"))
        unkeyed = await outbound.post(WHERE, Reply.text("no key"))
    comments = {str(c["id"]): c for c in fake.bot_comments("octo/app", 5)}
    assert first == again and len({first, other, plain, unkeyed}) == 4 and set(comments) == {first, other, plain, unkeyed}
    assert comments[first]["body"].startswith("second round") and comments[first]["updated"] == 1
    # the bot's keyed comments come back as webhooks: still recognised as the bot's, whoever the author looks like
    assert is_bot_comment({"user": {"login": "someone", "type": "User"}, "body": comments[other]["body"]}, "chatops-bot")
