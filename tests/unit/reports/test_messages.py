"""reports/' catalog: chart labels and findings complete in English and Japanese, every lookup a real key."""
from __future__ import annotations

from commands.messages import problems
from reports.analytics import HourPoint
from reports.insights import anomalies
from reports.messages import MESSAGES, t
from tests.catalogs import ROOT, lookup_problems, unused_keys


def test_every_key_has_english_and_japanese_with_the_same_fields() -> None:
    assert problems(MESSAGES) == []


def test_every_lookup_in_reports_names_a_key_with_the_fields_it_formats() -> None:
    assert lookup_problems("reports", "reports.messages", MESSAGES) == []


def test_no_key_is_defined_but_never_used() -> None:
    assert unused_keys(("reports",), MESSAGES, (ROOT / "reports" / "messages.py",)) == []


def test_a_japanese_locale_tag_counts_as_japanese() -> None:
    assert t("chart.no_data", "ja-JP") == "データなし" and t("chart.no_data", "de") == "no data"


def test_findings_are_written_in_the_reports_language() -> None:
    hours = [HourPoint(3600.0 * i, {"COMPLETED": 100}, {50: 100}) for i in range(10)]
    hours.append(HourPoint(36000.0, {"COMPLETED": 20, "FAILED": 10}, {70: 30}))
    en = {f.kind: f.text for f in anomalies(hours)}
    ja = {f.kind: f.text for f in anomalies(hours, locale="ja")}
    assert en["error_rate"] == "error rate 33% in the last hour (10/30), above 10%"
    assert en["throughput_drop"] == "30 executions in the last hour against 100/h before (70% down)"
    assert ja["error_rate"] == "直近1時間のエラー率が 33%（10/30）で、しきい値 10% を超えています"
    assert ja["throughput_drop"] == "直近1時間の実行は 30 件で、それまでの 100 件/時から 70% 減っています"
    assert ja.keys() == en.keys()
