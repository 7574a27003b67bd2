"""The Shopify provider through the real MCP client (in memory), against the fake Admin API."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from mcp import Client

from providers.builtin import Builtin, NotConfigured
from providers.config import McpConfig
from providers.settings import MCPSettings
from providers.shopify import build_shopify
from tests.fakes.shopify import TOKEN, FakeShopify


def settings(url: str, token: str = TOKEN) -> MCPSettings:
    return MCPSettings(_env_file=None, shopify_shop="test-shop", shopify_token=token, shopify_api_url=url,
                       shopify_api_version="2025-07", mcp_timeout=10)


@pytest.fixture
async def shop() -> AsyncIterator[FakeShopify]:
    async with FakeShopify() as fake:
        yield fake


@pytest.fixture
async def provider(shop: FakeShopify) -> AsyncIterator[Builtin]:
    b = build_shopify(settings(shop.url), McpConfig())
    yield b
    await b.aclose()


async def call(b: Builtin, tool: str, args: dict | None = None) -> tuple[bool, object]:
    async with Client(b.server) as client:
        r = await client.call_tool(tool, args or {})
    return r.is_error, (r.content[0].text if r.is_error else r.structured_content)


async def test_lists_the_seven_tools_all_read_only(provider: Builtin) -> None:
    async with Client(provider.server) as client:
        tools = (await client.list_tools()).tools
    assert {t.name for t in tools} == set(provider.read_only_tools)
    assert len(tools) == 7 and all(t.annotations and t.annotations.read_only_hint for t in tools)


async def test_products_list_filters_and_pages_with_page_info(provider: Builtin, shop: FakeShopify) -> None:
    err, data = await call(provider, "shopify.products.list", {"limit": 3})
    assert not err and [p["id"] for p in data["products"]] == [1001, 1002, 1003]
    assert data["next_page_info"]
    err, page2 = await call(provider, "shopify.products.list", {"limit": 3, "page_info": data["next_page_info"]})
    assert not err and [p["id"] for p in page2["products"]] == [1004, 1005, 1006]
    err, acme = await call(provider, "shopify.products.list", {"vendor": "Acme"})
    assert not err and {p["vendor"] for p in acme["products"]} == {"Acme"} and acme["next_page_info"] is None
    assert shop.requests[0][0] == "/admin/api/2025-07/products.json"


async def test_products_get_and_a_missing_product(provider: Builtin) -> None:
    err, product = await call(provider, "shopify.products.get", {"product_id": 1002})
    assert not err and product["title"] == "Product 2" and len(product["variants"]) == 2
    err, text = await call(provider, "shopify.products.get", {"product_id": 42})
    assert err and "[not_found]" in text


async def test_orders_customers_and_order_detail(provider: Builtin) -> None:
    err, data = await call(provider, "shopify.orders.list", {"financial_status": "pending", "limit": 250})
    assert not err and len(data["orders"]) == 7 and all(o["financial_status"] == "pending" for o in data["orders"])
    err, order = await call(provider, "shopify.orders.get", {"order_id": 7003})
    assert not err and order["name"] == "#1003"
    err, found = await call(provider, "shopify.customers.list", {"query": "email:c3@example.com"})
    assert not err and [c["email"] for c in found["customers"]] == ["c3@example.com"]
    err, everyone = await call(provider, "shopify.customers.list", {})
    assert not err and len(everyone["customers"]) == 5


async def test_inventory_check_reports_variants_at_or_below_the_threshold(provider: Builtin, shop: FakeShopify) -> None:
    err, data = await call(provider, "shopify.inventory.check", {"threshold": 2})
    expected = sorted(v["sku"] for p in shop.products for v in p["variants"] if v["inventory_quantity"] <= 2)
    assert not err and sorted(x["sku"] for x in data["low_stock"]) == expected and expected
    assert data["variants_checked"] == 14


async def test_sales_analytics_sum_pages_and_skip_cancelled_orders(provider: Builtin, shop: FakeShopify) -> None:
    err, data = await call(provider, "shopify.analytics.sales", {"created_at_min": "2026-11-01T00:00:00+09:00"})
    kept = [o for o in shop.orders if not o["cancelled_at"]]
    assert not err and data["orders"] == len(kept) == 27
    assert data["revenue"] == sum(float(o["total_price"]) for o in kept)
    assert data["currency"] == "JPY" and len(data["revenue_per_day"]) == 6 and data["complete"] is True
    assert data["top_products"][0]["units"] >= data["top_products"][-1]["units"]


async def test_429_waits_retry_after_then_succeeds(provider: Builtin, shop: FakeShopify) -> None:
    shop.force_429, shop.retry_after = 2, "0.05"
    err, data = await call(provider, "shopify.products.list", {"limit": 1})
    assert not err and len(data["products"]) == 1
    assert shop.throttled == 2 and len(shop.requests) == 3


async def test_persistent_429_becomes_rate_limited(provider: Builtin, shop: FakeShopify) -> None:
    shop.force_429, shop.retry_after = 100, "0.01"
    err, text = await call(provider, "shopify.products.list", {})
    assert err and "[rate_limited]" in text


async def test_call_limit_header_paces_requests_so_the_bucket_never_overflows(shop: FakeShopify) -> None:
    # a small, slow bucket: 4 requests, draining 20 per second
    shop.bucket_size, shop.leak_per_second = 4, 20.0
    b = build_shopify(settings(shop.url), McpConfig())
    try:
        async with Client(b.server) as client:
            for _ in range(12):
                r = await client.call_tool("shopify.products.get", {"product_id": 1001})
                assert not r.is_error
    finally:
        await b.aclose()
    assert shop.throttled == 0  # the client slowed down instead of hitting 429


async def test_a_bad_token_is_reported_as_unauthorized(shop: FakeShopify) -> None:
    b = build_shopify(settings(shop.url, token="wrong"), McpConfig())
    try:
        err, text = await call(b, "shopify.orders.list", {})
    finally:
        await b.aclose()
    assert err and "[unauthorized]" in text and "wrong" not in text


def test_missing_settings_leave_the_provider_unconfigured() -> None:
    with pytest.raises(NotConfigured, match="SHOPIFY_SHOP and SHOPIFY_TOKEN"):
        build_shopify(MCPSettings(_env_file=None), McpConfig())
