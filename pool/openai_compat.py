"""An OpenAI-compatible chat-completions client (OpenAI, Groq, OpenRouter, vLLM, llama.cpp, Ollama /v1)."""
from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

import httpx

from pool.client import Completion, Message
from pool.errors import (
    BadResponse,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
)


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _estimate_tokens(text: str) -> int:
    # ~4 characters a token for English; CJK runs closer to one a character, so take the larger.
    return max(1, len(text) // 4, sum(1 for ch in text if ord(ch) > 0x2E80))


class OpenAICompatClient:
    """One shared HTTP client with keep-alive; errors mapped into `pool.errors` here and nowhere else."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None,
        model: str,
        timeout: float,
        name: str = "openai",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        kwargs: dict[str, Any] = dict(base_url=base_url.rstrip("/") + "/", headers=headers, timeout=timeout)
        if transport is not None:
            self._http = httpx.AsyncClient(transport=transport, **kwargs)
        else:
            # httpx's API on aiohttp's connection pool: httpcore's pool collapses under concurrency here
            from httpx_aiohttp import HttpxAiohttpClient

            self._http = HttpxAiohttpClient(**kwargs)

    async def complete(self, messages: Sequence[Message], *, model: str | None = None) -> Completion:
        body = {"model": model or self.model, "messages": [{"role": m.role, "content": m.content} for m in messages]}
        started = time.perf_counter()
        try:
            resp = await self._http.post("chat/completions", json=body)
        except httpx.ConnectTimeout as e:
            # httpx-aiohttp maps a refused connection to ConnectTimeout as well: report the cause
            reason = type(e.__cause__).__name__ if e.__cause__ else "connect timeout"
            raise ProviderUnavailable(self.name, f"cannot connect to {self._http.base_url} ({reason})") from e
        except httpx.TimeoutException as e:
            raise ProviderTimeout(self.name, f"no answer within {self._http.timeout.read}s") from e
        except httpx.TransportError as e:
            raise ProviderUnavailable(self.name, f"cannot connect to {self._http.base_url} ({type(e).__name__})") from e
        latency_ms = (time.perf_counter() - started) * 1000
        self._raise_for_status(resp)
        try:
            data = resp.json()
            choice = data["choices"][0]["message"]
            text = choice.get("content") or ""
        except (json.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError) as e:
            raise BadResponse(self.name, "the answer was not chat-completions JSON", status=resp.status_code) from e
        usage = data.get("usage") or {}
        prompt_text = " ".join(m.content for m in messages)
        estimated = "prompt_tokens" not in usage
        return Completion(
            text=text,
            provider=self.name,
            model=str(data.get("model") or body["model"]),
            tokens_in=int(usage.get("prompt_tokens") or _estimate_tokens(prompt_text)),
            tokens_out=int(usage.get("completion_tokens") or _estimate_tokens(text)),
            latency_ms=latency_ms,
            estimated_usage=estimated,
        )

    def _raise_for_status(self, resp: httpx.Response) -> None:
        status = resp.status_code
        if status < 400:
            return
        detail = _error_detail(resp)
        if status == 429:
            raise RateLimited(self.name, f"rate limited (429){detail}", retry_after=_retry_after(resp.headers.get("retry-after")))
        if status >= 500:
            raise ProviderUnavailable(self.name, f"server error {status}{detail}", status=status)
        if status in (401, 403):
            raise RequestRejected(self.name, f"the API key was refused ({status})", status=status)
        raise RequestRejected(self.name, f"request refused ({status}){detail}", status=status)

    async def aclose(self) -> None:
        await self._http.aclose()


def _error_detail(resp: httpx.Response) -> str:
    try:
        err = resp.json().get("error")
        msg = err.get("message") if isinstance(err, dict) else err
        return f": {str(msg)[:200]}" if msg else ""
    except (json.JSONDecodeError, AttributeError, ValueError):
        return ""


__all__ = ["OpenAICompatClient", "ProviderError"]
