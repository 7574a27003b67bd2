"""/review <PR URL> [--post]: the webhook's PR review, run from chat; with --post also on the PR."""
from __future__ import annotations

import re

from commands.context import Context
from commands.errors import UserError
from commands.github.review import UPSERT_KEY, github_errors, github_services, run_review
from commands.messages import t
from commands.model import Conversation, Reply
from commands.registry import Arg, Args, Command, Option

_URL = re.compile(r"^(?:https?://[^/]+/)?([\w.-]+)/([\w.-]+)/pulls?/(\d+)(?:[/?#].*)?$")
_SHORT = re.compile(r"^([\w.-]+)/([\w.-]+)#(\d+)$")


def parse_pr(ref: str) -> tuple[str, int]:
    """'https://github.com/o/r/pull/3' or 'o/r#3' → ('o/r', 3)."""
    ref = ref.strip().strip("<>")
    m = _URL.match(ref) or _SHORT.match(ref)
    if not m:
        raise UserError(t("github.bad_pr_url", "en", url=ref))
    return f"{m.group(1)}/{m.group(2)}", int(m.group(3))


async def review_command(ctx: Context, args: Args) -> Reply:
    repo, number = parse_pr(args["pr"])
    post = bool(args.get("post"))
    # GITHUB_ALLOWED_REPOS and per-repository rules: checked before GitHub is asked anything about the PR
    ctx.require("review.post" if post else "review", repo=repo)
    gh = github_services(ctx)
    if post and gh.poster is None:
        raise UserError(t("github.no_github", ctx.locale))
    # the chat copy is a message of its own; the PR copy is the one upserted comment (and updates the state).
    # Somebody waits in chat: the LLM call queues at this command's (interactive) priority, charged to
    # the asker, the chat channel and the PR's repository.
    outcome = await run_review(ctx, repo, number, priority=COMMAND.priority, force=True, save=post, upsert_key=None)
    reply = outcome.reply
    if post:
        pr_copy = Reply(sections=reply.sections, footer=reply.footer, upsert_key=UPSERT_KEY)
        assert gh.poster is not None
        await gh.poster.post(Conversation("github", repo, str(number)), pr_copy)
        reply.footer = t("github.posted", ctx.locale, url=reply.footer or f"{repo}#{number}")
    return reply


COMMAND = Command(
    name="review",
    deadline=600.0,  # a large diff through the LLM
    uses_llm=True,
    help=t("help.review"),
    handler=github_errors(review_command),
    args=(Arg("pr", t("help.review.pr")),),
    options=(Option("post", t("help.review.post"), flag=True),),
    checks_repo=True,  # review_command requires `review[.post]` on the PR's repository
)
