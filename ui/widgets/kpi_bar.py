"""The live KPI bar: re-rendered only when the KPI values (or the language/size) change.

Names, formats and target tests come from `sandbox.kpi_catalogue`, like the HTML report's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sandbox import kpi_catalogue as kc
from ui import i18n, theme

if TYPE_CHECKING:  # pragma: no cover
    import pygame

    from ui.fonts import Fonts


class KpiBar:
    """A row of KPI tiles; `shown` holds (key, label, value text) of what is on screen."""

    def __init__(self, fonts: Fonts, keys: tuple[str, ...] = i18n.LIVE_KPIS) -> None:
        self.fonts = fonts
        self.keys = keys
        self.shown: list[tuple[str, str, str]] = []
        self.renders = 0
        self._key: Any = None
        self._surface: pygame.Surface | None = None

    def draw(
        self,
        surface: pygame.Surface,
        rect: pygame.Rect,
        kpis: Mapping[str, Any],
        targets: Mapping[str, Any],
        lang: str,
    ) -> None:
        signature = (
            rect.size,
            lang,
            tuple(kpis.get(k) for k in self.keys),
            tuple(targets.get(k) for k in self.keys),
        )
        if signature != self._key or self._surface is None:
            self._surface = self._render(rect.size, kpis, targets, lang)
            self._key = signature
            self.renders += 1
        surface.blit(self._surface, rect)

    def _render(
        self, size: tuple[int, int], kpis: Mapping[str, Any], targets: Mapping[str, Any], lang: str
    ) -> pygame.Surface:
        import pygame

        surf = pygame.Surface(size)
        surf.fill(theme.BG)
        n = len(self.keys)
        gap = 6
        width = (size[0] - gap * (n - 1)) // n
        self.shown = []
        for i, key in enumerate(self.keys):
            tile = pygame.Rect(i * (width + gap), 0, width, size[1])
            value = kc.format_value(key, kpis.get(key), lang)
            met = kc.met(key, kpis.get(key), targets.get(key))
            edge = theme.BORDER if met is None else (theme.GOOD if met else theme.BAD)
            pygame.draw.rect(surf, theme.PANEL, tile, border_radius=6)
            pygame.draw.rect(surf, edge, tile, 2, border_radius=6)
            label = kc.label(key, lang)
            name = self.fonts.ellipsize(label, theme.SMALL, width - 12)
            surf.blit(
                self.fonts.render(name, theme.SMALL, theme.MUTED), (tile.left + 8, tile.top + 4)
            )
            color = theme.TEXT if met is None else (theme.GOOD if met else theme.BAD)
            img = self.fonts.render(value, theme.LARGE, color, True)
            surf.blit(img, (tile.left + 8, tile.bottom - img.get_height() - 3))
            ttxt = kc.format_target(key, targets.get(key), lang)
            if ttxt:
                timg = self.fonts.render(ttxt, theme.SMALL, theme.DIM)
                if tile.left + 12 + img.get_width() + timg.get_width() < tile.right:
                    surf.blit(
                        timg,
                        (tile.right - timg.get_width() - 8, tile.bottom - timg.get_height() - 5),
                    )
            self.shown.append((key, label, value))
        return surf
