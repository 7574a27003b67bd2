"""Charts render to real PNGs, Japanese labels included, with no missing-glyph warning."""
from __future__ import annotations

import io
import warnings
from zoneinfo import ZoneInfo

import numpy as np
from matplotlib import image as mpimg

from reports import charts

ZONE = ZoneInfo("Asia/Tokyo")
HOURS = [1_800_000_000.0 + 3600 * i for i in range(24)]


def pixels(png: bytes) -> np.ndarray:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return mpimg.imread(io.BytesIO(png), format="png")


def assert_not_blank(png: bytes) -> None:
    img = pixels(png)
    assert img.shape[:2] == (360, 800)
    flat = (img[..., :3] * 255).astype(np.uint32)
    colors = np.unique(flat[..., 0] << 16 | flat[..., 1] << 8 | flat[..., 2])
    assert len(colors) > 20  # axes, text, bars: far more than a blank canvas
    assert (img[..., :3] < 0.5).mean() > 0.005  # some dark ink (text, lines)


def test_japanese_labels_render_without_missing_glyphs() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart = charts.executions_chart(HOURS, {"COMPLETED": list(range(24)), "FAILED": [1] * 24}, ZONE, "ja")
        extra = charts.cost_chart({"モデル・日本語": 1.5, "gpt-4o": 0.4}, "ja")
    glyph = [w for w in caught if "missing from font" in str(w.message) or "Glyph" in str(w.message)]
    assert glyph == []
    assert chart.title == "1時間あたりの実行数（状態別）"
    assert_not_blank(chart.png)
    assert_not_blank(extra.png)


def test_each_chart_is_a_distinct_non_blank_png() -> None:
    p50 = [500.0 + i for i in range(24)]
    p95 = [2000.0 + 10 * i for i in range(24)]
    made = [
        charts.executions_chart(HOURS, {"COMPLETED": [5] * 24}, ZONE, "en"),
        charts.latency_chart(HOURS, p50, p95, ZONE, "en"),
        charts.cost_chart({"gpt-4o": 3.0, "gpt-4o-mini": 0.2}, "en"),
        charts.system_chart((HOURS, [30.0] * 24), (HOURS, [60.0] * 24), ZONE, "en", 86400),
    ]
    assert [c.name for c in made] == ["executions", "latency", "cost", "system"]
    for c in made:
        assert_not_blank(c.png)
    assert len({c.png for c in made}) == 4


def test_empty_data_still_renders_a_labelled_chart() -> None:
    c = charts.latency_chart(HOURS, [None] * 24, [None] * 24, ZONE, "ja")
    assert_not_blank(c.png)
