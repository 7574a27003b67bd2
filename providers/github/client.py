"""The GitHub REST client: githubkit with token or GitHub App auth, a base-URL override, and rate limits.

Auth: a token (`GITHUB_TOKEN`) or a GitHub App (`GITHUB_APP_ID` + `GITHUB_PRIVATE_KEY`): githubkit signs
the App JWT and exchanges it for an installation token, cached until one minute before it expires.

Rate limits (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api):
- primary: every response's `X-RateLimit-Remaining`/`X-RateLimit-Reset` are remembered per credential;
  when the budget is spent the next request waits for the reset (up to `max_wait`) instead of failing;
- secondary: a 403/429 with `Retry-After` (or a "secondary rate limit" message) is waited out and
  retried, `max_retries` times, never longer than `max_wait` per wait.
A wait longer than `max_wait` raises `RateLimited` with the time the limit resets.

Errors are mapped here, once, to `GitHubError` (and `NotFound`, `RateLimited`) from `providers.github.errors`.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import httpx
from githubkit import AppAuthStrategy, GitHub, TokenAuthStrategy
from githubkit.cache import MemCacheStrategy
from githubkit.exception import GitHubException, RateLimitExceeded, RequestFailed, RequestTimeout
from githubkit.throttling import BaseThrottler
from githubkit.typing import RetryOption

from providers.github.errors import GitHubError, NotFound, RateLimited

log = logging.getLogger("chatops.github")

DIFF = "application/vnd.github.diff"


class GitHubAuthSettings(Protocol):
    """The fields the client reads; `bot.settings.GitHubSettings` has them (pydantic SecretStr or str)."""

    github_token: Any
    github_app_id: str | None
    github_private_key: Any
    github_api_url: Any


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    raw = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return raw or None


class RateLimitGate(BaseThrottler):
    """Remembers the primary budget from response headers and holds requests until it resets."""

    def __init__(self, max_wait: float, concurrency: int = 8) -> None:
        self.max_wait = max_wait
        self.remaining: int | None = None
        self.reset_at: float = 0.0
        self._sem = asyncio.Semaphore(concurrency)

    def observe(self, response: httpx.Response) -> None:
        h = response.headers
        if "x-ratelimit-remaining" in h and "x-ratelimit-reset" in h:
            try:
                self.remaining, self.reset_at = int(h["x-ratelimit-remaining"]), float(h["x-ratelimit-reset"])
            except ValueError:
                return

    def wait_needed(self) -> float:
        if self.remaining is None or self.remaining > 0:
            return 0.0
        return max(0.0, self.reset_at - time.time())

    @asynccontextmanager
    async def async_acquire(self, request: httpx.Request) -> AsyncIterator[None]:
        async with self._sem:
            wait = self.wait_needed()
            if wait > self.max_wait:
                until = time.strftime("%H:%M:%S", time.gmtime(self.reset_at))
                raise RateLimited(wait, f"primary rate limit spent until {until} UTC")
            if wait > 0:
                log.warning("GitHub primary rate limit spent; waiting %.1fs for the reset", wait)
                await asyncio.sleep(wait)
                self.remaining = None
            yield

    @contextmanager
    def acquire(self, request: httpx.Request) -> Iterator[None]:
        """githubkit's sync API, which the bot never uses (asyncio only)."""
        raise NotImplementedError("the bot uses githubkit's async API only")
        yield  # a generator, as the base declares


@dataclass
class RetryRateLimits:
    """githubkit retry decision: wait out secondary (and primary) limits up to `max_wait` each; retry a
    5xx twice within the call (0.5 s, then 2 s). Longer outages are the worker's: an unattended
    execution is tried again later (commands.errors.TryLater)."""

    max_retries: int = 3
    max_wait: float = 60.0
    server_error_retries: int = 2

    def __call__(self, exc: GitHubException, retry_count: int) -> RetryOption:
        if isinstance(exc, RateLimitExceeded) and retry_count < self.max_retries:
            wait = exc.retry_after.total_seconds()
            if wait <= self.max_wait:
                log.warning("GitHub %s on %s %s; retrying in %.1fs",
                            type(exc).__name__, exc.request.method, exc.request.url.path, wait)
                return RetryOption(True, timedelta(seconds=wait))
            return RetryOption(False)
        if isinstance(exc, RequestFailed) and exc.response.status_code >= 500 and retry_count < self.server_error_retries:
            wait = 0.5 * (retry_count + 1) ** 2
            log.warning("GitHub HTTP %d on %s %s; retrying in %.1fs",
                        exc.response.status_code, exc.request.method, exc.request.url.path, wait)
            return RetryOption(True, timedelta(seconds=wait))
        return RetryOption(False)


class GitHubClient:
    """One githubkit client per credential; `for_installation(id)` gives the App's installation client."""

    def __init__(
        self,
        api_url: str,
        *,
        token: str | None = None,
        app_id: str | None = None,
        private_key: str | None = None,
        max_wait: float = 60.0,
        timeout: float = 20.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if token is None and not (app_id and private_key):
            raise ValueError("GitHub needs GITHUB_TOKEN, or GITHUB_APP_ID with GITHUB_PRIVATE_KEY")
        self.api_url = api_url
        self.is_app = token is None
        self._max_wait, self._timeout, self._transport = max_wait, timeout, transport
        self._cache = MemCacheStrategy()  # per client: token caches of two apps never mix
        auth = TokenAuthStrategy(token) if token else AppAuthStrategy(app_id, private_key or "")
        self._root = self._make(auth)
        self._installations: dict[int, GitHub[Any]] = {}
        self._repo_installation: dict[str, int] = {}

    @classmethod
    def from_settings(cls, settings: GitHubAuthSettings, **kwargs: Any) -> GitHubClient:
        return cls(
            str(settings.github_api_url),
            token=_secret(settings.github_token),
            app_id=settings.github_app_id,
            private_key=_secret(settings.github_private_key),
            **kwargs,
        )

    def _make(self, auth: Any) -> GitHub[Any]:
        gate = RateLimitGate(self._max_wait)
        return GitHub(
            auth,
            base_url=self.api_url,
            timeout=self._timeout,
            http_cache=False,
            cache_strategy=self._cache,
            throttler=gate,
            auto_retry=RetryRateLimits(max_wait=self._max_wait),
            async_transport=self._transport,
            async_event_hooks={"response": [_async_observer(gate)]},
            user_agent="chatops-bot",
        )

    async def for_repo(self, owner: str, repo: str, installation_id: int | None = None) -> GitHub[Any]:
        """The client to use for one repository: the token client, or the App's installation client."""
        if not self.is_app:
            return self._root
        key = f"{owner}/{repo}".lower()
        if installation_id is None:
            installation_id = self._repo_installation.get(key)
        if installation_id is None:
            resp = await self.call(self._root, "GET", f"/repos/{owner}/{repo}/installation")
            installation_id = int(resp.json()["id"])
        self._repo_installation[key] = installation_id
        gh = self._installations.get(installation_id)
        if gh is None:
            gh = self._root.with_auth(self._root.auth.as_installation(installation_id))
            self._installations[installation_id] = gh
        return gh

    async def request(
        self, owner: str, repo: str, method: str, path: str, *, installation_id: int | None = None, **kwargs: Any
    ) -> httpx.Response:
        gh = await self.for_repo(owner, repo, installation_id)
        return await self.call(gh, method, path, **kwargs)

    async def root_request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call with the root credential: the token, or the App JWT (e.g. GET /app)."""
        return await self.call(self._root, method, path, **kwargs)

    async def call(self, gh: GitHub[Any], method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            resp = await gh.arequest(method, path, **kwargs)
        except RateLimitExceeded as e:
            raise RateLimited(e.retry_after.total_seconds(), f"{method} {path}: rate limited") from None
        except RequestFailed as e:
            status = e.response.status_code
            message = _message(e.response.raw_response)
            if status == 404:
                raise NotFound(f"{method} {path}: not found ({message})") from None
            raise GitHubError(f"{method} {path}: HTTP {status}: {message}", status=status) from None
        except RequestTimeout:
            raise GitHubError(f"{method} {path}: timed out after {self._timeout:.0f}s") from None
        except GitHubException as e:
            raise GitHubError(f"{method} {path}: {type(e).__name__}: {e}") from None
        return resp.raw_response


def _async_observer(gate: RateLimitGate) -> Any:
    async def hook(response: httpx.Response) -> None:
        gate.observe(response)

    return hook


def _message(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except Exception:
        return resp.text[:200]
    return str(data.get("message", ""))[:200] if isinstance(data, dict) else str(data)[:200]
