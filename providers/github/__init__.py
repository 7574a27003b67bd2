"""The GitHub provider: a REST reader over githubkit and the MCP server exposing it.

Public surface: `GitHubClient`, `GitHubReader`, `build_server`, and the errors.
"""
