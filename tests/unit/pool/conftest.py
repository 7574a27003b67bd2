"""Fixtures of the pool tests: extra fake LLM servers, and clients/pools pointed at them."""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from pool.fake import FakeLLM

FakeFactory = Callable[[], Awaitable[FakeLLM]]


@pytest.fixture
async def fake_factory() -> AsyncIterator[FakeFactory]:
    """`await fake_factory()` starts one more fake LLM server; all are stopped after the test."""
    started: list[FakeLLM] = []

    async def make() -> FakeLLM:
        fake = FakeLLM()
        await fake.start()
        started.append(fake)
        return fake

    yield make
    for fake in started:
        await fake.stop()
