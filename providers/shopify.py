"""The Shopify provider: products, orders, customers, inventory and sales figures from the Admin
REST API, as a real MCP server. Read-only: it only ever sends GET requests."""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Literal

from providers.builtin import READ_ONLY, Builtin, NotConfigured, new_server, provider
from providers.config import McpConfig
from providers.result import INVALID_ARGUMENTS, ToolFailure
from providers.settings import MCPSettings
from providers.shopify_api import ShopifyAPI, admin_base_url

TOOLS = frozenset({
    "shopify.products.list", "shopify.products.get", "shopify.orders.list", "shopify.orders.get",
    "shopify.customers.list", "shopify.inventory.check", "shopify.analytics.sales",
})
MAX_PAGES = 20  # analytics reads at most this many pages of 250 orders


def _variant(v: dict[str, Any]) -> dict[str, Any]:
    return {k: v.get(k) for k in ("id", "title", "sku", "price", "inventory_quantity", "inventory_item_id")}


def _product(p: dict[str, Any]) -> dict[str, Any]:
    out = {k: p.get(k) for k in ("id", "title", "status", "vendor", "product_type", "created_at", "updated_at")}
    out["variants"] = [_variant(v) for v in p.get("variants") or []]
    return out


def _order(o: dict[str, Any]) -> dict[str, Any]:
    out = {k: o.get(k) for k in ("id", "name", "created_at", "financial_status", "fulfillment_status", "currency", "total_price")}
    out["customer"] = (o.get("customer") or {}).get("email")
    out["items"] = sum(int(li.get("quantity") or 0) for li in o.get("line_items") or [])
    return out


def _customer(c: dict[str, Any]) -> dict[str, Any]:
    return {k: c.get(k) for k in ("id", "email", "first_name", "last_name", "orders_count", "total_spent", "created_at")}


def _limit(n: int) -> int:
    if not 1 <= n <= 250:
        raise ToolFailure(INVALID_ARGUMENTS, "limit must be between 1 and 250")
    return n


def _one(body: dict[str, Any], key: str) -> dict[str, Any]:
    """The single object of a `GET x/{id}.json` answer (`{"product": {...}}`); {} when it is missing."""
    value = body.get(key)
    return value if isinstance(value, dict) else {}


@provider("shopify")
def build_shopify(settings: MCPSettings, config: McpConfig) -> Builtin:
    if not settings.shopify_token or not (settings.shopify_shop or settings.shopify_api_url):
        raise NotConfigured("set SHOPIFY_SHOP and SHOPIFY_TOKEN")
    base = admin_base_url(settings.shopify_shop or "", settings.shopify_api_version,
                          str(settings.shopify_api_url) if settings.shopify_api_url else None)
    api = ShopifyAPI(base, settings.shopify_token.get_secret_value(), timeout=settings.mcp_timeout)
    server = new_server("shopify", "Read-only access to one Shopify store: products, orders, customers, inventory, sales.")

    @server.tool(name="shopify.products.list", annotations=READ_ONLY,
                 description="List products (id, title, status, vendor, variants with price and stock). "
                             "Page with next_page_info.")
    async def products_list(limit: int = 50, status: Literal["active", "draft", "archived"] | None = None,
                            vendor: str | None = None, product_type: str | None = None, title: str | None = None,
                            page_info: str | None = None) -> dict[str, Any]:
        # Shopify accepts only limit with page_info: the filters live in the cursor
        params = {"limit": _limit(limit), "page_info": page_info} if page_info else {
            "limit": _limit(limit), "status": status, "vendor": vendor, "product_type": product_type, "title": title}
        body, nxt = await api.get("products.json", params)
        return {"products": [_product(p) for p in body.get("products", [])], "next_page_info": nxt}

    @server.tool(name="shopify.products.get", annotations=READ_ONLY, description="One product with all its fields.")
    async def products_get(product_id: int) -> dict[str, Any]:
        body, _ = await api.get(f"products/{product_id}.json")
        return _one(body, "product")

    @server.tool(name="shopify.orders.list", annotations=READ_ONLY,
                 description="List orders (newest first). Dates are ISO 8601, e.g. 2026-11-01T00:00:00+09:00.")
    async def orders_list(limit: int = 50, status: Literal["open", "closed", "cancelled", "any"] = "any",
                          financial_status: str | None = None, fulfillment_status: str | None = None,
                          created_at_min: str | None = None, created_at_max: str | None = None,
                          page_info: str | None = None) -> dict[str, Any]:
        params = {"limit": _limit(limit), "page_info": page_info} if page_info else {
            "limit": _limit(limit), "status": status, "financial_status": financial_status,
            "fulfillment_status": fulfillment_status, "created_at_min": created_at_min, "created_at_max": created_at_max}
        body, nxt = await api.get("orders.json", params)
        return {"orders": [_order(o) for o in body.get("orders", [])], "next_page_info": nxt}

    @server.tool(name="shopify.orders.get", annotations=READ_ONLY, description="One order with all its fields.")
    async def orders_get(order_id: int) -> dict[str, Any]:
        body, _ = await api.get(f"orders/{order_id}.json")
        return _one(body, "order")

    @server.tool(name="shopify.customers.list", annotations=READ_ONLY,
                 description="List customers, or search them with `query` (e.g. email:bob@example.com).")
    async def customers_list(limit: int = 50, query: str | None = None, page_info: str | None = None) -> dict[str, Any]:
        path = "customers/search.json" if query and not page_info else "customers.json"
        params = {"limit": _limit(limit), "page_info": page_info} if page_info else {"limit": _limit(limit), "query": query}
        body, nxt = await api.get(path, params)
        return {"customers": [_customer(c) for c in body.get("customers", [])], "next_page_info": nxt}

    @server.tool(name="shopify.inventory.check", annotations=READ_ONLY,
                 description="Variants at or below `threshold` units in stock, for one product or the first 250 products.")
    async def inventory_check(product_id: int | None = None, threshold: int = 5) -> dict[str, Any]:
        if product_id is not None:
            body, _ = await api.get(f"products/{product_id}.json")
            products = [body.get("product", {})]
        else:
            body, _ = await api.get("products.json", {"limit": 250, "fields": "id,title,variants"})
            products = body.get("products", [])
        low = [
            {"product_id": p.get("id"), "product": p.get("title"), "variant_id": v.get("id"), "variant": v.get("title"),
             "sku": v.get("sku"), "inventory_quantity": v.get("inventory_quantity")}
            for p in products for v in p.get("variants") or []
            if v.get("inventory_quantity") is not None and v["inventory_quantity"] <= threshold
        ]
        variants = sum(len(p.get("variants") or []) for p in products)
        return {"threshold": threshold, "products_checked": len(products), "variants_checked": variants, "low_stock": low}

    @server.tool(name="shopify.analytics.sales", annotations=READ_ONLY, description=(
        "Sales between two dates (ISO 8601): revenue, order count, average order value, revenue per day and "
        "the best-selling products. Cancelled orders are left out."))
    async def analytics_sales(created_at_min: str, created_at_max: str | None = None, top: int = 5) -> dict[str, Any]:
        revenue, orders, currency = 0.0, 0, None
        per_day: dict[str, float] = defaultdict(float)
        units: Counter[str] = Counter()
        params: dict[str, Any] = {"limit": 250, "status": "any", "created_at_min": created_at_min,
                                  "created_at_max": created_at_max,
                                  "fields": "id,created_at,total_price,currency,cancelled_at,line_items"}
        pages, complete = 0, True
        while True:
            body, nxt = await api.get("orders.json", params)
            pages += 1
            for o in body.get("orders", []):
                if o.get("cancelled_at"):
                    continue
                amount = float(o.get("total_price") or 0)
                revenue += amount
                orders += 1
                currency = currency or o.get("currency")
                per_day[str(o.get("created_at", ""))[:10]] += amount
                for li in o.get("line_items") or []:
                    units[li.get("title") or str(li.get("product_id"))] += int(li.get("quantity") or 0)
            if not nxt:
                break
            if pages >= MAX_PAGES:
                complete = False
                break
            params = {"limit": 250, "page_info": nxt}
        return {
            "from": created_at_min, "to": created_at_max, "currency": currency, "orders": orders,
            "revenue": round(revenue, 2), "average_order_value": round(revenue / orders, 2) if orders else 0.0,
            "revenue_per_day": {d: round(v, 2) for d, v in sorted(per_day.items())},
            "top_products": [{"title": t, "units": n} for t, n in units.most_common(top)],
            "complete": complete,
        }

    return Builtin("shopify", server, TOOLS, api.aclose)
