"""The report's charts, rendered with matplotlib's Agg canvas straight from data into PNG bytes.

Each chart is its own small Figure (no pyplot, no global state), with margins fixed by hand instead of
a layout engine: the layout pass was the largest single cost measured. Japanese labels use the
IPAexGothic font bundled by matplotlib-fontja, registered once at import.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")
import matplotlib_fontja  # noqa: E402,F401  (registers IPAexGothic and makes it the default family)
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from reports.messages import t  # noqa: E402

matplotlib.rcParams["font.family"] = ["IPAexGothic", "DejaVu Sans"]
matplotlib.rcParams["axes.unicode_minus"] = False  # IPAexGothic has no U+2212

SIZE = (8.0, 3.6)
DPI = 100
STATUS_COLORS = {"COMPLETED": "#2e7d32", "FAILED": "#c62828", "RUNNING": "#1565c0", "PENDING": "#9e9e9e"}

@dataclass(frozen=True, slots=True)
class Chart:
    name: str
    title: str
    png: bytes


def _figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=SIZE, dpi=DPI)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.16)
    return fig, fig.add_subplot(1, 1, 1)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    # zlib level 1: a third of the encoding time of the default for a few % more bytes
    fig.savefig(buf, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def _times(starts: list[float], zone: ZoneInfo) -> list[float]:
    """Plain epoch seconds on the x axis: date locators and converters cost more than the drawing."""
    return starts


def _time_axis(ax: Axes, zone: ZoneInfo, span: float, starts: list[float] | None = None) -> None:
    """Fixed ticks on whole hours (or days) of the report's time zone: no auto-locator pass at draw time."""
    lo, hi = ax.get_xlim()
    if hi <= lo:
        return
    hours = (hi - lo) / 3600
    step_h = next((h for h in (1, 2, 3, 4, 6, 12, 24, 48) if hours / h <= 8), 24 * 7)
    step = step_h * 3600.0
    offset = dt.datetime.fromtimestamp(lo, zone).utcoffset() or dt.timedelta(0)
    first = ((lo + offset.total_seconds()) // step + 1) * step - offset.total_seconds()
    ticks = [first + i * step for i in range(int((hi - first) // step) + 1)]
    fmt = "%m-%d" if step_h >= 24 else ("%m-%d %H:%M" if span > 86400 * 1.5 else "%H:%M")
    ax.set_xticks(ticks, [dt.datetime.fromtimestamp(x, zone).strftime(fmt) for x in ticks])
    ax.set_xlim(lo, hi)
    ax.grid(True, alpha=0.3)


def _empty(ax: Axes, locale: str) -> None:
    ax.text(0.5, 0.5, t("chart.no_data", locale), ha="center", va="center", transform=ax.transAxes, color="#777")


def executions_chart(starts: list[float], by_status: dict[str, list[int]], zone: ZoneInfo, locale: str) -> Chart:
    fig, ax = _figure()
    title = t("chart.executions", locale)
    ax.set_title(title)
    times = _times(starts, zone)
    width = (starts[1] - starts[0]) * 0.9 if len(starts) > 1 else 3000.0
    bottom = [0] * len(starts)
    order = list(STATUS_COLORS)
    for status, counts in sorted(by_status.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 9):
        color = STATUS_COLORS.get(status, "#6d4c41")
        ax.bar(times, counts, width=width, bottom=bottom, label=status.lower(), color=color, align="edge")
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    locator = ax.yaxis.get_major_locator()
    if isinstance(locator, MaxNLocator):  # the default AutoLocator is one: whole counts only
        locator.set_params(integer=True)
    if by_status:
        ax.legend(loc="upper left", fontsize=8, ncols=4)
    else:
        _empty(ax, locale)
    _time_axis(ax, zone, starts[-1] - starts[0] if starts else 0)
    return Chart("executions", title, _png(fig))


def _seconds(ms: list[float | None]) -> list[float]:
    return [x / 1000 if x is not None else float("nan") for x in ms]


def latency_chart(
    starts: list[float], p50: list[float | None], p95: list[float | None], zone: ZoneInfo, locale: str,
) -> Chart:
    fig, ax = _figure()
    title = t("chart.latency", locale)
    ax.set_title(title)
    times = _times(starts, zone)
    ax.plot(times, _seconds(p50), marker=".", label="p50", color="#1565c0")
    ax.plot(times, _seconds(p95), marker=".", label="p95", color="#ef6c00")
    if any(v is not None for v in p95):
        ax.legend(loc="upper left", fontsize=8)
    else:
        _empty(ax, locale)
    ax.set_ylim(bottom=0)
    _time_axis(ax, zone, starts[-1] - starts[0] if starts else 0)
    return Chart("latency", title, _png(fig))


def cost_chart(costs: dict[str, float], locale: str) -> Chart:
    fig, ax = _figure()
    fig.subplots_adjust(left=0.25)
    title = t("chart.cost", locale)
    ax.set_title(title)
    items = sorted(costs.items(), key=lambda kv: kv[1])[-12:]
    if items:
        ax.barh([k for k, _ in items], [v for _, v in items], color="#6a1b9a")
        for i, (_, v) in enumerate(items):
            ax.text(v, i, f" ${v:.2f}", va="center", fontsize=8)
        ax.set_xlim(0, max(v for _, v in items) * 1.15 or 1)
    else:
        _empty(ax, locale)
    ax.grid(True, axis="x", alpha=0.3)
    return Chart("cost", title, _png(fig))


def system_chart(
    cpu: tuple[list[float], list[float]], mem: tuple[list[float], list[float]], zone: ZoneInfo, locale: str, span: float,
) -> Chart:
    fig, ax = _figure()
    title = t("chart.system", locale)
    ax.set_title(title)
    ax.plot(_times(cpu[0], zone), cpu[1], label=t("chart.cpu", locale), color="#c62828", linewidth=1)
    ax.plot(_times(mem[0], zone), mem[1], label=t("chart.memory", locale), color="#1565c0", linewidth=1)
    ax.set_ylim(0, 100)
    if cpu[0] or mem[0]:
        ax.legend(loc="upper left", fontsize=8)
    else:
        _empty(ax, locale)
    _time_axis(ax, zone, span)
    return Chart("system", title, _png(fig))
