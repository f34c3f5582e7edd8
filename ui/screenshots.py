"""Render the screens to PNG by driving the real UI headless: `python -m ui.screenshots --out DIR`.

Plays a real practice session through `Session` with real key events (the first available option
each time), capturing the start screen, the desk mid-contact in zh-CN and in en, the results
screen and a contact drill-down.
"""

from __future__ import annotations

import argparse
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


def capture(app: Any, out: Path, name: str) -> Path:
    """Save the window as `out/name.png` through the project's one crash-safe writer."""
    import io

    import pygame

    from sandbox.fileio import atomic_write_bytes

    app.step_frame(0.0)
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
            app.max_frame_dt, app.frame_budget_s = 5.0, 0.05
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
