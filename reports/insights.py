"""Anomalies in the hourly series and recommendations, each with the figures behind it."""
from __future__ import annotations

import statistics
from dataclasses import dataclass

from reports.analytics import Analytics, HourPoint, Stat
from reports.messages import t
from reports.sample_store import Bucket

MIN_FINISHED = 20  # fewer executions than this say nothing about a rate


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # error_rate | latency_p95 | throughput_drop | cheaper_model | provider_errors | queue_saturation
    text: str
    figures: dict[str, float | str]


def anomalies(hourly: list[HourPoint], *, error_rate: float = 0.10, drop: float = 0.5, locale: str = "en") -> list[Finding]:
    """Compare the last hour with data against the hours before it."""
    points = [p for p in hourly if p.count]
    if not points:
        return []
    last, before = points[-1], points[:-1]
    out: list[Finding] = []
    finished = last.count - last.by_status.get("PENDING", 0) - last.by_status.get("RUNNING", 0)
    if finished >= MIN_FINISHED and last.failed / finished > error_rate:
        rate = last.failed / finished
        text = t("finding.error_rate", locale, rate=rate, failed=last.failed, finished=finished, limit=error_rate)
        out.append(Finding("error_rate", text, {"error_rate": round(rate, 4), "failed": last.failed, "finished": finished}))
    p95s = [p.p95_ms for p in before if p.p95_ms is not None]
    if last.p95_ms is not None and len(p95s) >= 3:
        mean, sd = statistics.fmean(p95s), statistics.pstdev(p95s)
        if last.p95_ms > max(mean + 3 * sd, mean * 1.5):
            out.append(Finding("latency_p95", t("finding.latency_p95", locale, p95=last.p95_ms / 1000, baseline=mean / 1000),
                               {"p95_ms": round(last.p95_ms, 1), "baseline_ms": round(mean, 1), "stdev_ms": round(sd, 1)}))
    counts = [p.count for p in hourly[:-1]]
    if len(counts) >= 3:
        baseline = statistics.fmean(counts)
        current = hourly[-1].count
        if baseline >= 5 and current < baseline * (1 - drop):
            text = t("finding.throughput_drop", locale, current=current, baseline=baseline, drop=1 - current / baseline)
            out.append(Finding("throughput_drop", text, {"last_hour": current, "baseline_per_hour": round(baseline, 1)}))
    return out


def recommendations(
    a: Analytics, queue: Bucket | None = None, pool_size: float | None = None, locale: str = "en"
) -> list[Finding]:
    out: list[Finding] = []
    by_kind: dict[str, list[Stat]] = {}
    for (kind, _), stat in a.by_command_model.items():
        if stat.finished >= MIN_FINISHED and stat.cost > 0:
            by_kind.setdefault(kind, []).append(stat)
    for kind, stats in sorted(by_kind.items()):
        priciest = max(stats, key=lambda s: s.cost_per_execution)
        for cheap in sorted(stats, key=lambda s: s.cost_per_execution):
            if cheap is priciest or cheap.cost_per_execution > 0.7 * priciest.cost_per_execution:
                continue
            if (cheap.success_rate or 0) >= (priciest.success_rate or 0) - 0.02:
                m_cheap, m_dear = cheap.key.split("/", 1)[1], priciest.key.split("/", 1)[1]
                out.append(Finding(
                    "cheaper_model",
                    t("finding.cheaper_model", locale, command=kind, cheap=m_cheap, cheap_cost=cheap.cost_per_execution,
                      cheap_rate=cheap.success_rate, cheap_n=cheap.finished, dear=m_dear, dear_cost=priciest.cost_per_execution,
                      dear_rate=priciest.success_rate, dear_n=priciest.finished),
                    {"command": kind, "model": m_cheap, "instead_of": m_dear,
                     "cost_per_run": round(cheap.cost_per_execution, 6),
                     "other_cost_per_run": round(priciest.cost_per_execution, 6)},
                ))
                break
    for p in a.by_provider:
        if p.finished >= MIN_FINISHED and (p.success_rate or 1) < 0.9:
            text = t(
                "finding.provider_errors", locale, provider=p.key, failed=p.failed, finished=p.finished,
                rate=1 - (p.success_rate or 0),
            )
            out.append(Finding("provider_errors", text,
                               {"provider": p.key, "failed": p.failed, "finished": p.finished}))
    if queue is not None and queue.count and (queue.avg >= 1 or (pool_size and queue.max >= 2 * pool_size)):
        size = t("finding.pool_size", locale, size=pool_size) if pool_size else ""
        out.append(Finding("queue_saturation",
                           t("finding.queue_saturation", locale, avg=queue.avg, max=queue.max, size=size),
                           {"queue_avg": round(queue.avg, 2), "queue_max": queue.max,
                            **({"pool_size": pool_size} if pool_size else {})}))
    return out
