"""LLM provider clients and (later) the pool. Knows nothing about chat or GitHub."""
