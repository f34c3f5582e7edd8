"""Fonts and cached text rendering.

All text uses the Noto Sans SC faces bundled with pygame_gui so Chinese renders with real glyphs
on every machine. Rendering text is the costliest thing a frame does, so every rendered line and
every word-wrap result is cached: a frame that shows the same text as the last one renders none.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pygame

_CACHE_LIMIT = 6000
#: punctuation that may not start a line (Chinese line breaking rules)
NO_LINE_START = frozenset("，。！？；：、）》」』”’…,.!?;:)")


@lru_cache(maxsize=2)
def font_path(bold: bool = False) -> Path:
    """Path of the bundled Noto Sans SC face (regular or bold)."""
    name = "NotoSansSC-Bold.otf" if bold else "NotoSansSC-Regular.otf"
    path = Path(str(resources.files("pygame_gui.data").joinpath(name)))
    if not path.is_file():  # pragma: no cover - broken install
        raise FileNotFoundError(
            f"{path}: Noto Sans SC missing; reinstall pygame_gui (pip install pygame_gui)"
        )
    return path


def _is_wide(ch: str) -> bool:
    """CJK and full-width characters may break a line anywhere."""
    code = ord(ch)
    return (
        0x2E80 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF
        or 0x3000 <= code <= 0x303F
    )


def tokens(text: str) -> list[str]:
    """Split text into wrap units: single CJK characters, Latin words with trailing spaces."""
    out: list[str] = []
    word = ""
    for ch in text:
        if _is_wide(ch):
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        elif ch == " ":
            word += ch
            out.append(word)
            word = ""
        else:
            if word.endswith(" "):
                out.append(word)
                word = ""
            word += ch
    if word:
        out.append(word)
    return out


class Fonts:
    """Font objects by (size, bold) plus caches of rendered lines and wrapped paragraphs."""

    def __init__(self) -> None:
        import pygame

        if not pygame.font.get_init():
            pygame.font.init()
        self._pygame = pygame
        self._fonts: dict[tuple[int, bool], pygame.font.Font] = {}
        self._lines: dict[tuple[str, int, bool, tuple[int, ...]], pygame.Surface] = {}
        self._wraps: dict[tuple[str, int, bool, int], list[str]] = {}
        self._fits: dict[tuple[str, int, bool, int], str] = {}
        self.renders = 0  # number of real renders, for tests and the benchmark

    def font(self, size: int, bold: bool = False) -> pygame.font.Font:
        key = (size, bold)
        found = self._fonts.get(key)
        if found is None:
            found = self._pygame.font.Font(str(font_path(bold)), size)
            self._fonts[key] = found
        return found

    def render(
        self, text: str, size: int, color: tuple[int, ...], bold: bool = False
    ) -> pygame.Surface:
        """A cached surface of one line of text."""
        key = (text, size, bold, tuple(color))
        surf = self._lines.get(key)
        if surf is None:
            if len(self._lines) > _CACHE_LIMIT:
                self._lines.clear()
            surf = self.font(size, bold).render(text, True, color)
            self._lines[key] = surf
            self.renders += 1
        return surf

    def width(self, text: str, size: int, bold: bool = False) -> int:
        return self.font(size, bold).size(text)[0]

    def line_height(self, size: int, bold: bool = False) -> int:
        return self.font(size, bold).get_linesize()

    def wrap(self, text: str, size: int, max_width: int, bold: bool = False) -> list[str]:
        """Greedy word wrap that breaks Latin text at spaces and CJK text between characters."""
        key = (text, size, bold, max_width)
        found = self._wraps.get(key)
        if found is not None:
            return found
        font = self.font(size, bold)
        lines: list[str] = []
        for para in text.split("\n"):
            line = ""
            for tok in tokens(para):
                trial = line + tok
                overflow = bool(line.strip()) and font.size(trial.rstrip())[0] > max_width
                if overflow and tok in NO_LINE_START and len(line.rstrip()) > 1:
                    # never start a line with closing punctuation: carry the last character over
                    kept = line.rstrip()
                    lines.append(kept[:-1])
                    line = kept[-1] + tok
                elif overflow:
                    lines.append(line.rstrip())
                    line = tok.lstrip()
                else:
                    line = trial
                # a single token wider than the line: cut it by characters
                while font.size(line.rstrip())[0] > max_width and len(line) > 1:
                    cut = len(line) - 1
                    while cut > 1 and font.size(line[:cut])[0] > max_width:
                        cut -= 1
                    lines.append(line[:cut])
                    line = line[cut:]
            lines.append(line.rstrip())
        if len(self._wraps) > _CACHE_LIMIT:
            self._wraps.clear()
        self._wraps[key] = lines
        return lines

    def ellipsize(self, text: str, size: int, max_width: int, bold: bool = False) -> str:
        """Cut text to fit `max_width`, ending with an ellipsis when cut (cached)."""
        key = (text, size, bold, max_width)
        found = self._fits.get(key)
        if found is not None:
            return found
        font = self.font(size, bold)
        if font.size(text)[0] <= max_width:
            found = text
        else:
            lo, hi = 0, len(text)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if font.size(text[:mid] + "…")[0] <= max_width:
                    lo = mid
                else:
                    hi = mid - 1
            found = text[:lo] + "…"
        if len(self._fits) > _CACHE_LIMIT:
            self._fits.clear()
        self._fits[key] = found
        return found
