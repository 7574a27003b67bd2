"""Slack: Bolt inbound (HTTP at /slack/events and Socket Mode), Block Kit rendering, Web API outbound.

Modules: `inbound` (payload → Event, Bolt listeners), `render` (Reply → Block Kit), `outbound`
(`SlackOutbound`), `target` (where an answer goes), `manifest` (the app manifest from the registry).
"""
from __future__ import annotations

from bot.adapters.slack.component import PLATFORM

__all__ = ["PLATFORM"]
