"""Each dialect client against the fake LLM over a real socket: answers, streams, usage, tools, errors."""
from __future__ import annotations

import asyncio
import socket

import pytest

from pool.direct import CLIENTS
from pool.errors import BadResponse, ProviderTimeout, ProviderUnavailable, RateLimited, RequestRejected
from pool.fake import Behavior, FakeLLM
from pool.http_dialect import HTTPChatClient
from pool.interface import Completion, Message, ToolCall, ToolSpec

KINDS = list(CLIENTS)
QUESTION = [Message("system", "be brief"), Message("user", "what is a lease?")]
LOOKUP = ToolSpec("lookup", "find a document", {"type": "object", "properties": {"q": {"type": "string"}}})


@pytest.fixture(params=KINDS)
async def client(request: pytest.FixtureRequest, fake_llm: FakeLLM):  # type: ignore[no-untyped-def]
    kind = request.param
    c = CLIENTS[kind](fake_llm.base_url(kind), api_key="sk-test", model="m-1", timeout=2, name=f"my-{kind}")
    yield c
    await c.aclose()


async def collect(c: HTTPChatClient, messages: list[Message], **kw: object) -> tuple[list[str], Completion]:
    deltas: list[str] = []
    final = None
    async for event in c.stream(messages, **kw):  # type: ignore[arg-type]
        if isinstance(event, Completion):
            final = event
        else:
            deltas.append(event)
    assert final is not None
    return deltas, final


async def test_complete_answers_with_usage_from_the_provider(client: HTTPChatClient, fake_llm: FakeLLM) -> None:
    result = await client.complete(QUESTION)
    assert result.text == "echo: what is a lease?"
    assert result.provider == client.name and result.model == "m-1"
    assert result.tokens_in > 0 and result.tokens_out == len(result.text) // 4 + 1
    assert not result.estimated_usage and result.finish_reason == "stop"
    assert fake_llm.requests[-1]["dialect"] == client.kind


async def test_stream_yields_the_answer_in_pieces_then_the_completion(client: HTTPChatClient) -> None:
    deltas, final = await collect(client, QUESTION)
    assert len(deltas) == 5 and "".join(deltas) == "echo: what is a lease?"
    assert final.text == "".join(deltas)
    assert final.tokens_out == len(final.text) // 4 + 1 and not final.estimated_usage


@pytest.mark.parametrize("streaming", [False, True])
async def test_missing_usage_is_estimated_and_marked(client: HTTPChatClient, fake_llm: FakeLLM, streaming: bool) -> None:
    fake_llm.behavior = Behavior(usage=False, reply="a" * 40)
    result = (await collect(client, QUESTION))[1] if streaming else await client.complete(QUESTION)
    assert result.estimated_usage
    assert result.tokens_out == 10 and result.tokens_in >= 1


@pytest.mark.parametrize("streaming", [False, True])
async def test_tool_calls_come_back_in_one_shape(client: HTTPChatClient, fake_llm: FakeLLM, streaming: bool) -> None:
    fake_llm.behavior = Behavior(tool_calls=({"name": "lookup", "arguments": {"q": "leases"}},))
    result = (await collect(client, QUESTION, tools=[LOOKUP]))[1] if streaming else await client.complete(QUESTION, tools=[LOOKUP])
    assert [(c.name, c.arguments) for c in result.tool_calls] == [("lookup", {"q": "leases"})]
    assert result.finish_reason == "tool_calls" and result.tool_calls[0].id


async def test_tool_results_go_back_in_the_dialects_shape(client: HTTPChatClient, fake_llm: FakeLLM) -> None:
    call = ToolCall("call_1", "lookup", {"q": "leases"})
    history = [*QUESTION, Message("assistant", "", tool_calls=(call,)), Message("tool", "a lease is a timed claim", tool_call_id="call_1")]
    result = await client.complete(history, tools=[LOOKUP])
    assert result.text == "tool said: a lease is a timed claim"
    body = fake_llm.requests[-1]["body"]
    if client.kind == "anthropic":
        assert body["system"] == "be brief"
        assert body["messages"][-1]["content"][0] == {"type": "tool_result", "tool_use_id": "call_1", "content": "a lease is a timed claim"}
        assert body["tools"][0]["input_schema"] == LOOKUP.parameters
    elif client.kind == "openai":
        assert body["messages"][-1] == {"role": "tool", "content": "a lease is a timed claim", "tool_call_id": "call_1"}
        assert body["messages"][-2]["tool_calls"][0]["function"] == {"name": "lookup", "arguments": '{"q": "leases"}'}


async def test_each_dialect_sends_its_own_credentials(client: HTTPChatClient, fake_llm: FakeLLM) -> None:
    await client.complete(QUESTION)
    headers = {k.lower(): v for k, v in fake_llm.requests[-1]["headers"].items()}
    expected = {
        "openai": ("authorization", "Bearer sk-test"),
        "anthropic": ("x-api-key", "sk-test"),
        "gemini": ("x-goog-api-key", "sk-test"),
        "ollama": ("authorization", "Bearer sk-test"),
    }[client.kind]
    assert headers[expected[0]] == expected[1]
    if client.kind == "anthropic":
        assert headers["anthropic-version"] == "2023-06-01"


@pytest.mark.parametrize("streaming", [False, True])
async def test_http_errors_map_into_the_pool_errors(client: HTTPChatClient, fake_llm: FakeLLM, streaming: bool) -> None:
    async def call() -> object:
        return (await collect(client, QUESTION)) if streaming else await client.complete(QUESTION)

    fake_llm.behavior = Behavior(status=429, retry_after=7)
    with pytest.raises(RateLimited) as rl:
        await call()
    assert rl.value.retry_after == 7 and rl.value.provider == client.name
    fake_llm.behavior = Behavior(status=503)
    with pytest.raises(ProviderUnavailable, match="server error 503: fake failure 503"):
        await call()
    fake_llm.behavior = Behavior(status=401)
    with pytest.raises(RequestRejected, match="API key was refused"):
        await call()
    fake_llm.behavior = Behavior(malformed=True)
    with pytest.raises(BadResponse):
        await call()


async def test_a_hung_provider_times_out_per_attempt(fake_llm: FakeLLM) -> None:
    fake_llm.behavior = Behavior(hang=True)
    c = CLIENTS["openai"](fake_llm.url, api_key=None, model="m", timeout=0.2)
    try:
        with pytest.raises(ProviderTimeout, match="0.2s"):
            await c.complete(QUESTION)
    finally:
        await c.aclose()
    for _ in range(50):  # the server sees the connection go
        if fake_llm.disconnects:
            break
        await asyncio.sleep(0.02)
    assert fake_llm.disconnects == 1


async def test_a_closed_port_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = CLIENTS["anthropic"](f"http://127.0.0.1:{port}", api_key="k", model="m", timeout=2)
    try:
        with pytest.raises(ProviderUnavailable, match="cannot reach"):
            await c.complete(QUESTION)
    finally:
        await c.aclose()


@pytest.mark.parametrize("kind", ["openai", "ollama"])
async def test_a_stream_of_keep_alives_ends_at_the_idle_timeout(fake_llm: FakeLLM, kind: str) -> None:
    # a provider or proxy that keeps the connection open with comments/blank lines and never finishes
    fake_llm.behavior = Behavior(keepalive_after=2, keepalive_every=0.05)
    c = CLIENTS[kind](fake_llm.base_url(kind), api_key=None, model="m", timeout=0.4)
    t0 = asyncio.get_running_loop().time()
    try:
        with pytest.raises(ProviderTimeout):
            await collect(c, QUESTION)
    finally:
        await c.aclose()
    assert 0.4 <= asyncio.get_running_loop().time() - t0 < 2.0  # keep-alives did not reset the idle clock


async def test_a_trickling_stream_ends_at_its_total_limit(fake_llm: FakeLLM) -> None:
    fake_llm.behavior = Behavior(reply=" ".join(["word"] * 200), chunk_delay=0.05)  # ~10 s of real tokens
    c = CLIENTS["openai"](fake_llm.url, api_key=None, model="m", timeout=1.0, stream_limit=0.6)
    t0 = asyncio.get_running_loop().time()
    try:
        with pytest.raises(ProviderTimeout):
            await collect(c, QUESTION)
    finally:
        await c.aclose()
    assert 0.6 <= asyncio.get_running_loop().time() - t0 < 2.0
