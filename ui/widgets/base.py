"""Panels, buttons and text helpers shared by the custom-drawn screens.

Buttons are plain data (rect, label, action) rebuilt with the layout; a screen asks
`hit(buttons, pos)` on a mouse click so the mouse and the keyboard reach the same actions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ui import theme

if TYPE_CHECKING:  # pragma: no cover
    import pygame

    from ui.fonts import Fonts


@dataclass
class Button:
    """A clickable region: `action` is what the screen does when it is clicked."""

    rect: Any  # pygame.Rect
    label: str
    action: str
    enabled: bool = True
    active: bool = False
    color: tuple[int, int, int] | None = None


def hit(buttons: Sequence[Button], pos: tuple[int, int]) -> Button | None:
    """The enabled button under `pos`, if any."""
    for button in buttons:
        if button.enabled and button.rect.collidepoint(pos):
            return button
    return None


def draw_button(
    surface: pygame.Surface,
    fonts: Fonts,
    button: Button,
    hovered: bool = False,
    size: int = theme.BODY,
) -> None:
    import pygame

    if not button.enabled:
        bg, fg = theme.PANEL, theme.DIM
    elif button.active:
        bg, fg = theme.SELECTED, theme.TEXT
    else:
        bg, fg = (theme.HOVER if hovered else theme.PANEL_ALT), theme.TEXT
    if button.color and button.enabled:
        bg = button.color
    pygame.draw.rect(surface, bg, button.rect, border_radius=5)
    pygame.draw.rect(
        surface,
        theme.ACCENT if button.active or hovered else theme.BORDER,
        button.rect,
        1,
        border_radius=5,
    )
    text = fonts.ellipsize(button.label, size, button.rect.width - 10)
    img = fonts.render(text, size, fg)
    surface.blit(img, img.get_rect(center=button.rect.center))


def draw_panel(
    surface: pygame.Surface,
    fonts: Fonts,
    rect: pygame.Rect,
    title: str | None = None,
    border: tuple[int, int, int] = theme.BORDER,
    width: int = 1,
) -> pygame.Rect:
    """A rounded panel with an optional title; returns the inner content rect."""
    import pygame

    pygame.draw.rect(surface, theme.PANEL, rect, border_radius=6)
    pygame.draw.rect(surface, border, rect, width, border_radius=6)
    top = rect.top + theme.PAD
    if title:
        img = fonts.render(
            fonts.ellipsize(title, theme.SMALL, rect.width - 16, True),
            theme.SMALL,
            theme.MUTED,
            True,
        )
        surface.blit(img, (rect.left + theme.PAD + 2, top - 2))
        top += img.get_height() + 2
    return pygame.Rect(
        rect.left + theme.PAD, top, rect.width - 2 * theme.PAD, rect.bottom - top - theme.PAD
    )


def blit_text(
    surface: pygame.Surface,
    fonts: Fonts,
    text: str,
    pos: tuple[int, int],
    size: int = theme.BODY,
    color: tuple[int, int, int] = theme.TEXT,
    bold: bool = False,
    max_width: int | None = None,
    anchor: str = "topleft",
) -> pygame.Rect:
    """One line of cached text, cut with an ellipsis to `max_width`."""
    if max_width is not None:
        text = fonts.ellipsize(text, size, max_width, bold)
    img = fonts.render(text, size, color, bold)
    rect = img.get_rect(**{anchor: pos})
    surface.blit(img, rect)
    return rect


def blit_wrapped(
    surface: pygame.Surface,
    fonts: Fonts,
    text: str,
    rect: pygame.Rect,
    y: int,
    size: int = theme.BODY,
    color: tuple[int, int, int] = theme.TEXT,
    bold: bool = False,
    indent: int = 0,
) -> int:
    """Wrapped text inside `rect` starting at `y`; lines below the rect are skipped. Returns the next y."""
    step = fonts.line_height(size, bold)
    for line in fonts.wrap(text, size, rect.width - indent, bold):
        if y + step > rect.bottom:
            return y + step
        if y >= rect.top:
            surface.blit(fonts.render(line, size, color, bold), (rect.left + indent, y))
        y += step
    return y


def meter(
    surface: pygame.Surface, rect: pygame.Rect, fraction: float, color: tuple[int, int, int]
) -> None:
    """A horizontal gauge filled to `fraction` (0..1)."""
    import pygame

    pygame.draw.rect(surface, theme.PANEL_ALT, rect, border_radius=3)
    fill = rect.copy()
    fill.width = max(0, min(rect.width, int(rect.width * fraction)))
    if fill.width:
        pygame.draw.rect(surface, color, fill, border_radius=3)
