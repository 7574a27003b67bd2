"""Webhook payload → jobs for the worker: a dispatch table on (event, action) whose default is "ignore".

Reads only what routing and the handlers need (`envelope.decode`: no strict model validation on the
request path); the raw body is kept byte-exact in the delivery row for audit.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from commands.model import Conversation

Payload = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Job:
    kind: str  # the hidden command that handles it
    conversation: Conversation
    args: dict[str, Any]
    text: str


@dataclass(frozen=True, slots=True)
class Ignored:
    reason: str


@dataclass(frozen=True, slots=True)
class InboundConfig:
    review_label: str = "bot:review"
    handle: str | None = None  # login people @mention, without the "@"
    routes: dict[str, list[Conversation]] = field(default_factory=dict)
    default_targets: tuple[Conversation, ...] = (Conversation("console", "stdout"),)

    def targets(self, repo: str) -> list[Conversation]:
        return self.routes.get(repo.lower()) or self.routes.get("*") or list(self.default_targets)


def _repo(p: Payload) -> str:
    return str((p.get("repository") or {}).get("full_name") or "")


def _login(u: Any) -> str:
    return str(u.get("login") or "") if isinstance(u, dict) else ""


def _inst(p: Payload) -> int | None:
    inst = p.get("installation")
    return int(inst["id"]) if isinstance(inst, dict) and isinstance(inst.get("id"), int) else None


def _thread(repo: str, number: int) -> Conversation:
    return Conversation("github", repo, str(number))


def _review(p: Payload, repo: str, pr: Payload, why: str) -> list[Job]:
    n = int(pr["number"])
    args = {"repo": repo, "number": n, "installation": _inst(p), "action": p.get("action"),
            "head_sha": (pr.get("head") or {}).get("sha"), "before": p.get("before"), "after": p.get("after")}
    return [Job("github-review", _thread(repo, n), args, f"review {repo}#{n} ({why})")]


def _notify(cfg: InboundConfig, repo: str, args: dict[str, Any], text: str) -> list[Job]:
    return [Job("github-notify", target, {"repo": repo, **args}, text) for target in cfg.targets(repo)]


def pull_request(p: Payload, cfg: InboundConfig) -> list[Job] | Ignored:
    repo, pr, action = _repo(p), p.get("pull_request") or {}, p.get("action")
    if "number" not in pr:
        return Ignored("no pull_request in the payload")
    if action in ("opened", "reopened", "ready_for_review", "synchronize"):
        if pr.get("draft"):
            return Ignored("draft: the review waits for ready_for_review")
        return _review(p, repo, pr, str(action))
    if action == "labeled" and _label(p) == cfg.review_label.lower():
        return _review(p, repo, pr, f"label {cfg.review_label}")
    if action == "closed" and pr.get("merged"):
        return _notify(cfg, repo, {
            "kind": "merged", "number": pr["number"], "title": pr.get("title") or "", "url": pr.get("html_url"),
            "actor": _login(pr.get("merged_by")) or _login(p.get("sender")), "base": (pr.get("base") or {}).get("ref"),
        }, f"merged {repo}#{pr['number']}")
    return Ignored(f"pull_request.{action} needs nothing")


def issues(p: Payload, cfg: InboundConfig) -> list[Job] | Ignored:
    repo, issue, action = _repo(p), p.get("issue") or {}, p.get("action")
    if "number" not in issue:
        return Ignored("no issue in the payload")
    triage = action == "opened" or (action == "labeled" and _label(p) == cfg.review_label.lower())
    if not triage:
        return Ignored(f"issues.{action} needs nothing")
    n = int(issue["number"])
    return [Job("github-triage", _thread(repo, n), {"repo": repo, "number": n, "installation": _inst(p)}, f"triage {repo}#{n}")]


def is_bot_comment(comment: Payload, handle: str | None) -> bool:
    """Bots (this one included) never trigger a reply: no loops, whatever the comment says."""
    user = comment.get("user") or {}
    login = _login(user).lower()
    return (
        user.get("type") == "Bot"
        or login.endswith("[bot]")
        or (handle is not None and login in (handle.lower(), f"{handle.lower()}[bot]"))
        or "<!-- chatops:" in (comment.get("body") or "")
    )


def mentions(body: str, handle: str) -> bool:
    return re.search(rf"(?<![\w@/`])@{re.escape(handle)}(?![\w-])", body, re.IGNORECASE) is not None


def issue_comment(p: Payload, cfg: InboundConfig) -> list[Job] | Ignored:
    if p.get("action") != "created":
        return Ignored(f"issue_comment.{p.get('action')} needs nothing")
    comment, issue, repo = p.get("comment") or {}, p.get("issue") or {}, _repo(p)
    if is_bot_comment(comment, cfg.handle):
        return Ignored("comment by a bot")
    body = comment.get("body") or ""
    if cfg.handle is None or not mentions(body, cfg.handle):
        return Ignored("the bot is not mentioned")
    n = int(issue["number"])
    args = {"repo": repo, "number": n, "installation": _inst(p), "is_pr": bool(issue.get("pull_request")),
            "comment_id": comment.get("id"), "asker": _login(comment.get("user")), "question": body[:8000]}
    return [Job("github-reply", _thread(repo, n), args, f"mention in {repo}#{n}")]


def pull_request_review(p: Payload, cfg: InboundConfig) -> list[Job] | Ignored:
    review, pr, repo = p.get("review") or {}, p.get("pull_request") or {}, _repo(p)
    state = str(review.get("state") or "").lower()
    if p.get("action") != "submitted" or state not in ("approved", "changes_requested"):
        return Ignored(f"review {state or p.get('action')} needs nothing")
    return _notify(cfg, repo, {
        "kind": state, "number": pr.get("number"), "title": pr.get("title") or "", "actor": _login(review.get("user")),
        "url": review.get("html_url") or pr.get("html_url"), "excerpt": (review.get("body") or "")[:500],
    }, f"review {state} {repo}#{pr.get('number')}")


def push(p: Payload, cfg: InboundConfig) -> list[Job] | Ignored:
    repo, ref = _repo(p), str(p.get("ref") or "")
    actor = _login(p.get("sender")) or str((p.get("pusher") or {}).get("name") or "")
    if p.get("deleted"):
        return Ignored("deletion of a branch or tag")
    if ref.startswith("refs/tags/"):
        if not p.get("created"):
            return Ignored("tag moved")
        return _notify(cfg, repo, {"kind": "tag", "tag": ref.removeprefix("refs/tags/"), "actor": actor,
                                   "url": (p.get("repository") or {}).get("html_url")}, f"tag in {repo}")
    default = (p.get("repository") or {}).get("default_branch") or (p.get("repository") or {}).get("master_branch")
    branch = ref.removeprefix("refs/heads/")
    if branch != default:
        return Ignored(f"push to {branch}, not the default branch")
    commits = p.get("commits") or []
    items = [
        f"`{str(c.get('id', ''))[:7]}` {str(c.get('message', '')).splitlines()[0] if c.get('message') else ''}"
        f" ({(c.get('author') or {}).get('username') or (c.get('author') or {}).get('name') or '?'})"
        for c in commits[:10]
    ]
    authors = sorted({(c.get("author") or {}).get("username") or (c.get("author") or {}).get("name") or "?" for c in commits})
    return _notify(cfg, repo, {
        "kind": "branch_created" if p.get("created") else "push", "branch": branch, "count": len(commits),
        "actor": actor, "authors": authors, "items": items, "more": max(0, len(commits) - 10), "url": p.get("compare"),
    }, f"push to {repo}:{branch}")


def _label(p: Payload) -> str:
    return str((p.get("label") or {}).get("name") or "").lower()


HANDLERS: dict[str, Callable[[Payload, InboundConfig], list[Job] | Ignored]] = {
    "pull_request": pull_request,
    "issues": issues,
    "issue_comment": issue_comment,
    "pull_request_review": pull_request_review,
    "push": push,
}


def translate(event: str, payload: Payload, cfg: InboundConfig) -> list[Job] | Ignored:
    handler = HANDLERS.get(event)
    if handler is None:
        return Ignored(f"event {event!r} is not handled")
    try:
        return handler(payload, cfg)
    except (KeyError, TypeError, ValueError) as e:  # a payload of an unexpected shape is ignored, not a 500
        return Ignored(f"{event}: unexpected payload shape ({type(e).__name__}: {e})")
