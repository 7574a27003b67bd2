"""LLM provider clients and the pool. Knows nothing about chat or GitHub (never imports bot/ or commands/).

Public surface: `pool.client` (Message, ToolSpec, ToolCall, Completion, CallMeta, the ChatClient and
LLMService interfaces), `pool.errors` (the exception tree), `pool.factory.build_llm` (settings → service),
`pool.pool.LLMPool` (+ PoolEvent), `pool.snapshot.PoolStatus`, `pool.settings.LLMSettings`, and
`pool.fake.FakeLLM` for tests and benchmarks. Nothing is imported here, so `import pool` stays cheap.
"""
