"""Issue triage: a summary, labels chosen from the repository's own labels, likely duplicates among
recent open issues. Labels are suggested, never applied: text in an issue cannot make the bot act."""
from __future__ import annotations

import re

from commands.context import Context
from commands.github.findings import parse_json
from commands.github.prompts import messages
from commands.github.review import github_errors, github_services
from commands.github.safety import fence, neutralize
from commands.messages import t
from commands.model import Reply, Section
from commands.registry import GITHUB, Args, Command, keyed

UPSERT_KEY = "triage"  # one triage comment per issue: a retried execution edits it
_WORD = re.compile(r"[a-z0-9]{3,}")


def similar(a: str, b: str) -> float:
    """Jaccard similarity of title words: the fallback duplicate check when the model does not answer JSON."""
    wa, wb = set(_WORD.findall(a.lower())), set(_WORD.findall(b.lower()))
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


async def github_triage(ctx: Context, args: Args) -> Reply:
    gh = github_services(ctx)
    repo, number, inst = args["repo"], int(args["number"]), args.get("installation")
    owner, name = repo.split("/", 1)
    issue = await gh.reader.get_issue(owner, name, number, inst)
    labels = [lb["name"] for lb in await gh.reader.labels(owner, name, inst) if lb.get("name")]
    page = await gh.reader.list_issues(owner, name, state="open", per_page=50, inst=inst)
    candidates = [i for i in page.items if i["number"] != number][:40]
    llm = ctx.llm()
    listing = "\n".join(f"{i['number']}: {i['title']}" for i in candidates) or "(none)"
    result = await llm.complete(messages(
        "triage", repo=repo, labels=", ".join(labels) or "(none)", number=number,
        title=fence("title", issue.get("title") or ""), body=fence("body", (issue.get("body") or "")[:6000]),
        candidates=fence("open_issues", listing),
    ), meta=ctx.llm_meta(COMMAND.priority, repo=repo))
    ctx.usage.add(result.provider, result.model, result.tokens_in, result.tokens_out, result.cost)
    data = parse_json(result.text)
    by_lower = {lb.lower(): lb for lb in labels}
    known = {i["number"]: i for i in candidates}
    if data is not None:
        summary = neutralize(str(data.get("summary") or "").strip())
        chosen = [by_lower[str(x).lower()] for x in data.get("labels") or [] if str(x).lower() in by_lower]
        dups = [int(x) for x in data.get("duplicates") or [] if str(x).isdigit() and int(x) in known]
    else:
        summary = neutralize(result.text.strip())
        chosen = []
        dups = [n for n, i in known.items() if similar(i["title"], issue.get("title") or "") >= 0.5]
    chosen = list(dict.fromkeys(chosen))
    dup_lines = "\n".join(f"- #{n} {neutralize(known[n]['title'])}" for n in dict.fromkeys(dups)) or t("github.none", ctx.locale)
    label_text = ", ".join(f"`{neutralize(lb)}`" for lb in chosen) or t("github.none", ctx.locale)
    return Reply(
        sections=[
            Section(summary or t("empty_answer", ctx.locale), title=f"🤖 {t('github.triage_title', ctx.locale)}"),
            Section(f"{label_text}\n_{t('github.labels_note', ctx.locale)}_", title=t("github.suggested_labels", ctx.locale)),
            Section(dup_lines, title=t("github.duplicates", ctx.locale)),
        ],
        upsert_key=UPSERT_KEY,
    )


COMMAND = Command(
    name="github-triage", help="Triage a new issue (GitHub webhook).", handler=github_errors(github_triage),
    hidden=True,
    args=keyed(required=("repo", "number"), optional=("installation",)), priority=GITHUB,
)
