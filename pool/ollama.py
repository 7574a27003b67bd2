"""Ollama's native `POST /api/chat`, streaming as NDJSON (one JSON object a line, the last with `done`)."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pool.http_dialect import HTTPChatClient, StreamState
from pool.interface import Completion, Message, ToolCall, ToolSpec, prompt_text
from pool.openai_compat import usage_tokens


def _message(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.tool_calls:
        out["tool_calls"] = [{"function": {"name": c.name, "arguments": c.arguments}} for c in m.tool_calls]
    return out


def _calls(msg: dict[str, Any]) -> list[ToolCall]:
    return [
        ToolCall(f"call_{uuid.uuid4().hex[:12]}", c["function"]["name"], dict(c["function"].get("arguments") or {}))
        for c in msg.get("tool_calls") or ()
    ]


class OllamaClient(HTTPChatClient):
    kind = "ollama"
    default_base = "http://127.0.0.1:11434"
    ndjson = True

    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"} if api_key else {}  # a proxy in front may want one

    def request(
        self, messages: Sequence[Message], model: str, tools: Sequence[ToolSpec], max_tokens: int, stream: bool
    ) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {
            "model": model, "messages": [_message(m) for m in messages], "stream": stream,
            "options": {"num_predict": max_tokens},
        }
        if tools:
            body["tools"] = [
                {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}
                for t in tools
            ]
        return "/api/chat", body

    def parse(self, data: Any, model: str, messages: Sequence[Message], latency_ms: float) -> Completion:
        msg = data["message"]
        text = msg.get("content") or ""
        calls = tuple(_calls(msg))
        tin, tout, est = usage_tokens(data, "prompt_eval_count", "eval_count", prompt_text(messages), text)
        return Completion(
            text=text, provider=self.name, model=str(data.get("model") or model), tokens_in=tin, tokens_out=tout,
            latency_ms=latency_ms, estimated_usage=est, tool_calls=calls,
            finish_reason="tool_calls" if calls else data.get("done_reason", "stop"),
        )

    def stream_state(self, model: str, messages: Sequence[Message]) -> StreamState:
        return _OllamaStream(self.name, model, prompt_text(messages))


class _OllamaStream(StreamState):
    def __init__(self, provider: str, model: str, prompt: str) -> None:
        self.provider, self.model, self.prompt = provider, model, prompt
        self.parts: list[str] = []
        self.calls: list[ToolCall] = []
        self.final: dict[str, Any] | None = None

    def feed(self, event: dict[str, Any]) -> str:
        self.model = event.get("model") or self.model
        msg = event.get("message") or {}
        self.calls += _calls(msg)
        if event.get("done"):
            self.final = event
        text = str(msg.get("content") or "")
        if text:
            self.parts.append(text)
        return text

    def finish(self, latency_ms: float) -> Completion:
        if self.final is None:
            raise ValueError("no final NDJSON line")
        text = "".join(self.parts)
        tin, tout, est = usage_tokens(self.final, "prompt_eval_count", "eval_count", self.prompt, text)
        return Completion(
            text=text, provider=self.provider, model=self.model, tokens_in=tin, tokens_out=tout, latency_ms=latency_ms,
            estimated_usage=est, tool_calls=tuple(self.calls),
            finish_reason="tool_calls" if self.calls else self.final.get("done_reason", "stop"),
        )
