"""Delivers alert notices through the Outbound adapters to each rule's route (ALERT_CHANNEL by default).

One message per firing: `firing` posts it and the platform's message ref is stored on the alert
group, `update` and `resolved` edit that message in place, `reminder` and `resolved` also post a new
message so the channel notices. A target whose post failed has no ref, and the engine asks again.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot import metrics
from bot.adapters.base import Outbounds
from bot.routing import parse_targets
from commands.alerts import render_notice
from commands.model import Conversation, Reply
from reports import AlertStore, Notice, Rule

log = logging.getLogger("chatops.alerts")


def routes(rules: Sequence[Rule], alert_channel: str | None) -> dict[str, list[Conversation]]:
    """Each rule's targets; ValueError names the rule whose route does not parse."""
    default = parse_targets(alert_channel, "ALERT_CHANNEL")
    out: dict[str, list[Conversation]] = {}
    for rule in rules:
        out[rule.name] = parse_targets(rule.route, f"alert rule {rule.name} route") if rule.route else default
    return out


class AlertNotifier:
    def __init__(
        self, outbounds: Outbounds, store: AlertStore, targets: dict[str, list[Conversation]], zone: ZoneInfo,
        locale: str = "en",
    ) -> None:
        self.outbounds, self.store, self.targets = outbounds, store, targets
        self.zone, self.locale = zone, locale

    async def deliver(self, notices: Sequence[Notice]) -> None:
        for notice in notices:
            if not self.targets.get(notice.rule.name):
                continue  # no ALERT_CHANNEL nor route: the alert is visible in /alerts and /metrics only
            metrics.ALERT_NOTICES.labels(notice.rule.name, notice.action).inc()
            reply = render_notice(notice, self.zone, self.locale)
            refs = dict(notice.refs)
            for conv in self.targets.get(notice.rule.name, []):
                key = str(conv)
                try:
                    refs_changed = await self._one(notice, conv, key, reply, refs)
                except Exception as e:
                    metrics.DELIVERY_FAILURES.labels(conv.platform).inc()
                    log.warning("alert %s (%s) to %s failed: %s: %s", notice.rule.name, notice.action, key, type(e).__name__, e)
                    continue
                if refs_changed:
                    await self.store.set_refs(notice.rule.name, refs)
            if notice.action == "resolved":
                await self.store.set_refs(notice.rule.name, {})

    async def _one(self, notice: Notice, conv: Conversation, key: str, reply: Reply, refs: dict[str, str]) -> bool:
        adapter = self.outbounds.for_conversation(conv)
        ref = refs.get(key)
        if notice.action == "resolved":
            if ref is not None:
                await adapter.update(conv, ref, reply)
            await adapter.post(conv, reply)
            return False
        if notice.action == "reminder":
            await adapter.post(conv, reply)
            return False
        if ref is not None:  # update (or a re-sent firing) edits the message in place
            await adapter.update(conv, ref, reply)
            return False
        new_ref = await adapter.post(conv, reply)
        if new_ref is None:
            return False
        refs[key] = new_ref
        return True
