"""The knowledge push at the desk (issue 16, "精准滴灌"): when the trainee repeats a kind of
mistake, the Session's snapshot carries a learning pack (`sandbox.weak_spots`; practice mode
only). This panel shows it over the knowledge and alerts column until dismissed (the close
button or Enter); every new push (`n`) shows again. Exam and timed desks never show it.

Everything drawn comes from the snapshot's `learning_pack`: the kind of mistake in words, how
often it happened, and the pack's parts (micro-lesson, FAQ, case, compliance point) by title
and text — never a raw id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sandbox.weak_spots import entry_title
from ui import theme
from ui.widgets.base import Button, blit_text, blit_wrapped, draw_button, draw_panel, hit

if TYPE_CHECKING:  # pragma: no cover
    import pygame

    from ui.app import App

WORDS: dict[str, dict[str, str]] = {
    "title": {"zh-CN": "学习包：同类失误又出现了", "en": "Learning pack: the same mistake again"},
    "count": {
        "zh-CN": "{label}：最近 {window} 通内第 {count} 次",
        "en": "{label}: {count} times within the last {window} contacts",
    },
    "close": {"zh-CN": "知道了 (Enter)", "en": "Got it (Enter)"},
}


def _w(key: str, lang: str) -> str:
    return WORDS[key].get(lang, WORDS[key]["en"])


def _pick(text: Mapping[str, str] | None, lang: str) -> str:
    if not text:
        return ""
    return text.get(lang) or text.get("en") or next(iter(text.values()), "")


class LearningPackPanel:
    """The dismissible panel; the desk calls `handle_event` first and `draw` last."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.dismissed = 0  # the `n` of the last push closed
        self.rect: Any = None
        self.close_button: Button | None = None
        self.shown: list[str] = []  # what was drawn (for tests)

    def current(self, snap: Mapping[str, Any] | None = None) -> Mapping[str, Any] | None:
        """The push to show, if any: practice mode only, not yet dismissed."""
        if self.app.strict or self.app.mode != "practice":
            return None
        push = (snap if snap is not None else self.app.snapshot).get("learning_pack")
        if not isinstance(push, Mapping) or int(push.get("n") or 0) <= self.dismissed:
            return None
        return push

    def dismiss(self) -> None:
        push = self.current()
        if push is not None:
            self.dismissed = int(push["n"])

    def handle_event(self, event: pygame.event.Event) -> bool:
        import pygame

        if self.current() is None:
            return False
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            self.dismiss()
            return True
        if event.type == pygame.MOUSEBUTTONUP and event.button == 1 and self.rect is not None:
            if self.close_button is not None and hit([self.close_button], event.pos):
                self.dismiss()
                return True
            return bool(self.rect.collidepoint(event.pos))  # a click on the panel stays here
        return False

    def draw(self, surface: pygame.Surface, snap: Mapping[str, Any], lang: str,
             area: pygame.Rect) -> None:  # fmt: skip
        import pygame

        push = self.current(snap)
        self.shown = []
        if push is None:
            self.rect = self.close_button = None
            return
        fonts = self.app.fonts
        self.rect = area
        inner = draw_panel(surface, fonts, area, _w("title", lang), border=theme.WARN, width=2)
        rule = push.get("rule") or {}
        head = _w("count", lang).format(label=_pick(push.get("label"), lang),
                                        count=push.get("count"), window=rule.get("window"))  # fmt: skip
        self.shown.append(head)
        y = blit_wrapped(surface, fonts, head, inner, inner.top, theme.BODY, theme.WARN, True)
        button_h = 30
        body = pygame.Rect(inner.left, y + 4, inner.width, inner.bottom - y - button_h - 12)
        y = body.top
        entries = list(push.get("pack") or ())
        step = fonts.line_height(theme.SMALL)
        titles = [f"{_pick(e.get('label'), lang)} · {entry_title(e, lang)}" for e in entries]
        bold = fonts.line_height(theme.SMALL, True)
        heights = [len(fonts.wrap(t, theme.SMALL, body.width, True)) * bold for t in titles]
        # too little room for every title in full and a line of each body: titles on one line
        one_line = sum(heights) + len(entries) * (step + 4) > body.height
        if one_line:
            heights = [bold] * len(entries)
        for i, entry in enumerate(entries):
            self.shown.append(titles[i])
            if one_line:
                if y + bold <= body.bottom:
                    blit_text(surface, fonts, titles[i], (body.left, y), theme.SMALL, theme.ACCENT,
                              True, max_width=body.width)  # fmt: skip
                y += bold
            else:
                y = blit_wrapped(
                    surface, fonts, titles[i], body, y, theme.SMALL, theme.ACCENT, True
                )
            # the body gets this part's share of what is left once every later part has room
            # for its title and one line: every part stays on screen
            later = sum(heights[i + 1 :]) + (len(entries) - i - 1) * (step + 4)
            room = (body.bottom - y - later) // max(1, len(entries) - i)
            lines = fonts.wrap(_pick(entry.get("body"), lang), theme.SMALL, body.width - 8)
            keep = max(1, min(len(lines), room // step))
            for k, text in enumerate(lines[:keep]):
                if k == keep - 1 and keep < len(lines):
                    text = fonts.ellipsize(text + "…", theme.SMALL, body.width - 8)
                if y + step <= body.bottom:
                    surface.blit(fonts.render(text, theme.SMALL, theme.TEXT), (body.left + 8, y))
                y += step
            y += 4
        rect = pygame.Rect(0, 0, min(200, inner.width), button_h)
        rect.bottomright = (inner.right, inner.bottom)
        self.close_button = Button(rect, _w("close", lang), "dismiss_pack")
        draw_button(surface, fonts, self.close_button, rect.collidepoint(pygame.mouse.get_pos()),
                    theme.SMALL)  # fmt: skip


def weak_spot_rows(results: Mapping[str, Any], lang: str) -> list[tuple[str, tuple[int, int, int]]]:
    """The debrief's lines for the results screen: each top weak spot of a desk session
    (`results["weak_spots"]`) with how often, then its pack's parts by title."""
    label = {"zh-CN": "薄弱点", "en": "Weak spot"}.get(lang, "Weak spot")
    times = {"zh-CN": "{n} 次", "en": "{n} times"}.get(lang, "{n} times")
    rows: list[tuple[str, tuple[int, int, int]]] = []
    for spot in (results.get("weak_spots") or {}).get("top") or ():
        head = f"{label}: {_pick(spot.get('label'), lang)} · {times.format(n=spot.get('count'))}"
        rows.append((head, theme.WARN))
        for entry in spot.get("pack") or ():
            rows.append((f"   {_pick(entry.get('label'), lang)} · {entry_title(entry, lang)}",
                         theme.ACCENT))  # fmt: skip
    return rows
