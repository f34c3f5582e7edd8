"""Colours, sizes and the pygame_gui theme: one place so every screen looks the same."""

from __future__ import annotations

from typing import Any

from ui.fonts import font_path

Color = tuple[int, int, int]

BG: Color = (22, 27, 34)
PANEL: Color = (33, 40, 50)
PANEL_ALT: Color = (41, 49, 61)
BORDER: Color = (62, 74, 90)
TEXT: Color = (225, 230, 237)
MUTED: Color = (140, 152, 168)
DIM: Color = (95, 105, 118)
ACCENT: Color = (77, 163, 255)
GOOD: Color = (72, 199, 116)
WARN: Color = (245, 180, 60)
BAD: Color = (240, 82, 82)
VIP: Color = (214, 168, 60)
CUSTOMER: Color = (255, 214, 153)
AGENT: Color = (150, 205, 255)
SYSTEM: Color = (170, 170, 190)
SELECTED: Color = (48, 78, 120)
HOVER: Color = (55, 66, 82)

CHANNEL_COLORS: dict[str, Color] = {
    "phone": (110, 190, 255),
    "chat": (150, 220, 140),
    "email": (220, 170, 255),
}
OUTCOME_COLORS: dict[str, Color] = {
    "resolved": GOOD,
    "sale": (60, 210, 200),
    "escalated": WARN,
    "transferred": (160, 160, 220),
    "callback_promised": (180, 200, 120),
    "customer_hung_up": BAD,
    "compliance_breach": (200, 60, 140),
    "unresolved": (200, 120, 90),
    "abandoned": (120, 120, 120),
}

# font sizes
SMALL = 14
BODY = 16
LARGE = 20
TITLE = 26
HUGE = 34

PAD = 8
MIN_SIZE = (1024, 600)
DEFAULT_SIZE = (1280, 720)


def _hex(c: Color) -> str:
    return "#{:02x}{:02x}{:02x}".format(*c)


def gui_theme() -> dict[str, Any]:
    """pygame_gui theme: Noto Sans SC for every element and the desk colours."""
    font = {
        "name": "noto_sans_sc",
        "size": str(BODY),
        "regular_path": str(font_path(False)),
        "bold_path": str(font_path(True)),
        "italic_path": str(font_path(False)),
        "bold_italic_path": str(font_path(True)),
    }
    colours = {
        "normal_bg": _hex(PANEL_ALT),
        "hovered_bg": _hex(HOVER),
        "selected_bg": _hex(SELECTED),
        "active_bg": _hex(SELECTED),
        "dark_bg": _hex(PANEL),
        "normal_text": _hex(TEXT),
        "hovered_text": _hex(TEXT),
        "selected_text": _hex(TEXT),
        "active_text": _hex(TEXT),
        "normal_border": _hex(BORDER),
        "hovered_border": _hex(ACCENT),
        "selected_border": _hex(ACCENT),
        "active_border": _hex(ACCENT),
        "text_cursor": "#ffffff",
    }
    per_element = {
        name: {"font": font}
        for name in (
            "button",
            "text_entry_line",
            "drop_down_menu",
            "selection_list",
            "text_box",
            "tool_tip",
            "window",
            "horizontal_slider",
            "panel",
        )
    }
    return {
        "defaults": {"font": font, "colours": colours},
        **per_element,
        "label": {"font": font, "colours": {"normal_text": _hex(TEXT), "dark_bg": "#00000000"}},
        "@title": {"font": {**font, "size": str(HUGE), "bold": "1"}},
        "@muted": {"font": {**font, "size": str(SMALL)}, "colours": {"normal_text": _hex(MUTED)}},
        "@selected_mode": {"colours": {"normal_bg": _hex(SELECTED), "normal_border": _hex(ACCENT)}},
        "@start": {
            "font": {**font, "size": str(LARGE), "bold": "1"},
            "colours": {"normal_bg": "#2f7d4a", "hovered_bg": "#389a5a"},
        },
    }
