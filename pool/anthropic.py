"""Anthropic Messages API (`POST /v1/messages`), streaming by SSE, tools as `tool_use` blocks."""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pool.http_dialect import HTTPChatClient, StreamState
from pool.interface import Completion, Message, ToolCall, ToolSpec, prompt_text
from pool.openai_compat import usage_tokens

API_VERSION = "2023-06-01"


def _messages(messages: Sequence[Message]) -> tuple[str, list[dict[str, Any]]]:
    """Anthropic keeps the system prompt apart, and tool results are user turns of `tool_result` blocks."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            continue
        if m.role == "tool":
            block = {"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.content}
            if out and out[-1]["role"] == "user" and isinstance(out[-1]["content"], list):
                out[-1]["content"].append(block)  # consecutive results share one turn
            else:
                out.append({"role": "user", "content": [block]})
        elif m.tool_calls:
            blocks: list[dict[str, Any]] = [{"type": "text", "text": m.content}] if m.content else []
            blocks += [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in m.tool_calls]
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": m.role, "content": m.content})
    return system, out


class AnthropicClient(HTTPChatClient):
    kind = "anthropic"
    default_base = "https://api.anthropic.com"

    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if api_key:
            headers["x-api-key"] = api_key
        return headers

    def request(
        self, messages: Sequence[Message], model: str, tools: Sequence[ToolSpec], max_tokens: int, stream: bool
    ) -> tuple[str, dict[str, Any]]:
        system, turns = _messages(messages)
        body: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "messages": turns}
        if system:
            body["system"] = system
        if tools:
            body["tools"] = [{"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools]
        if stream:
            body["stream"] = True
        return "/v1/messages", body

    def parse(self, data: Any, model: str, messages: Sequence[Message], latency_ms: float) -> Completion:
        blocks = data["content"]
        text = "".join(b.get("text", "") for b in blocks if b["type"] == "text")
        calls = tuple(ToolCall(b["id"], b["name"], dict(b.get("input") or {})) for b in blocks if b["type"] == "tool_use")
        tin, tout, est = usage_tokens(data.get("usage"), "input_tokens", "output_tokens", prompt_text(messages), text)
        return Completion(
            text=text, provider=self.name, model=str(data.get("model") or model), tokens_in=tin, tokens_out=tout,
            latency_ms=latency_ms, estimated_usage=est, tool_calls=calls, finish_reason=_finish(data.get("stop_reason")),
        )

    def stream_state(self, model: str, messages: Sequence[Message]) -> StreamState:
        return _AnthropicStream(self.name, model, prompt_text(messages))


def _finish(stop_reason: str | None) -> str | None:
    # provider-neutral names, as OpenAI spells them
    return {"tool_use": "tool_calls", "end_turn": "stop", "max_tokens": "length"}.get(stop_reason or "", stop_reason)


class _AnthropicStream(StreamState):
    def __init__(self, provider: str, model: str, prompt: str) -> None:
        self.provider, self.model, self.prompt = provider, model, prompt
        self.parts: list[str] = []
        self.blocks: dict[int, dict[str, Any]] = {}
        self.usage: dict[str, Any] = {}
        self.stop_reason: str | None = None

    def feed(self, event: dict[str, Any]) -> str:
        kind = event["type"]
        if kind == "message_start":
            msg = event["message"]
            self.model = msg.get("model") or self.model
            self.usage.update(msg.get("usage") or {})
        elif kind == "content_block_start":
            block = event["content_block"]
            if block["type"] == "tool_use":
                self.blocks[event["index"]] = {"id": block["id"], "name": block["name"], "json": []}
        elif kind == "content_block_delta":
            delta = event["delta"]
            if delta["type"] == "text_delta":
                self.parts.append(delta["text"])
                return str(delta["text"])
            if delta["type"] == "input_json_delta":
                self.blocks[event["index"]]["json"].append(delta["partial_json"])
        elif kind == "message_delta":
            self.usage.update(event.get("usage") or {})
            self.stop_reason = (event.get("delta") or {}).get("stop_reason") or self.stop_reason
        return ""

    def finish(self, latency_ms: float) -> Completion:
        text = "".join(self.parts)
        calls = tuple(
            ToolCall(b["id"], b["name"], json.loads("".join(b["json"]) or "{}")) for _, b in sorted(self.blocks.items())
        )
        tin, tout, est = usage_tokens(self.usage, "input_tokens", "output_tokens", self.prompt, text)
        return Completion(
            text=text, provider=self.provider, model=self.model, tokens_in=tin, tokens_out=tout, latency_ms=latency_ms,
            estimated_usage=est, tool_calls=calls, finish_reason=_finish(self.stop_reason),
        )
