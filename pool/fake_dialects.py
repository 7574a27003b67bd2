"""How the fake LLM server (`pool.fake`) writes one answer in each dialect, whole or streamed."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Answer:
    model: str
    text: str
    tool_calls: tuple[dict[str, Any], ...]
    usage: tuple[int, int] | None  # (prompt, completion) tokens, or None to leave usage out


def _pieces(text: str) -> list[str]:
    """Words with their following space, so the concatenation is the text again."""
    out: list[str] = []
    for i, word in enumerate(text.split(" ")):
        out.append(word if i == 0 else " " + word)
    return [p for p in out if p]


def _sse(data: dict[str, Any], event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


def _call_id(i: int) -> str:
    return f"call_fake_{i}"


def _content_text(content: Any) -> tuple[str, bool]:
    """(text, is a tool result) of an OpenAI/Anthropic/Ollama message content."""
    if isinstance(content, str):
        return content, False
    texts, tool = [], False
    for block in content or ():
        if block.get("type") == "tool_result":
            tool = True
            texts.append(str(block.get("content", "")))
        elif "text" in block:
            texts.append(block["text"])
    return " ".join(texts), tool


def turns(dialect: str, body: dict[str, Any]) -> list[tuple[str, str]]:
    """(role, text) of each turn of a request, role "tool" for tool results."""
    out: list[tuple[str, str]] = []
    if dialect == "gemini":
        for c in body.get("contents") or ():
            parts = c.get("parts") or []
            if any("functionResponse" in p for p in parts):
                out.append(("tool", " ".join(str(p["functionResponse"]["response"].get("content", "")) for p in parts)))
            else:
                out.append((c.get("role", "user"), " ".join(p.get("text", "") for p in parts)))
        return out
    for m in body.get("messages") or ():
        text, tool = _content_text(m.get("content"))
        out.append(("tool" if tool or m.get("role") == "tool" else m.get("role", "user"), text))
    return out


def error_body(dialect: str, status: int, message: str) -> dict[str, Any]:
    if dialect == "anthropic":
        return {"type": "error", "error": {"type": "api_error", "message": message}}
    if dialect == "gemini":
        return {"error": {"code": status, "message": message, "status": "UNAVAILABLE"}}
    if dialect == "ollama":
        return {"error": message}
    return {"error": {"message": message, "type": "fake"}}


class OpenAI:
    content_type = "text/event-stream"

    @staticmethod
    def full(a: Answer) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": a.text or None}
        if a.tool_calls:
            msg["tool_calls"] = [
                {"id": _call_id(i), "type": "function", "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])}}
                for i, c in enumerate(a.tool_calls)
            ]
        data: dict[str, Any] = {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": a.model,
            "choices": [{"index": 0, "message": msg, "finish_reason": "tool_calls" if a.tool_calls else "stop"}],
        }
        if a.usage:
            data["usage"] = {"prompt_tokens": a.usage[0], "completion_tokens": a.usage[1], "total_tokens": sum(a.usage)}
        return data

    @staticmethod
    def chunks(a: Answer, body: dict[str, Any]) -> Iterator[bytes]:
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "model": a.model}
        yield _sse({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
        for p in _pieces(a.text):
            yield _sse({**base, "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]})
        for i, c in enumerate(a.tool_calls):
            args = json.dumps(c["arguments"])
            half = len(args) // 2
            head = {"index": i, "id": _call_id(i), "type": "function", "function": {"name": c["name"], "arguments": args[:half]}}
            yield _sse({**base, "choices": [{"index": 0, "delta": {"tool_calls": [head]}}]})
            tail = {"index": i, "function": {"arguments": args[half:]}}
            yield _sse({**base, "choices": [{"index": 0, "delta": {"tool_calls": [tail]}}]})
        finish = "tool_calls" if a.tool_calls else "stop"
        yield _sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        if a.usage and (body.get("stream_options") or {}).get("include_usage"):
            usage = {"prompt_tokens": a.usage[0], "completion_tokens": a.usage[1], "total_tokens": sum(a.usage)}
            yield _sse({**base, "choices": [], "usage": usage})
        yield b"data: [DONE]\n\n"


class Anthropic:
    content_type = "text/event-stream"

    @staticmethod
    def full(a: Answer) -> dict[str, Any]:
        content: list[dict[str, Any]] = [{"type": "text", "text": a.text}] if a.text or not a.tool_calls else []
        content += [
            {"type": "tool_use", "id": _call_id(i), "name": c["name"], "input": c["arguments"]}
            for i, c in enumerate(a.tool_calls)
        ]
        data: dict[str, Any] = {
            "id": "msg_fake", "type": "message", "role": "assistant", "model": a.model, "content": content,
            "stop_reason": "tool_use" if a.tool_calls else "end_turn",
        }
        if a.usage:
            data["usage"] = {"input_tokens": a.usage[0], "output_tokens": a.usage[1]}
        return data

    @staticmethod
    def chunks(a: Answer, body: dict[str, Any]) -> Iterator[bytes]:
        start: dict[str, Any] = {"id": "msg_fake", "type": "message", "role": "assistant", "model": a.model, "content": []}
        if a.usage:
            start["usage"] = {"input_tokens": a.usage[0], "output_tokens": 1}
        yield _sse({"type": "message_start", "message": start}, "message_start")
        index = 0
        if a.text:
            text_block = {"type": "text", "text": ""}
            yield _sse({"type": "content_block_start", "index": 0, "content_block": text_block}, "content_block_start")
            for p in _pieces(a.text):
                text_delta = {"type": "text_delta", "text": p}
                yield _sse({"type": "content_block_delta", "index": 0, "delta": text_delta}, "content_block_delta")
            yield _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
            index = 1
        for i, c in enumerate(a.tool_calls, start=index):
            block = {"type": "tool_use", "id": _call_id(i - index), "name": c["name"], "input": {}}
            yield _sse({"type": "content_block_start", "index": i, "content_block": block}, "content_block_start")
            args = json.dumps(c["arguments"])
            for part in (args[: len(args) // 2], args[len(args) // 2:]):
                delta = {"type": "input_json_delta", "partial_json": part}
                yield _sse({"type": "content_block_delta", "index": i, "delta": delta}, "content_block_delta")
            yield _sse({"type": "content_block_stop", "index": i}, "content_block_stop")
        stop_reason = "tool_use" if a.tool_calls else "end_turn"
        delta_msg: dict[str, Any] = {"type": "message_delta", "delta": {"stop_reason": stop_reason}}
        if a.usage:
            delta_msg["usage"] = {"output_tokens": a.usage[1]}
        yield _sse(delta_msg, "message_delta")
        yield _sse({"type": "message_stop"}, "message_stop")


class Gemini:
    content_type = "text/event-stream"

    @staticmethod
    def _response(a: Answer, text: str, calls: tuple[dict[str, Any], ...], last: bool) -> dict[str, Any]:
        parts: list[dict[str, Any]] = [{"text": text}] if text else []
        parts += [{"functionCall": {"name": c["name"], "args": c["arguments"]}} for c in calls]
        cand: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        if last:
            cand["finishReason"] = "STOP"
        data: dict[str, Any] = {"candidates": [cand], "modelVersion": a.model}
        if a.usage and last:
            data["usageMetadata"] = {
                "promptTokenCount": a.usage[0], "candidatesTokenCount": a.usage[1], "totalTokenCount": sum(a.usage)
            }
        return data

    @classmethod
    def full(cls, a: Answer) -> dict[str, Any]:
        return cls._response(a, a.text, a.tool_calls, True)

    @classmethod
    def chunks(cls, a: Answer, body: dict[str, Any]) -> Iterator[bytes]:
        pieces = _pieces(a.text)
        for p in pieces[:-1]:
            yield _sse(cls._response(a, p, (), False))
        yield _sse(cls._response(a, pieces[-1] if pieces else "", a.tool_calls, True))


class Ollama:
    content_type = "application/x-ndjson"

    @staticmethod
    def _line(a: Answer, text: str, calls: tuple[dict[str, Any], ...], done: bool) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            msg["tool_calls"] = [{"function": {"name": c["name"], "arguments": c["arguments"]}} for c in calls]
        data: dict[str, Any] = {"model": a.model, "created_at": "2026-11-23T00:00:00Z", "message": msg, "done": done}
        if done:
            data["done_reason"] = "stop"
            if a.usage:
                data["prompt_eval_count"], data["eval_count"] = a.usage
        return data

    @classmethod
    def full(cls, a: Answer) -> dict[str, Any]:
        return cls._line(a, a.text, a.tool_calls, True)

    @classmethod
    def chunks(cls, a: Answer, body: dict[str, Any]) -> Iterator[bytes]:
        for p in _pieces(a.text):
            yield (json.dumps(cls._line(a, p, (), False)) + "\n").encode()
        if a.tool_calls:
            yield (json.dumps(cls._line(a, "", a.tool_calls, False)) + "\n").encode()
        yield (json.dumps(cls._line(a, "", (), True)) + "\n").encode()


DIALECTS: dict[str, Any] = {"openai": OpenAI, "anthropic": Anthropic, "gemini": Gemini, "ollama": Ollama}
