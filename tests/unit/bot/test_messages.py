"""bot/'s catalog: complete in English and Japanese, and every lookup in bot/ names a key that exists."""
from __future__ import annotations

from bot.adapters.messages import t
from bot.web_status import render_page
from commands.messages import problems
from tests.catalogs import ROOT, lookup_problems, unused_keys


def test_every_key_has_english_and_japanese_with_the_same_fields() -> None:
    assert problems(t.messages) == []


def test_every_lookup_in_bot_names_a_key_with_the_fields_it_formats() -> None:
    assert lookup_problems("bot", "bot.adapters.messages", t.messages) == []


def test_no_key_is_defined_but_never_used() -> None:
    assert unused_keys(("bot",), t.messages, (ROOT / "bot" / "adapters" / "messages.py",)) == []


def test_the_status_page_speaks_the_report_locale() -> None:
    current = {"values": {}, "alerts": [{"rule": "cpu_high", "severity": "warning", "state": "firing", "target": "",
                                         "value": 97.0, "acked_by": "alice"}]}
    workers = {"queue": {"pending": 2, "running": 1}, "workers": [{}]}
    ja = render_page(current, workers, "24h", "ja")
    assert '<html lang="ja">' in ja and "<h1>chatops ステータス</h1>" in ja
    assert "キュー: 待機 2 件、実行中 1 件 · ワーカー: 1" in ja and "alice が確認済み" in ja and "まだ計測がありません" in ja
    en = render_page(current, workers, "24h")
    assert '<html lang="en">' in en and "queue: 2 pending, 1 running · workers: 1" in en and " · acked by alice" in en
    assert "<li>no active alerts</li>" in render_page({"values": {}, "alerts": []}, workers, "24h")
