"""i18n table, value formatting, fonts and wrapping: the pieces every screen draws with."""

from __future__ import annotations

import re
from pathlib import Path

import pygame.freetype

from sandbox import kpi_catalogue as kc
from ui import i18n
from ui.fonts import NO_LINE_START, Fonts, font_path, tokens

UI_DIR = Path(__file__).resolve().parents[2] / "ui"


def test_every_ui_string_has_both_languages() -> None:
    for table in (
        i18n.STRINGS,
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
        i18n.TONES,
        i18n.SPEAKERS,
        i18n.CHANNELS,
        i18n.STAGES,
    ):
        for entry in table.values():
            chars.update("".join(entry.values()))
    for lang in kc.LANGS:  # KPI names and units on the KPI bar and the results tiles
        chars.update("".join(kc.labels(lang).values()))
        chars.update(
            kc.format_delta(k, -1.0, lang) + kc.format_target(k, 1.0, lang) for k in kc.KPI_KEYS
        )
        chars.update(kc.NO_VALUE)
    for source in UI_DIR.rglob("*.py"):
        for literal in re.findall(r'"([^"\n]*)"', source.read_text(encoding="utf-8")):
            chars.update(ch for ch in literal if ord(ch) > 127)
    for bold in (False, True):
        face = pygame.freetype.Font(str(font_path(bold)), 16)
        missing = sorted(ch for ch in chars if ch.isprintable() and face.get_metrics(ch)[0] is None)
        assert not missing, f"glyphs missing from Noto Sans SC: {missing}"


def test_timers_read_like_a_clock() -> None:
    assert i18n.duration(3725) == "1:02:05"
    assert i18n.duration(None) == "–"


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
