"""Google Gemini `generateContent` / `streamGenerateContent?alt=sse`, function calls as `functionCall` parts."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pool.http_dialect import HTTPChatClient, StreamState
from pool.interface import Completion, Message, ToolCall, ToolSpec, prompt_text
from pool.openai_compat import usage_tokens


def _contents(messages: Sequence[Message]) -> tuple[str, list[dict[str, Any]]]:
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    names = {c.id: c.name for m in messages for c in m.tool_calls}
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            continue
        if m.role == "tool":
            name = names.get(m.tool_call_id or "", "tool")
            out.append({"role": "user", "parts": [{"functionResponse": {"name": name, "response": {"content": m.content}}}]})
            continue
        parts: list[dict[str, Any]] = [{"text": m.content}] if m.content or not m.tool_calls else []
        parts += [{"functionCall": {"name": c.name, "args": c.arguments}} for c in m.tool_calls]
        out.append({"role": "model" if m.role == "assistant" else "user", "parts": parts})
    return system, out


def _read(data: dict[str, Any]) -> tuple[str, list[ToolCall], str | None]:
    candidates = data.get("candidates") or []
    if not candidates:
        return "", [], None
    cand = candidates[0]
    parts = (cand.get("content") or {}).get("parts") or []
    text = "".join(p.get("text", "") for p in parts)
    calls = [
        ToolCall(f"call_{uuid.uuid4().hex[:12]}", p["functionCall"]["name"], dict(p["functionCall"].get("args") or {}))
        for p in parts if "functionCall" in p
    ]
    reason = cand.get("finishReason")
    return text, calls, ("tool_calls" if calls else {"STOP": "stop", "MAX_TOKENS": "length"}.get(reason or "", reason))


class GeminiClient(HTTPChatClient):
    kind = "gemini"
    default_base = "https://generativelanguage.googleapis.com"

    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        return {"x-goog-api-key": api_key} if api_key else {}

    def request(
        self, messages: Sequence[Message], model: str, tools: Sequence[ToolSpec], max_tokens: int, stream: bool
    ) -> tuple[str, dict[str, Any]]:
        system, contents = _contents(messages)
        body: dict[str, Any] = {"contents": contents, "generationConfig": {"maxOutputTokens": max_tokens}}
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        if tools:
            body["tools"] = [{"functionDeclarations": [
                {"name": t.name, "description": t.description, "parameters": t.parameters} for t in tools
            ]}]
        action = "streamGenerateContent?alt=sse" if stream else "generateContent"
        return f"/v1beta/models/{model}:{action}", body

    def parse(self, data: Any, model: str, messages: Sequence[Message], latency_ms: float) -> Completion:
        if not data.get("candidates"):
            raise KeyError("candidates")
        text, calls, reason = _read(data)
        tin, tout, est = usage_tokens(
            data.get("usageMetadata"), "promptTokenCount", "candidatesTokenCount", prompt_text(messages), text
        )
        return Completion(
            text=text, provider=self.name, model=str(data.get("modelVersion") or model), tokens_in=tin, tokens_out=tout,
            latency_ms=latency_ms, estimated_usage=est, tool_calls=tuple(calls), finish_reason=reason,
        )

    def stream_state(self, model: str, messages: Sequence[Message]) -> StreamState:
        return _GeminiStream(self.name, model, prompt_text(messages))


class _GeminiStream(StreamState):
    def __init__(self, provider: str, model: str, prompt: str) -> None:
        self.provider, self.model, self.prompt = provider, model, prompt
        self.parts: list[str] = []
        self.calls: list[ToolCall] = []
        self.usage: dict[str, Any] | None = None
        self.reason: str | None = None

    def feed(self, event: dict[str, Any]) -> str:
        self.usage = event.get("usageMetadata") or self.usage  # cumulative: the last one counts
        self.model = event.get("modelVersion") or self.model
        text, calls, reason = _read(event)
        self.calls += calls
        self.reason = reason or self.reason
        if text:
            self.parts.append(text)
        return text

    def finish(self, latency_ms: float) -> Completion:
        text = "".join(self.parts)
        tin, tout, est = usage_tokens(self.usage, "promptTokenCount", "candidatesTokenCount", self.prompt, text)
        return Completion(
            text=text, provider=self.provider, model=self.model, tokens_in=tin, tokens_out=tout, latency_ms=latency_ms,
            estimated_usage=est, tool_calls=tuple(self.calls),
            finish_reason="tool_calls" if self.calls else self.reason,
        )
