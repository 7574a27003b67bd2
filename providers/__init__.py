"""MCP providers and the hub that mounts them. Knows nothing about chat."""
