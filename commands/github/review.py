"""The PR review shared by the webhook handler and `/review`: full or incremental, deduplicated,
budgeted, rendered as ONE comment per PR (the reply's upsert key; the GitHub outbound edits its own
comment with that key instead of posting another)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from commands.context import Context
from commands.errors import TryLater, UserError
from commands.github.diffs import fit
from commands.github.findings import location, parse_review
from commands.github.locks import KeyedLocks
from commands.github.prompts import messages
from commands.github.safety import fence
from commands.github.service import GitHubServices
from commands.llm import alias_or_default, pool_refusals
from commands.messages import t
from commands.model import Reply, Section
from commands.registry import GITHUB, Args, Command, Handler, keyed
from providers import GitHubError

UPSERT_KEY = "review"  # the outbound's hidden marker `<!-- chatops:review -->`: one review comment per PR
_PR_LOCKS = KeyedLocks()  # one review of a PR at a time in this process


def github_errors(handler: Handler) -> Handler:
    """GitHub failures and pool refusals (a budget, a full queue) reach the user as one clear line (a
    UserError), not as an internal error; a transient one (TryLater) is first retried by the worker when
    nobody is waiting for the answer."""

    @functools.wraps(handler)
    async def wrapped(ctx: Context, args: Args) -> Reply:
        try:
            with pool_refusals(ctx.locale):
                return await handler(ctx, args)
        except GitHubError as e:
            error = TryLater if e.transient else UserError
            raise error(t("github.github_failed", ctx.locale, error=e.message)) from None

    return wrapped


def github_services(ctx: Context) -> GitHubServices:
    gh = ctx.services.github
    if gh is None:
        raise UserError(t("github.no_github", ctx.locale))
    return gh


@dataclass(slots=True)
class ReviewOutcome:
    reply: Reply
    head_sha: str
    skipped: bool  # head already reviewed: rendered from the stored state, no LLM call


async def run_review(
    ctx: Context, repo: str, number: int, *, priority: int, inst: int | None = None, force: bool = False,
    save: bool = True, upsert_key: str | None = UPSERT_KEY,
) -> ReviewOutcome:
    """`priority` is the pool's for the LLM call (the webhook's GITHUB, or the chat command's own)."""
    async with _PR_LOCKS.hold(f"{repo.lower()}#{number}"):
        return await _review(ctx, repo, number, priority=priority, inst=inst, force=force, save=save, upsert_key=upsert_key)


async def _review(
    ctx: Context, repo: str, number: int, *, priority: int, inst: int | None, force: bool, save: bool,
    upsert_key: str | None,
) -> ReviewOutcome:
    gh = github_services(ctx)
    owner, name = repo.split("/", 1)
    pr = await gh.reader.get_pull(owner, name, number, inst)
    head = pr.get("head_sha") or ""
    state = await gh.state.get_review(repo, number)
    earlier: list[dict[str, Any]] = list(state["findings"]) if state else []
    if state and state["head_sha"] == head and not force:
        return ReviewOutcome(render(ctx.locale, state["notes"], [], earlier, upsert_key, pr), head, True)

    base = state["head_sha"] if state else None
    scope = t("github.review_scope_full", ctx.locale, sha=head[:7])
    diff: str | None = None
    if base and base != head:
        try:
            cmp = await gh.reader.compare(owner, name, base, head, inst)
        except Exception:  # the old head is gone (force-push): the compare 404s
            cmp = None
        if cmp and cmp.get("status") == "ahead":
            diff, scope = cmp["diff"], t("github.review_scope_incremental", ctx.locale, base=base[:7], sha=head[:7])
        else:
            scope = t("github.review_scope_forced", ctx.locale, base=base[:7], sha=head[:7])
    if diff is None:
        diff = await gh.reader.pull_diff(owner, name, number, inst)

    fitted = fit(diff, gh.review_max_tokens)
    new: list[dict[str, Any]] = []
    if not fitted.text.strip():
        summary = t("github.empty_diff", ctx.locale)
    else:
        llm = ctx.llm()
        raised = "\n".join(f"- {location(f)}{f['text']}" for f in earlier) or "(none)"
        prompt = messages(
            "review", repo=repo, number=number, title=fence("title", pr.get("title") or ""), scope=scope,
            body=fence("description", (pr.get("body") or "")[:4000]), raised=fence("raised", raised),
            diff=fence("diff", fitted.text),
        )
        meta = ctx.llm_meta(priority, repo=repo)
        result = await llm.complete(prompt, model=alias_or_default(llm, "review"), meta=meta)
        ctx.usage.add(result.provider, result.model, result.tokens_in, result.tokens_out, result.cost)
        parsed = parse_review(result.text)
        summary = parsed.summary
        known = {f["fp"] for f in earlier}
        for f in parsed.findings:
            if f["fp"] not in known:
                known.add(f["fp"])
                new.append({**f, "sha": head[:7]})
    notes = {"summary": summary, "scope": scope, "omitted": [list(o) for o in fitted.omitted], "head": head}
    if save:
        await gh.state.save_review(repo, number, head, earlier + new, notes)
    return ReviewOutcome(render(ctx.locale, notes, new, earlier, upsert_key, pr), head, False)


def render(locale: str, notes: dict[str, Any], new: list[dict[str, Any]], earlier: list[dict[str, Any]],
           upsert_key: str | None, pr: dict[str, Any]) -> Reply:
    sections = [Section(f"_{notes.get('scope', '')}_", title=f"🤖 {t('github.review_title', locale)}"),
                Section(notes.get("summary") or "", title=t("github.summary", locale))]
    risks = [f for f in new if f["kind"] == "risk"]
    suggestions = [f for f in new if f["kind"] == "suggestion"]
    if risks:
        sections.append(Section("\n".join(f"- {f['text']}" for f in risks), title=t("github.risks", locale)))
    if suggestions:
        sections.append(
            Section("\n".join(f"- {location(f)}{f['text']}" for f in suggestions), title=t("github.suggestions", locale))
        )
    if not new:
        sections.append(Section(t("github.nothing_new", locale)))
    if earlier:
        items = "\n".join(f"- {location(f)}{f['text']} ({f.get('sha', '')})" for f in earlier)
        summary = f"{t('github.earlier', locale)} ({len(earlier)})"
        sections.append(Section(f"<details><summary>{summary}</summary>\n\n{items}\n</details>"))
    omitted = notes.get("omitted") or []
    if omitted:
        items = "\n".join(f"- `{path}`: {reason}" for path, reason in omitted)
        sections.append(Section(f"{t('github.omitted_note', locale)}\n{items}", title=f"⚠️ {t('github.omitted', locale)}"))
    return Reply(sections=sections, footer=pr.get("html_url") or None, in_thread=True, upsert_key=upsert_key)


async def github_review(ctx: Context, args: Args) -> Reply:
    """Webhook: pull_request opened/reopened/ready_for_review/synchronize, or labeled for review."""
    outcome = await run_review(ctx, args["repo"], int(args["number"]), priority=COMMAND.priority, inst=args.get("installation"))
    return outcome.reply


COMMAND = Command(
    name="github-review", help="Review a pull request (GitHub webhook).", handler=github_errors(github_review),
    deadline=600.0,
    hidden=True,
    args=keyed(required=("repo", "number"), optional=("installation", "action", "head_sha", "before", "after")), priority=GITHUB,
)
