"""Webhook translation: the dispatch table, mentions, loops, routes, and signature checks."""
from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.adapters.github.inbound import Ignored, InboundConfig, is_bot_comment, mentions, translate
from bot.adapters.github.settings import parse_routes
from bot.adapters.github.webhook import signature_ok
from commands.model import Conversation


def test_signature_check_matches_githubs_documented_vector() -> None:
    secret, body = b"It's a Secret to Everybody", b"Hello, World!"
    good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature_ok(secret, body, good)
    assert not signature_ok(secret, body + b"!", good)
    assert not signature_ok(secret, body, None) and not signature_ok(secret, body, "sha1=" + "0" * 40)
    assert signature_ok(secret, body, "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest())


@pytest.mark.parametrize(("body", "hit"), [
    ("@bot please look", True), ("hey @Bot.", True), ("(@bot)", True), ("cc @bot-other", False),
    ("mail me@bot.com", False), ("`@bot` in code", False), ("@robot", False), ("x/@bot", False),
])
def test_mentions_match_the_handle_as_a_word(body: str, hit: bool) -> None:
    assert mentions(body, "bot") is hit


def test_bots_and_marked_comments_never_trigger() -> None:
    assert is_bot_comment({"user": {"login": "dependabot[bot]", "type": "Bot"}, "body": "@bot"}, "bot")
    assert is_bot_comment({"user": {"login": "bot", "type": "User"}, "body": "@bot"}, "bot")
    assert is_bot_comment({"user": {"login": "human", "type": "User"}, "body": "x <!-- chatops:review -->"}, "bot")
    assert not is_bot_comment({"user": {"login": "human", "type": "User"}, "body": "@bot hi"}, "bot")


def test_routes_pick_the_repository_then_the_wildcard_then_the_default() -> None:
    cfg = InboundConfig(routes=parse_routes("Org/Repo=slack:C1,discord:2;*=console"))
    assert cfg.targets("org/repo") == [Conversation("slack", "C1"), Conversation("discord", "2")]
    assert cfg.targets("other/x") == [Conversation("console", "stdout")]
    assert InboundConfig().targets("a/b") == [Conversation("console", "stdout")]
    with pytest.raises(ValueError, match="GITHUB_ROUTES"):
        parse_routes("not-a-route")
    with pytest.raises(ValueError, match="unknown platform"):
        parse_routes("o/r=irc:1")


def test_unknown_events_and_odd_shapes_are_ignored_not_errors() -> None:
    assert isinstance(translate("star", {}, InboundConfig()), Ignored)
    assert isinstance(translate("pull_request", {"action": "opened", "pull_request": {"number": "x"}}, InboundConfig()), Ignored)
    jobs = translate("push", {"ref": "refs/heads/main", "repository": {"full_name": "o/r", "default_branch": "main"},
                              "commits": [{"id": "abcdef123", "message": "fix\n\nbody", "author": {"name": "A"}}] * 12,
                              "compare": "https://x"}, InboundConfig())
    assert not isinstance(jobs, Ignored)
    assert jobs[0].args["count"] == 12 and len(jobs[0].args["items"]) == 10 and jobs[0].args["more"] == 2
