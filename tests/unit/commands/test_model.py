from __future__ import annotations

from commands.messages import guess_locale, t
from commands.model import Button, Image, Reply, Section


def test_reply_survives_json_round_trip_with_images_and_buttons() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    reply = Reply(
        sections=[Section("本文", title="タイトル")],
        fields=[("cpu", "12%")],
        images=[Image(png, "chart of CPU", "cpu.png")],
        buttons=[Button("Ack", "alerts", "ack cpu_high", style="primary")],
        in_thread=True,
        ephemeral=True,
        error=True,
        footer="model · 3 tokens",
    )
    again = Reply.from_json(reply.to_json())
    assert again == reply


def test_plain_text_lists_sections_fields_and_footer() -> None:
    reply = Reply(sections=[Section("body", title="Title")], fields=[("a", "1"), ("long key", "2")], footer="end")
    assert reply.plain_text() == "*Title*\nbody\n\na         1\nlong key  2\n\nend"


def test_locale_from_platform_or_from_japanese_text() -> None:
    assert guess_locale("hello") == "en"
    assert guess_locale("こんにちは") == "ja"
    assert guess_locale("hello", "ja-JP") == "ja"
    assert "コマンド" in t("unknown_command", "ja", name="x")
