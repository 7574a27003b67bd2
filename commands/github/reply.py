"""A reply to an `@<bot>` mention in an issue or PR conversation, using the thread (and the diff)."""
from __future__ import annotations

from commands.context import Context
from commands.github.diffs import fit
from commands.github.prompts import messages
from commands.github.review import github_errors, github_services
from commands.github.safety import fence, neutralize
from commands.messages import t
from commands.model import Reply
from commands.registry import GITHUB, Args, Command, keyed


def upsert_key(comment_id: object) -> str:
    # one reply per mentioning comment: a retried execution edits it instead of posting again
    return f"reply:{comment_id}"


async def github_reply(ctx: Context, args: Args) -> Reply:
    gh = github_services(ctx)
    repo, number, inst = args["repo"], int(args["number"]), args.get("installation")
    owner, name = repo.split("/", 1)
    is_pr = bool(args.get("is_pr"))
    issue = await gh.reader.get_issue(owner, name, number, inst)
    comments = await gh.reader.comments(owner, name, number, per_page=20, inst=inst)
    budget = gh.context_max_tokens * 4
    thread = []
    for c in reversed(comments):  # newest first until the budget is used, then back to oldest first
        if c.get("id") == args.get("comment_id"):
            continue
        line = f"@{c.get('user')}: {c.get('body', '')[:2000]}"
        if budget - len(line) < 0:
            break
        budget -= len(line)
        thread.append(line)
    thread.reverse()
    diff_section = ""
    if is_pr:
        fitted = fit(await gh.reader.pull_diff(owner, name, number, inst), gh.review_max_tokens // 2)
        omitted = "".join(f"\n(omitted: {p}: {r})" for p, r in fitted.omitted)
        diff_section = f"\nDiff of the pull request:\n{fence('diff', fitted.text + omitted)}\n"
    llm = ctx.llm()
    result = await llm.complete(messages(
        "reply", kind="pull request" if is_pr else "issue", kind_title="Pull request" if is_pr else "Issue",
        repo=repo, number=number, title=fence("title", issue.get("title") or ""),
        body=fence("description", (issue.get("body") or "")[:4000]), comments=fence("comments", "\n\n".join(thread) or "(none)"),
        diff_section=diff_section, asker=args.get("asker") or "someone", question=fence("question", args.get("question") or ""),
    ), meta=ctx.llm_meta(COMMAND.priority, repo=repo))
    ctx.usage.add(result.provider, result.model, result.tokens_in, result.tokens_out, result.cost)
    asker = args.get("asker")
    prefix = f"@{asker} " if asker else ""  # the one mention the bot makes: the person who asked
    answer = neutralize(result.text.strip()) or t("empty_answer", ctx.locale)
    return Reply.text(prefix + answer, upsert_key=upsert_key(args.get("comment_id")))


COMMAND = Command(
    name="github-reply", help="Answer an @mention in a GitHub thread (webhook).", handler=github_errors(github_reply),
    deadline=300.0,
    hidden=True,
    args=keyed(required=("repo", "number"), optional=("installation", "is_pr", "comment_id", "asker", "question")),
    priority=GITHUB,
)
