"""`GET /api/audit`: the audit trail for admins' tools (the web auth lets only the admin role reach it).

Query: `actor` (an identity), `since` (24h, 7d, …; default 24h), `before` (a timestamp, for the next
page), `limit` (1–500, default 100). The answer names the `before` of the next page, or null.
"""
from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.storage.access import AccessStore
from commands.access.commands import parse_window
from commands.errors import UserError

MAX_LIMIT = 500


def audit_routes(store: AccessStore) -> list[BaseRoute]:
    async def audit(request: Request) -> Response:
        q = request.query_params
        try:
            since = time.time() - parse_window(q.get("since", "24h"), "en")
            before = float(q["before"]) if "before" in q else None
            limit = int(q.get("limit", "100"))
        except (UserError, ValueError) as e:
            return JSONResponse({"error": f"since is like 24h or 7d; before a timestamp; limit a number ({e})"},
                                status_code=400)
        if not 1 <= limit <= MAX_LIMIT:
            return JSONResponse({"error": f"limit is 1 to {MAX_LIMIT}"}, status_code=400)
        entries = await store.audit(actor=q.get("actor") or None, since=since, before=before, limit=limit)
        return JSONResponse({"entries": [e.as_json() for e in entries],
                             "next_before": entries[-1].at if len(entries) == limit else None})

    return [Route("/api/audit", audit)]
