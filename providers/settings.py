"""Settings of the MCP side, read by `bot/` at start-up and passed to the hub and the providers."""
from __future__ import annotations

from pathlib import Path

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class MCPSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    shopify_shop: str | None = Field(None, description="Shopify shop domain, e.g. my-shop or my-shop.myshopify.com")
    shopify_token: SecretStr | None = Field(None, description="Shopify Admin API access token (shpat_…)")
    shopify_api_version: str = Field("2025-07", description="Shopify Admin API version, e.g. 2025-07")
    shopify_api_url: AnyHttpUrl | None = Field(
        None, description="Shopify Admin API base URL override (default https://<shop>.myshopify.com)"
    )
    mcp_db_url: SecretStr | None = Field(
        None, description="SQLAlchemy URL the db.* tools read (read-only), e.g. postgresql://ro@host/db"
    )
    mcp_servers: Path | None = Field(
        None, description="TOML or JSON file listing external MCP servers and named databases (see docs/mcp.md)"
    )
    mcp_timeout: float = Field(30.0, gt=0, description="Seconds one MCP tool call may take")
    mcp_db_max_rows: int = Field(200, ge=1, le=100_000, description="Rows db.query returns before truncating")
    mcp_db_statement_timeout: float = Field(
        10.0, gt=0, description="Seconds one db.query statement may run (PostgreSQL statement_timeout; SQLite is interrupted)"
    )
    mcp_db_max_result_bytes: int = Field(
        1_000_000, ge=1_000, le=100_000_000,
        description="Bytes of rows (as JSON) db.query returns before truncating; rows are fetched in batches up to it",
    )
    mcp_operators: str | None = Field(
        None, description="Comma-separated user ids allowed to call writing MCP tools (after a confirmation)"
    )

    ask_max_tool_steps: int = Field(
        5, ge=1, le=50, description="Rounds of MCP tool calls /ask may make before it stops and answers"
    )
    ask_tool_timeout: float = Field(20.0, gt=0, description="Seconds one MCP tool call made by /ask may take")

    @field_validator("shopify_shop", "shopify_api_url", "mcp_db_url", "mcp_servers", "mcp_operators", mode="before")
    @classmethod
    def _blank(cls, v: object) -> object:
        return None if v == "" else v

    def configured(self) -> bool:
        """Whether there is anything for the hub to mount."""
        return bool(self.mcp_db_url or self.mcp_servers or self.shopify_token)

    def operators(self) -> frozenset[str]:
        return frozenset(u.strip() for u in (self.mcp_operators or "").split(",") if u.strip())
