"""A small Shopify Admin REST client (httpx) that honours Shopify's leaky-bucket rate limit.

Every answer carries `X-Shopify-Shop-Api-Call-Limit: used/size`; when the bucket is nearly full the
client waits for it to drain (2 requests per second on standard plans) before the next request. A 429
waits `Retry-After` seconds and retries, a bounded number of times. httpx errors become ToolFailures
here, in one place.
"""
from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx

from providers.result import NOT_FOUND, RATE_LIMITED, UNAUTHORIZED, UNREACHABLE, UPSTREAM_ERROR, ToolFailure

LEAK_PER_SECOND = 2.0
HEADROOM = 2  # requests kept free in the bucket
MAX_RETRIES = 4
MAX_WAIT = 30.0
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')
_PAGE_INFO = re.compile(r"[?&]page_info=([^&]+)")


def admin_base_url(shop: str, version: str, override: str | None) -> str:
    if override:
        root = override.rstrip("/")
    else:
        domain = shop if "." in shop else f"{shop}.myshopify.com"
        root = f"https://{domain}"
    return f"{root}/admin/api/{version}/"


class ShopifyAPI:
    def __init__(
        self, base_url: str, token: str, *, timeout: float = 30.0, transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, transport=transport,
            headers={"X-Shopify-Access-Token": token, "Accept": "application/json", "User-Agent": "chatops-bot"},
        )
        self._resume_at = 0.0  # monotonic time before which no request is sent
        self.waited_s = 0.0  # total time spent waiting for the bucket (reported by tests and benches)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _pause(self, seconds: float) -> None:
        seconds = min(max(seconds, 0.0), MAX_WAIT)
        self.waited_s += seconds
        await asyncio.sleep(seconds)

    def _note_bucket(self, header: str | None) -> None:
        if not header or "/" not in header:
            return
        try:
            used, size = (int(x) for x in header.split("/", 1))
        except ValueError:
            return
        over = used - (size - HEADROOM)
        if over >= 0:
            self._resume_at = max(self._resume_at, time.monotonic() + (over + 1) / LEAK_PER_SECOND)

    async def get(self, path: str, params: dict[str, Any] | None = None) -> tuple[dict[str, Any], str | None]:
        """GET a JSON resource; returns (body, next page_info or None)."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        for attempt in range(MAX_RETRIES + 1):
            wait = self._resume_at - time.monotonic()
            if wait > 0:
                await self._pause(wait)
            try:
                r = await self._http.get(path, params=clean)
            except httpx.TimeoutException:
                raise ToolFailure(UNREACHABLE, "Shopify did not answer in time") from None
            except httpx.HTTPError as e:
                raise ToolFailure(UNREACHABLE, f"Shopify is unreachable: {type(e).__name__}") from None
            self._note_bucket(r.headers.get("X-Shopify-Shop-Api-Call-Limit"))
            if r.status_code == 429:
                if attempt == MAX_RETRIES:
                    break
                try:
                    retry_after = float(r.headers.get("Retry-After", "2"))
                except ValueError:
                    retry_after = 2.0
                await self._pause(retry_after)
                continue
            if r.status_code in (401, 403):
                raise ToolFailure(
                    UNAUTHORIZED, f"Shopify refused the token ({r.status_code}); check SHOPIFY_TOKEN and its scopes",
                )
            if r.status_code == 404:
                raise ToolFailure(NOT_FOUND, f"Shopify has no {path.removesuffix('.json')}")
            if r.status_code >= 400:
                raise ToolFailure(UPSTREAM_ERROR, f"Shopify answered {r.status_code}: {_error_text(r)}")
            try:
                body = r.json()
            except ValueError:
                raise ToolFailure(UPSTREAM_ERROR, "Shopify answered with something that is not JSON") from None
            return body, _next_page_info(r.headers.get("Link"))
        raise ToolFailure(RATE_LIMITED, f"Shopify kept answering 429 after {MAX_RETRIES} retries")


def _next_page_info(link: str | None) -> str | None:
    if not link:
        return None
    m = _NEXT.search(link)
    if not m:
        return None
    p = _PAGE_INFO.search(m.group(1))
    return httpx.URL(f"?page_info={p.group(1)}").params.get("page_info") if p else None


def _error_text(r: httpx.Response) -> str:
    try:
        errors = r.json().get("errors")
    except (ValueError, AttributeError):
        return r.text[:200]
    return str(errors)[:200]
