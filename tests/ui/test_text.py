"""i18n table, value formatting, fonts and wrapping: the pieces every screen draws with."""

from __future__ import annotations

import re
from pathlib import Path

import pygame.freetype

from ui import i18n
from ui.fonts import NO_LINE_START, Fonts, font_path, tokens

UI_DIR = Path(__file__).resolve().parents[2] / "ui"


def test_every_ui_string_has_both_languages() -> None:
    for table in (
        i18n.STRINGS,
        i18n.KPI_LABELS,
        i18n.TONES,
        i18n.SPEAKERS,
        i18n.CHANNELS,
        i18n.STAGES,
    ):
        for key, entry in table.items():
            assert set(entry) == {"zh-CN", "en"}, key
            assert all(entry.values()), key
    assert i18n.t("start", "zh-CN") != i18n.t("start", "en")


def test_every_glyph_we_draw_exists_in_the_bundled_font() -> None:
    """No tofu boxes: every character of the UI strings and of the code's literals is in Noto Sans SC."""
    pygame.freetype.init()
    chars: set[str] = set()
    for table in (
        i18n.STRINGS,
        i18n.KPI_LABELS,
        i18n.TONES,
        i18n.SPEAKERS,
        i18n.CHANNELS,
        i18n.STAGES,
    ):
        for entry in table.values():
            chars.update("".join(entry.values()))
    for source in UI_DIR.rglob("*.py"):
        for literal in re.findall(r'"([^"\n]*)"', source.read_text(encoding="utf-8")):
            chars.update(ch for ch in literal if ord(ch) > 127)
    for bold in (False, True):
        face = pygame.freetype.Font(str(font_path(bold)), 16)
        missing = sorted(ch for ch in chars if ch.isprintable() and face.get_metrics(ch)[0] is None)
        assert not missing, f"glyphs missing from Noto Sans SC: {missing}"


def test_kpi_formatting_reads_like_a_dashboard() -> None:
    assert i18n.format_kpi("service_level", 0.804) == "80%"
    assert i18n.format_kpi("aht_s", 312.4) == "5:12"
    assert i18n.format_kpi("csat_mean", 3.8449) == "3.84"
    assert i18n.format_kpi("risk_points", 3.0) == "3"
    assert i18n.format_kpi("fcr", None) == "–"
    assert i18n.format_kpi("fcr", float("nan")) == "–"
    assert i18n.format_delta("service_level", -0.06) == "−6 pt"
    assert i18n.format_delta("aht_s", 48) == "+48 s"
    assert i18n.kpi_met("aht_s", 300, 360) is True
    assert i18n.kpi_met("fcr", 0.6, 0.7) is False
    assert i18n.kpi_met("fcr", None, 0.7) is None
    assert i18n.duration(3725) == "1:02:05"


def test_pick_falls_back_to_the_other_language() -> None:
    assert i18n.pick({"zh-CN": "你好", "en": "hello"}, "en") == "hello"
    assert i18n.pick({"zh-CN": "你好"}, "en") == "你好"
    assert i18n.pick("plain", "zh-CN") == "plain"
    assert i18n.pick(None, "en") == ""
    assert i18n.behaviour_label("calm", "zh-CN") == "冷静安抚"
    assert i18n.risk_label("privacy_breach", "en") == "privacy breach"


def test_tokens_break_cjk_anywhere_and_latin_at_spaces() -> None:
    assert tokens("你好 world again") == ["你", "好", " ", "world ", "again"]
    assert "".join(tokens("mixed 中文 text")) == "mixed 中文 text"


def test_wrap_fits_the_width_and_keeps_every_character() -> None:
    fonts = Fonts()
    text = "你们这个月多扣了我两百块！你们就是骗子，我要投诉到底！ You overcharged me 200 yuan this month."
    lines = fonts.wrap(text, 16, 180)
    assert len(lines) > 2
    assert all(fonts.width(line, 16) <= 180 for line in lines)
    assert not any(line[:1] in NO_LINE_START for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for width in range(120, 260, 7):  # closing punctuation never starts a line, at any width
        assert not any(line[:1] in NO_LINE_START for line in fonts.wrap(text, 16, width))
    long_word = "x" * 200
    assert all(fonts.width(line, 16) <= 180 for line in fonts.wrap(long_word, 16, 180))


def test_rendered_text_is_cached() -> None:
    fonts = Fonts()
    first = fonts.render("预测满意度", 16, (255, 255, 255))
    count = fonts.renders
    again = fonts.render("预测满意度", 16, (255, 255, 255))
    assert again is first and fonts.renders == count
    assert first.get_width() > 40  # five real glyphs, not an empty surface
    assert fonts.ellipsize("a very long label indeed", 14, 60).endswith("…")
