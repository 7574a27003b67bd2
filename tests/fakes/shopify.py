"""A fake Shopify Admin REST API on 127.0.0.1: products, orders, customers, cursor pagination (Link
headers with page_info), token check, and the leaky-bucket rate limit (X-Shopify-Shop-Api-Call-Limit,
429 + Retry-After when the bucket is full)."""
from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.serve import serve_local

TOKEN = "shpat_test_token"


def _products() -> list[dict[str, Any]]:
    out = []
    for i in range(1, 8):
        out.append({
            "id": 1000 + i, "title": f"Product {i}", "status": "active" if i % 3 else "draft",
            "vendor": "Acme" if i % 2 else "Globex", "product_type": "Widget", "created_at": f"2026-10-0{i}T10:00:00+09:00",
            "updated_at": f"2026-11-0{i}T10:00:00+09:00", "body_html": f"<p>Widget {i}</p>",
            "variants": [
                {"id": 5000 + i * 10 + k, "title": f"Size {k}", "sku": f"SKU-{i}-{k}", "price": f"{10 * i + k}.00",
                 "inventory_quantity": (i * 3 + k) % 9, "inventory_item_id": 9000 + i * 10 + k}
                for k in range(2)
            ],
        })
    return out


def _orders() -> list[dict[str, Any]]:
    out = []
    for i in range(1, 31):
        day = 1 + (i - 1) // 5
        out.append({
            "id": 7000 + i, "name": f"#{1000 + i}", "created_at": f"2026-11-{day:02d}T12:00:00+09:00",
            "financial_status": "paid" if i % 4 else "pending", "fulfillment_status": None if i % 2 else "fulfilled",
            "currency": "JPY", "total_price": f"{1000 * (i % 5 + 1)}.00", "cancelled_at": "2026-11-20T00:00:00+09:00" if i % 10 == 0 else None,
            "customer": {"email": f"c{i % 5}@example.com"},
            "line_items": [{"title": f"Product {(i % 3) + 1}", "product_id": 1001 + i % 3, "quantity": 1 + i % 2}],
        })
    return out


def _customers() -> list[dict[str, Any]]:
    return [{"id": 300 + i, "email": f"c{i}@example.com", "first_name": f"First{i}", "last_name": "Doe",
             "orders_count": i, "total_spent": f"{i * 1000}.00", "created_at": "2026-01-01T00:00:00Z"} for i in range(5)]


@dataclass
class FakeShopify:
    bucket_size: int = 40
    leak_per_second: float = 2.0
    retry_after: str = "1.0"
    force_429: int = 0  # answer this many next requests with 429 regardless of the bucket
    products: list[dict[str, Any]] = field(default_factory=_products)
    orders: list[dict[str, Any]] = field(default_factory=_orders)
    customers: list[dict[str, Any]] = field(default_factory=_customers)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    throttled: int = 0
    url: str = ""
    _level: float = 0.0
    _last: float = field(default_factory=time.monotonic)
    _runner: web.AppRunner | None = None

    async def __aenter__(self) -> FakeShopify:
        app = web.Application()
        app.router.add_get("/admin/api/{version}/{resource}.json", self._list)
        app.router.add_get("/admin/api/{version}/customers/search.json", self._search)
        app.router.add_get("/admin/api/{version}/{resource}/{id}.json", self._one)
        self._runner, self.url = await serve_local(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- the gate every request passes -------------------------------------------------------------
    def _gate(self, request: web.Request) -> web.Response | None:
        self.requests.append((request.path, dict(request.query)))
        if request.headers.get("X-Shopify-Access-Token") != TOKEN:
            return web.json_response({"errors": "[API] Invalid API key or access token"}, status=401)
        now = time.monotonic()
        self._level = max(0.0, self._level - (now - self._last) * self.leak_per_second)
        self._last = now
        if self.force_429 > 0 or self._level + 1 > self.bucket_size:
            self.force_429 = max(0, self.force_429 - 1)
            self.throttled += 1
            return web.json_response({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."},
                                     status=429, headers={"Retry-After": self.retry_after})
        self._level += 1
        return None

    def _limit_header(self) -> dict[str, str]:
        return {"X-Shopify-Shop-Api-Call-Limit": f"{int(round(self._level))}/{self.bucket_size}"}

    def _page(self, request: web.Request, items: list[dict[str, Any]], key: str) -> web.Response:
        q = request.query
        limit = int(q.get("limit", "50"))
        if "page_info" in q:
            extra = set(q) - {"limit", "page_info", "fields"}
            if extra:
                return web.json_response({"errors": f"page_info cannot be combined with {sorted(extra)}"}, status=400)
            offset = int(base64.urlsafe_b64decode(q["page_info"]).decode())
        else:
            offset = 0
            for name in ("status", "vendor", "product_type", "financial_status", "fulfillment_status"):
                if name in q and not (name == "status" and q[name] == "any" and key == "orders"):
                    items = [x for x in items if x.get(name) == q[name]]
            if "created_at_min" in q:
                items = [x for x in items if x["created_at"] >= q["created_at_min"]]
            if "created_at_max" in q:
                items = [x for x in items if x["created_at"] <= q["created_at_max"]]
        chunk = items[offset:offset + limit]
        headers = self._limit_header()
        if offset + limit < len(items):
            cursor = base64.urlsafe_b64encode(str(offset + limit).encode()).decode()
            headers["Link"] = f'<{self.url}{request.path}?limit={limit}&page_info={cursor}>; rel="next"'
        return web.json_response({key: chunk}, headers=headers)

    async def _list(self, request: web.Request) -> web.Response:
        if (denied := self._gate(request)) is not None:
            return denied
        resource = request.match_info["resource"]
        items = {"products": self.products, "orders": self.orders, "customers": self.customers}.get(resource)
        if items is None:
            return web.json_response({"errors": "Not Found"}, status=404, headers=self._limit_header())
        return self._page(request, items, resource)

    async def _search(self, request: web.Request) -> web.Response:
        if (denied := self._gate(request)) is not None:
            return denied
        query = request.query.get("query", "").removeprefix("email:")
        return self._page(request, [c for c in self.customers if query in c["email"]], "customers")

    async def _one(self, request: web.Request) -> web.Response:
        if (denied := self._gate(request)) is not None:
            return denied
        resource, ident = request.match_info["resource"], int(request.match_info["id"])
        items = {"products": self.products, "orders": self.orders}.get(resource, [])
        for x in items:
            if x["id"] == ident:
                return web.json_response({resource[:-1]: x}, headers=self._limit_header())
        return web.json_response({"errors": "Not Found"}, status=404, headers=self._limit_header())
