"""BI charts drawn with pygame primitives: rubric radar, bars, funnel, timeline, line.

Each function draws straight into a rect; the results screen caches the whole page, so these
run once per page change rather than every frame.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ui import theme

if TYPE_CHECKING:  # pragma: no cover
    import pygame

    from ui.fonts import Fonts


def radar(
    surface: pygame.Surface,
    fonts: Fonts,
    rect: pygame.Rect,
    values: Mapping[str, float],
    labels: Mapping[str, str],
    scale: float = 100.0,
    no_data: str = "—",
) -> list[tuple[float, float]]:
    """A radar of `values` (0..scale) over the keys of `labels`; returns the polygon points.
    An axis without a value (None/NaN) says `no_data` and is left out of the polygon: it never
    collapses to 0 as if the trainee had scored nothing."""
    import pygame

    keys = list(labels)
    n = len(keys)
    if n < 3:
        return []
    cx, cy = rect.center
    # side labels sit left/right of the polygon, top/bottom ones above/below it
    side = [k for i, k in enumerate(keys) if abs(math.sin(2 * math.pi * i / n)) >= 0.3]
    widest = max((fonts.width(f"{labels[k]} 100", theme.SMALL) for k in side), default=0)
    radius = max(10, min(rect.width // 2 - widest - 12, rect.height // 2 - 24))
    for ring in (0.25, 0.5, 0.75, 1.0):
        pts = [
            (
                cx + radius * ring * math.sin(2 * math.pi * i / n),
                cy - radius * ring * math.cos(2 * math.pi * i / n),
            )
            for i in range(n)
        ]
        pygame.draw.polygon(surface, theme.BORDER, pts, 1)
    poly = []
    for i, key in enumerate(keys):
        ang = 2 * math.pi * i / n
        ex, ey = cx + radius * math.sin(ang), cy - radius * math.cos(ang)
        pygame.draw.line(surface, theme.BORDER, (cx, cy), (ex, ey), 1)
        v = values.get(key)
        missing = v is None or v != v
        if not missing:
            frac = max(0.0, min(1.0, float(v) / scale))  # type: ignore[arg-type]
            poly.append((cx + radius * frac * math.sin(ang), cy - radius * frac * math.cos(ang)))
        text = radar_label(labels[key], v, no_data)
        img = fonts.render(text, theme.SMALL, theme.DIM if missing else theme.TEXT)
        lx, ly = cx + (radius + 10) * math.sin(ang), cy - (radius + 10) * math.cos(ang)
        anchor = (
            "midbottom"
            if abs(math.sin(ang)) < 0.3 and math.cos(ang) > 0
            else "midtop"
            if abs(math.sin(ang)) < 0.3
            else ("midleft" if math.sin(ang) > 0 else "midright")
        )
        surface.blit(img, img.get_rect(**{anchor: (int(lx), int(ly))}))
    if len(poly) >= 3:
        overlay = pygame.Surface(rect.size, pygame.SRCALPHA)
        pygame.draw.polygon(
            overlay, (*theme.ACCENT, 90), [(x - rect.left, y - rect.top) for x, y in poly]
        )
        surface.blit(overlay, rect.topleft)
        pygame.draw.polygon(surface, theme.ACCENT, poly, 2)
    elif len(poly) == 2:
        pygame.draw.line(surface, theme.ACCENT, poly[0], poly[1], 2)
    for x, y in poly:
        pygame.draw.circle(surface, theme.ACCENT, (int(x), int(y)), 3)
    return poly


def radar_label(label: str, value: Any, no_data: str = "—") -> str:
    """An axis label: the value rounded, or `no_data` — never a number without evidence."""
    if value is None or value != value:
        return f"{label} {no_data}"
    return f"{label} {round(float(value))}"


def bars(
    surface: pygame.Surface,
    fonts: Fonts,
    rect: pygame.Rect,
    items: Sequence[tuple[str, float]],
    colors: Sequence[tuple[int, int, int]] | None = None,
    value_fmt: str = "{:.0%}",
) -> list[pygame.Rect]:
    """Vertical bars with labels under and values over them; returns the bar rects."""
    import pygame

    if not items:
        return []
    label_h = fonts.line_height(theme.SMALL)
    top, bottom = rect.top + label_h, rect.bottom - label_h - 2
    peak = max((v for _, v in items), default=0.0) or 1.0
    slot = rect.width / len(items)
    out = []
    for i, (name, value) in enumerate(items):
        h = int((bottom - top) * (value / peak)) if value > 0 else 0
        bar = pygame.Rect(
            int(rect.left + i * slot + slot * 0.18), bottom - h, max(2, int(slot * 0.64)), h
        )
        color = colors[i % len(colors)] if colors else theme.ACCENT
        pygame.draw.rect(surface, color, bar, border_radius=3)
        val = fonts.render(value_fmt.format(value), theme.SMALL, theme.TEXT)
        surface.blit(val, val.get_rect(midbottom=(bar.centerx, bar.top - 1)))
        lab = fonts.render(name, theme.SMALL, theme.MUTED)
        surface.blit(lab, lab.get_rect(midtop=(bar.centerx, bottom + 2)))
        out.append(bar)
    pygame.draw.line(surface, theme.BORDER, (rect.left, bottom), (rect.right, bottom))
    return out


def funnel(
    surface: pygame.Surface, fonts: Fonts, rect: pygame.Rect, stages: Sequence[tuple[str, float]]
) -> None:
    """Horizontal funnel: each stage a centred bar proportional to the first stage."""
    import pygame

    if not stages:
        return
    first = stages[0][1] or 1.0
    row = rect.height // len(stages)
    shades = [theme.ACCENT, (90, 180, 200), theme.GOOD, theme.VIP]
    for i, (name, value) in enumerate(stages):
        w = max(4, int(rect.width * 0.62 * (value / first))) if value else 4
        bar = pygame.Rect(0, 0, w, max(8, row - 10))
        bar.midleft = (rect.left, rect.top + i * row + row // 2)
        pygame.draw.rect(surface, shades[i % len(shades)], bar, border_radius=3)
        img = fonts.render(funnel_text(name, value, first, i), theme.SMALL, theme.TEXT)
        surface.blit(img, img.get_rect(midleft=(bar.right + 6, bar.centery)))


def funnel_text(name: str, value: float, first: float, index: int) -> str:
    """A funnel stage's label: count, and its share of the first stage when there is one —
    "offered 0", never "offered 0 0%"."""
    pct = f" {value / first:.0%}" if index and first and value else ""
    return f"{name} {value:.0f}{pct}"


def timeline(
    surface: pygame.Surface,
    fonts: Fonts,
    rect: pygame.Rect,
    items: Sequence[Mapping[str, Any]],
    start: float,
    end: float,
    highlight: Any = None,
) -> list[tuple[Any, pygame.Rect]]:
    """Contacts as bars on a time axis (answered→ended), coloured by outcome; returns hit rects."""
    import pygame

    span = max(1.0, end - start)
    axis_y = rect.bottom - fonts.line_height(theme.SMALL) - 2
    pygame.draw.line(surface, theme.BORDER, (rect.left, axis_y), (rect.right, axis_y))
    for k in range(5):
        x = rect.left + int(rect.width * k / 4)
        pygame.draw.line(surface, theme.BORDER, (x, axis_y), (x, axis_y + 3))
        mins = (span * k / 4) / 60
        img = fonts.render(f"{mins:.0f}′", theme.SMALL, theme.DIM)
        surface.blit(
            img, img.get_rect(midtop=(min(max(x, rect.left + 12), rect.right - 12), axis_y + 2))
        )
    lanes = max(1, (axis_y - rect.top - 4) // 14)
    lane_end = [-1e18] * lanes
    hits = []
    for item in items:
        t0 = float(item.get("answered_at") or item.get("arrived_at") or 0.0)
        t1 = float(item.get("ended_at") or t0)
        x0 = rect.left + int(rect.width * (t0 - start) / span)
        x1 = max(x0 + 3, rect.left + int(rect.width * (t1 - start) / span))
        lane = next((i for i in range(lanes) if lane_end[i] < x0), lanes - 1)
        lane_end[lane] = x1 + 1
        y = axis_y - 6 - lane * 14 - 10
        bar = pygame.Rect(x0, y, min(x1, rect.right) - x0, 10)
        color = theme.OUTCOME_COLORS.get(str(item.get("outcome")), theme.MUTED)
        pygame.draw.rect(surface, color, bar, border_radius=2)
        if item.get("human"):  # the trainee's own contacts stand out (and can be clicked)
            pygame.draw.rect(surface, theme.TEXT, bar, 1, border_radius=2)
        if highlight is not None and item.get("contact_id") == highlight:
            pygame.draw.rect(surface, theme.TEXT, bar.inflate(4, 4), 1, border_radius=2)
        hits.append((item.get("contact_id"), bar))
    return hits


def line(
    surface: pygame.Surface,
    fonts: Fonts,
    rect: pygame.Rect,
    values: Sequence[float],
    lo: float = 1.0,
    hi: float = 5.0,
) -> None:
    """A small line chart (predicted CSAT after each decision) with dots and value labels."""
    import pygame

    pygame.draw.rect(surface, theme.PANEL_ALT, rect, border_radius=4)
    for level in (lo, (lo + hi) / 2, hi):
        y = rect.bottom - 6 - int((rect.height - 12) * (level - lo) / (hi - lo))
        pygame.draw.line(surface, theme.BORDER, (rect.left + 24, y), (rect.right - 4, y))
        img = fonts.render(f"{level:g}", theme.SMALL, theme.DIM)
        surface.blit(img, img.get_rect(midright=(rect.left + 20, y)))
    if not values:
        return
    n = len(values)
    pts = []
    for i, v in enumerate(values):
        x = rect.left + 34 + int((rect.width - 50) * (i / max(1, n - 1)))
        y = rect.bottom - 6 - int((rect.height - 12) * (max(lo, min(hi, v)) - lo) / (hi - lo))
        pts.append((x, y))
    if len(pts) > 1:
        pygame.draw.lines(surface, theme.ACCENT, False, pts, 2)
    for x, y in pts:
        pygame.draw.circle(surface, theme.ACCENT, (x, y), 3)
