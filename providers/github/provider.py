"""The GitHub provider as a hub built-in: `github_provider(auth)` is a factory `(MCPSettings, McpConfig)
-> Builtin` over the GitHub server of `providers.github.server`.

The GitHub credentials live in the bot's GitHub settings, not in MCPSettings, so the hub is handed the
bot's one client (`Hub(..., github_client=client)`; `chatops mcp serve` hands the credentials) and swaps
this factory in; without either the provider is listed as not configured.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from providers.builtin import Builtin, NotConfigured, ProviderFactory, provider
from providers.config import McpConfig
from providers.settings import MCPSettings

if TYPE_CHECKING:
    from providers.github.client import GitHubAuthSettings, GitHubClient

# Every tool of the server only reads (the server has no writing tool): the hub may offer them all to
# untrusted triggers and the /ask tool loop.
READ_ONLY_TOOLS = frozenset({
    "github.repos.list", "github.repos.get", "github.issues.list", "github.issues.get",
    "github.pulls.list", "github.pulls.get", "github.commits.list",
})


def _set(value: Any) -> bool:
    if value is None:
        return False
    raw = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return bool(raw)


def github_provider(auth: GitHubAuthSettings | None, client: GitHubClient | None = None) -> ProviderFactory:
    """`client`: the bot's one GitHub client (one rate-limit gate for the adapter and this provider); without
    it, a client of the provider's own is made from `auth` (`chatops mcp serve github`)."""

    @provider("github")
    def build_github(settings: MCPSettings, config: McpConfig) -> Builtin:
        from providers.github.server import build_server  # githubkit is heavy: only when mounted

        if client is not None:
            from providers.github.reader import GitHubReader

            return Builtin("github", build_server(reader=GitHubReader(client)), READ_ONLY_TOOLS)
        if auth is None or not (_set(auth.github_token) or (auth.github_app_id and _set(auth.github_private_key))):
            raise NotConfigured("set GITHUB_TOKEN (or GITHUB_APP_ID and GITHUB_PRIVATE_KEY)")
        return Builtin("github", build_server(auth), READ_ONLY_TOOLS)

    return build_github
