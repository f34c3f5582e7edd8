"""Render the screens to PNG by driving the real UI headless: `python -m ui.screenshots --out DIR`.

Plays a real practice session through `Session` with real key events (the first available option
each time), capturing the start screen, the desk mid-contact in zh-CN and in en, the results
screen and a contact drill-down. The sim follows every frame's dt in full (no wall-clock budget),
so the pictures do not depend on the machine's speed; and each picture is checked before it is
written (`shows`: the screen's own title and hint pixels), so a wrong one is never written.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def post_key(key: int, unicode: str = "") -> None:
    """Post a real key press and release, as a keyboard would."""
    import pygame

    pygame.event.post(
        pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode=unicode, scancode=0)
    )
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=key, mod=0, unicode=unicode, scancode=0))


def post_text(text: str) -> None:
    """Post typed text (what the OS input method delivers)."""
    import pygame

    pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=text))


def contact_waiting(app: Any) -> Mapping[str, Any] | None:
    from ui.screens.desk import human_contact

    contact = human_contact(app.snapshot)
    return contact if contact and contact.get("awaiting_decision") else None


def run_until(app: Any, predicate: Any, dt: float = 1.0, limit: int = 20000) -> bool:
    """Step frames until `predicate(app)` holds; False when the limit is reached."""
    for _ in range(limit):
        if predicate(app):
            return True
        if not app.step_frame(dt):
            return False
    return predicate(app)


def decide_first_available(app: Any) -> bool:
    """Press the number key of the first available option of the waiting contact."""
    import pygame

    contact = contact_waiting(app)
    if contact is None:
        return False
    choice = next(c for c in contact["choices"] if c.get("available", True))
    post_key(getattr(pygame, f"K_{choice['number']}"), str(choice["number"]))
    app.step_frame(0.0)
    return True


#: each picture and the language it is taken in
SHOTS = {
    "start": "zh-CN",
    "desk-zh-CN": "zh-CN",
    "desk-en": "en",
    "scorecard": "en",
    "results": "en",
    "drill-down": "en",
}


def marks(
    name: str, lang: str, size: tuple[int, int]
) -> list[tuple[str, int, bool, Any, str, Any]]:
    """The text only the screen `name` draws, and where: (text, size, bold, colour, anchor,
    position) — the start title, the desk's top bar, the results title with the overview's or
    the drill-down's key hint."""
    from ui import i18n, theme

    w, h = size
    if name == "start":
        top = max(150, h // 2 - 200)
        return [(i18n.t("start_title", lang), theme.HUGE, True, theme.TEXT, "midtop",
                 (w // 2, top - 110))]  # fmt: skip
    if name.startswith("desk") or name == "scorecard":
        title = [(i18n.t("app_title", lang), theme.BODY, False, theme.MUTED, "midleft",
                  (theme.PAD + 4, 23))]  # fmt: skip
        # the desk's centre panel (ui.screens.desk.DeskScreen.on_resize): the scorecard's
        # "next customer" line at its top tells a scorecard from a conversation
        p, body_top = theme.PAD, 46 + 60 + 2 * theme.PAD
        left_w, right_w = max(220, int(w * 0.19)), max(300, int(w * 0.27))
        center_w = w - left_w - right_w - 4 * p
        at = ((2 * p + left_w) + center_w // 2, body_top + 30)
        if name == "scorecard":
            return [*title, (i18n.t("scorecard_next", lang), theme.LARGE, True, theme.ACCENT,
                             "midtop", at)]  # fmt: skip
        # a conversation: the handle-time label at the top right of the centre panel
        corner = (2 * p + left_w + center_w - p, body_top + p)
        return [*title, (i18n.t("handle_time", lang), theme.SMALL, False, theme.MUTED,
                         "topright", corner)]  # fmt: skip
    hint = i18n.t("drill_help" if name == "drill-down" else "contact_list_help", lang)
    hint += " · E " + i18n.t("export", lang).split(" (")[0]
    return [
        (i18n.t("results_title", lang), theme.TITLE, True, theme.TEXT, "topleft",
         (theme.PAD * 2, 10)),
        (hint, theme.SMALL, False, theme.DIM, "center", (w // 2, h - 14)),
    ]  # fmt: skip


def shows(surface: Any, name: str, lang: str, fonts: Any = None) -> bool:
    """Does `surface` show the screen `name` in `lang`? Every solid pixel of its marks must be
    there in the mark's colour (90 % of them, for scaling and blending slack)."""
    import numpy as np
    import pygame

    from ui.fonts import Fonts

    fonts = fonts or Fonts()
    size = surface.get_size()
    for text, font_size, bold, color, anchor, pos in marks(name, lang, size):
        img = fonts.render(text, font_size, color, bold)
        rect = img.get_rect(**{anchor: pos})
        if not surface.get_rect().contains(rect):
            return False
        ink = pygame.surfarray.array_alpha(img) == 255
        if ink.sum() < 20:
            return False
        got = pygame.surfarray.array3d(surface.subsurface(rect)).astype(int)
        close = (np.abs(got - np.array(color[:3])) <= 40).all(axis=2)
        if close[ink].mean() < 0.9:
            return False
    return True


def capture(app: Any, out: Path, name: str) -> Path:
    """Save the window as `out/name.png` through the project's one crash-safe writer, once it
    is checked to show the screen it is named after."""
    import io

    import pygame

    from sandbox.fileio import atomic_write_bytes

    app.step_frame(0.0)
    if not shows(app.window, name, SHOTS[name], app.fonts):
        raise RuntimeError(f"{name}.png would not show the {name} screen; nothing written")
    buffer = io.BytesIO()
    pygame.image.save(app.window, buffer, f"{name}.png")
    return atomic_write_bytes(out / f"{name}.png", buffer.getvalue())


def render_all(
    out: Path, scenario: str = "practice", seed: int | None = 7, size: tuple[int, int] = (1280, 720)
) -> list[Path]:
    """Render every screen to `out`; returns the files written."""
    import pygame

    from ui.app import App, PlayOptions

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for lang in ("zh-CN", "en"):
            app = App(
                PlayOptions(
                    scenario=scenario,
                    scenarios=[scenario],
                    lang=lang,
                    seed=seed,
                    size=size,
                    save=Path(tmp) / f"{lang}.json",
                    out_dir=Path(tmp) / f"report-{lang}",
                )
            )
            # the sim follows each frame's dt in full: the same pictures on any machine
            app.max_frame_dt, app.frame_budget_s = 5.0, math.inf
            post_text("张三" if lang == "zh-CN" else "Alex Chen")
            app.step_frame(0.0)
            if lang == "zh-CN":
                written.append(capture(app, out, "start"))
            post_key(pygame.K_RETURN)
            run_until(app, lambda a: a.screen is a.desk, dt=0.0, limit=10)
            app.set_speed(2)
            # decide until a rule triggers (the banner shows) with the next decision waiting
            for _ in range(40):
                if not run_until(
                    app, lambda a: contact_waiting(a) is not None or a.screen is not a.desk, dt=0.5
                ):
                    break
                if app.screen is not app.desk or (
                    app.desk.banners and len(app.session.decision_log) >= 2
                ):
                    break
                decide_first_available(app)
            written.append(capture(app, out, f"desk-{lang}"))
            if lang == "en":
                # the practice room at contact end: the scorecard with the last lines
                for _ in range(200):
                    if not run_until(
                        app,
                        lambda a: (
                            a.desk.scorecard is not None
                            or contact_waiting(a) is not None
                            or a.screen is not a.desk
                        ),
                        dt=0.5,
                    ):
                        break
                    if app.desk.scorecard is not None or app.screen is not app.desk:
                        break
                    decide_first_available(app)
                written.append(capture(app, out, "scorecard"))
                while run_until(
                    app, lambda a: contact_waiting(a) is not None or a.screen is not a.desk, dt=5.0
                ):
                    if app.screen is not app.desk:
                        break
                    decide_first_available(app)
                written.append(capture(app, out, "results"))
                post_key(pygame.K_RETURN)
                written.append(capture(app, out, "drill-down"))
            pygame.display.quit()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ui.screenshots", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    parser.add_argument("--scenario", default="practice")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    for path in render_all(args.out, args.scenario, args.seed):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
