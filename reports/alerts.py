"""The alert lifecycle, like Alertmanager's plus acknowledgement in chat.

Per (rule, target): inactive → pending (condition true) → firing (true for `for_seconds`) → resolved.
Per rule, its firing alerts form one group shown in one message: `firing` posts it, `update` edits it
in place when its members or its acknowledgement change, `reminder` re-posts at the repeat interval
while nobody acknowledged it, `resolved` closes it. A critical alert inhibits a warning of the same
kind on the same target. Silence suppresses notices, not evaluation. State is persisted every tick,
so a restart neither re-sends a notice nor forgets a firing alert.

The engine returns `Notice`s (data); `bot/` delivers them and records message refs back.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reports.alert_state import AlertStore, Group, Instance
from reports.rules import Rule
from reports.sampler import Sample

# After a notice that reached no target, try again after this long (or the repeat interval if shorter).
RETRY_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class AlertView:
    target: str
    value: float | None
    since: float | None
    summary: str


@dataclass(frozen=True, slots=True)
class Notice:
    rule: Rule
    action: str  # firing | update | reminder | resolved
    alerts: tuple[AlertView, ...]
    started_at: float | None
    now: float
    refs: dict[str, str]
    acked_by: str | None = None
    acked_at: float | None = None
    silenced_until: float | None = None


@dataclass(frozen=True, slots=True)
class ActiveAlert:
    rule: Rule
    state: str  # pending | firing | inhibited
    target: str
    value: float | None
    since: float | None
    acked_by: str | None
    silenced_until: float | None


class AlertEngine:
    def __init__(self, rules: Sequence[Rule], store: AlertStore, clock: Callable[[], float] = time.time) -> None:
        names = [r.name for r in rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"alert rule(s) defined twice: {', '.join(dupes)}")
        self.rules = {r.name: r for r in rules}
        self.store = store
        self.clock = clock

    def rule(self, name: str) -> Rule:
        try:
            return self.rules[name]
        except KeyError:
            raise KeyError(f"no alert rule {name!r}; known: {', '.join(sorted(self.rules))}") from None

    async def evaluate(self, sample: Sample) -> list[Notice]:
        now = self.clock()
        instances, groups = await self.store.load()
        changed: dict[tuple[str, str], Instance] = {}
        for rule in self.rules.values():
            seen: set[str] = set()
            for target, value in rule.select(sample.values):
                seen.add(target)
                inst = instances.setdefault((rule.name, target), Instance(rule.name, target))
                if _step(inst, rule, rule.matches(value), value, now):
                    changed[(rule.name, target)] = inst
            for (rname, target), inst in instances.items():
                # no data for a watched alert counts as "condition false": it resolves
                if rname == rule.name and target not in seen and _step(inst, rule, False, inst.value, now):
                    changed[(rname, target)] = inst
        visible = self._visible(instances)
        firing_rules = {r for (r, _), i in instances.items() if i.state == "firing"}
        notices: list[Notice] = []
        dirty_groups: list[Group] = []
        for rule in self.rules.values():
            group = groups.get(rule.name) or Group(rule.name)
            members = visible.get(rule.name, [])
            if not members and rule.name in firing_rules:
                continue  # every alert of the rule is inhibited: muted, not resolved
            notice = self._group_step(rule, group, members, now)
            if notice is not None or group.updated_at == now:
                dirty_groups.append(group)
            if notice is not None:
                notices.append(notice)
        if changed or dirty_groups:
            await self.store.save(list(changed.values()), dirty_groups)
        return notices

    def _visible(self, instances: dict[tuple[str, str], Instance]) -> dict[str, list[Instance]]:
        firing = [(self.rules[r], i) for (r, _), i in instances.items() if r in self.rules and i.state == "firing"]
        critical = {(rule.group_kind, i.target) for rule, i in firing if rule.severity == "critical"}
        out: dict[str, list[Instance]] = {}
        for rule, inst in firing:
            if rule.severity != "critical" and (rule.group_kind, inst.target) in critical:
                continue  # inhibited by a critical alert of the same kind on the same target
            out.setdefault(rule.name, []).append(inst)
        return out

    def _group_step(self, rule: Rule, g: Group, members: list[Instance], now: float) -> Notice | None:
        silenced = g.silenced(now)
        views = tuple(
            AlertView(i.target, i.value, i.fired_at, rule.describe(i.value or 0.0, i.target))
            for i in sorted(members, key=lambda i: i.target)
        )
        if not members:
            if g.state != "firing":
                return None
            g.state, g.resolved_at, g.updated_at, g.members = "resolved", now, now, []
            g.rendered = None
            if not g.refs:
                return None  # nothing was ever shown (silenced or undeliverable): nothing to close
            g.last_sent_at = now
            return self._notice(rule, g, "resolved", views, now)
        targets = sorted(i.target for i in members)
        digest = hashlib.sha1(json.dumps([targets, g.acked_by, g.acked_at]).encode()).hexdigest()
        if g.state != "firing":
            g.state, g.started_at, g.resolved_at, g.updated_at = "firing", now, None, now
            g.members, g.acked_by, g.acked_at, g.refs = targets, None, None, {}
            if silenced:
                return None
            g.last_sent_at, g.rendered = now, digest
            return self._notice(rule, g, "firing", views, now)
        if silenced:
            return None
        if not g.refs and now - (g.last_sent_at or 0.0) >= min(RETRY_SECONDS, rule.repeat_seconds):
            # never delivered (silenced at the start, or every target failed): post it now
            g.last_sent_at, g.rendered, g.members, g.updated_at = now, digest, targets, now
            return self._notice(rule, g, "firing", views, now)
        if digest != g.rendered:
            g.rendered, g.members, g.updated_at = digest, targets, now
            return self._notice(rule, g, "update", views, now)
        if g.acked_by is None and now - (g.last_sent_at or now) >= rule.repeat_seconds:
            g.last_sent_at, g.updated_at = now, now
            return self._notice(rule, g, "reminder", views, now)
        return None

    @staticmethod
    def _notice(rule: Rule, g: Group, action: str, views: tuple[AlertView, ...], now: float) -> Notice:
        return Notice(rule, action, views, g.started_at, now, dict(g.refs), g.acked_by, g.acked_at, g.silenced_until)

    async def active(self) -> list[ActiveAlert]:
        """Pending, firing and inhibited alerts with their group's ack and silence, for /alerts and /status."""
        instances, groups = await self.store.load()
        visible = {(i.rule, i.target) for members in self._visible(instances).values() for i in members}
        out: list[ActiveAlert] = []
        for (rname, target), inst in sorted(instances.items()):
            if rname not in self.rules or inst.state not in ("pending", "firing"):
                continue
            g = groups.get(rname) or Group(rname)
            state = inst.state if inst.state == "pending" or (rname, target) in visible else "inhibited"
            since = inst.pending_since if state == "pending" else inst.fired_at
            out.append(ActiveAlert(self.rules[rname], state, target, inst.value, since, g.acked_by, g.silenced_until))
        return out

    async def silences(self) -> dict[str, Group]:
        now = self.clock()
        _, groups = await self.store.load()
        return {r: g for r, g in groups.items() if g.silenced(now)}


def _step(inst: Instance, rule: Rule, active: bool, value: float | None, now: float) -> bool:
    """Advance one alert; True when its stored state changed."""
    before = (inst.state, inst.value)
    inst.value = value
    if active:
        if inst.state in ("inactive", "resolved"):
            inst.state, inst.pending_since, inst.fired_at, inst.resolved_at = "pending", now, None, None
        if inst.state == "pending" and now - (inst.pending_since or now) >= rule.for_seconds:
            inst.state, inst.fired_at = "firing", now
    elif inst.state == "pending":
        inst.state, inst.pending_since = "inactive", None
    elif inst.state == "firing":
        inst.state, inst.resolved_at = "resolved", now
    # a value change alone is stored only while the alert is live: it is shown in messages and /alerts
    if inst.state != before[0] or (inst.value != before[1] and inst.state in ("pending", "firing")):
        inst.updated_at = now
        return True
    return False
