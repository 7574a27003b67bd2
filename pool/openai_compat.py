"""OpenAI-compatible chat completions (OpenAI, Groq, OpenRouter, vLLM, LM Studio, llama.cpp, Ollama /v1)."""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pool.http_dialect import HTTPChatClient, StreamState
from pool.interface import Completion, Message, ToolCall, ToolSpec, estimate_tokens, prompt_text


def _message(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
            for c in m.tool_calls
        ]
    if m.tool_call_id is not None:
        out["tool_call_id"] = m.tool_call_id
    return out


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    parsed = json.loads(raw or "{}")
    return parsed if isinstance(parsed, dict) else {"value": parsed}


def usage_tokens(usage: dict[str, Any] | None, in_key: str, out_key: str, prompt: str, text: str) -> tuple[int, int, bool]:
    """(tokens in, tokens out, estimated?) from a usage object, estimating what the provider left out."""
    usage = usage or {}
    tin, tout = usage.get(in_key), usage.get(out_key)
    return (
        int(tin) if tin is not None else estimate_tokens(prompt),
        int(tout) if tout is not None else estimate_tokens(text),
        tin is None or tout is None,
    )


class OpenAICompatClient(HTTPChatClient):
    kind = "openai"
    default_base = "https://api.openai.com/v1"

    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def request(
        self, messages: Sequence[Message], model: str, tools: Sequence[ToolSpec], max_tokens: int, stream: bool
    ) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {"model": model, "messages": [_message(m) for m in messages], "max_tokens": max_tokens}
        if tools:
            body["tools"] = [
                {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}
                for t in tools
            ]
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return "/chat/completions", body

    def parse(self, data: Any, model: str, messages: Sequence[Message], latency_ms: float) -> Completion:
        choice = data["choices"][0]
        msg = choice["message"]
        text = msg.get("content") or ""
        calls = tuple(
            ToolCall(c["id"], c["function"]["name"], _arguments(c["function"].get("arguments")))
            for c in msg.get("tool_calls") or ()
        )
        tin, tout, est = usage_tokens(data.get("usage"), "prompt_tokens", "completion_tokens", prompt_text(messages), text)
        return Completion(
            text=text, provider=self.name, model=str(data.get("model") or model), tokens_in=tin, tokens_out=tout,
            latency_ms=latency_ms, estimated_usage=est, tool_calls=calls, finish_reason=choice.get("finish_reason"),
        )

    def stream_state(self, model: str, messages: Sequence[Message]) -> StreamState:
        return _OpenAIStream(self.name, model, prompt_text(messages))


class _OpenAIStream(StreamState):
    def __init__(self, provider: str, model: str, prompt: str) -> None:
        self.provider, self.model, self.prompt = provider, model, prompt
        self.parts: list[str] = []
        self.calls: dict[int, dict[str, Any]] = {}  # index → {id, name, arguments (string pieces)}
        self.usage: dict[str, Any] | None = None
        self.finish_reason: str | None = None

    def feed(self, event: dict[str, Any]) -> str:
        if event.get("usage"):
            self.usage = event["usage"]
        self.model = event.get("model") or self.model
        text = ""
        for choice in event.get("choices") or ():
            delta = choice.get("delta") or {}
            if delta.get("content"):
                text += delta["content"]
            for c in delta.get("tool_calls") or ():
                slot = self.calls.setdefault(int(c.get("index", 0)), {"id": "", "name": "", "arguments": []})
                slot["id"] = c.get("id") or slot["id"]
                fn = c.get("function") or {}
                slot["name"] = fn.get("name") or slot["name"]
                slot["arguments"].append(fn.get("arguments") or "")
            self.finish_reason = choice.get("finish_reason") or self.finish_reason
        if text:
            self.parts.append(text)
        return text

    def finish(self, latency_ms: float) -> Completion:
        text = "".join(self.parts)
        calls = tuple(
            ToolCall(c["id"], c["name"], _arguments("".join(c["arguments"]))) for _, c in sorted(self.calls.items())
        )
        tin, tout, est = usage_tokens(self.usage, "prompt_tokens", "completion_tokens", self.prompt, text)
        return Completion(
            text=text, provider=self.provider, model=self.model, tokens_in=tin, tokens_out=tout, latency_ms=latency_ms,
            estimated_usage=est, tool_calls=calls, finish_reason=self.finish_reason,
        )
