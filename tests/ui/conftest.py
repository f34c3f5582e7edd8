"""Headless pygame: the SDL dummy video driver is chosen before pygame is imported anywhere."""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from pathlib import Path
from typing import Any

import pytest

pygame = pytest.importorskip("pygame")
pytest.importorskip("pygame_gui")


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        if "tests/ui/" in str(item.fspath):
            item.add_marker(pytest.mark.ui)


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Build the real App (real Session) with its save file and report folder in tmp_path
    (and the data folder, where the session-sealing key is made)."""
    from ui.app import App, PlayOptions

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))

    apps: list[Any] = []

    def build(**kw: Any) -> Any:
        opts = {
            "scenario": "practice",
            "scenarios": ["practice"],
            "lang": "en",
            "seed": 7,
            "save": tmp_path / "session.json",
            "out_dir": tmp_path / "report",
        }
        opts.update(kw)
        app = App(PlayOptions(**opts))
        app.max_frame_dt, app.frame_budget_s = 5.0, 0.05
        apps.append(app)
        return app

    yield build
    pygame.display.quit()


def key(app: Any, k: int, unicode: str = "", frames: int = 1) -> None:
    """Press and release a key, then run frames with dt 0 so it is handled."""
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode=unicode, scancode=0))
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=k, mod=0, unicode=unicode, scancode=0))
    for _ in range(frames):
        app.step_frame(0.0)


def click(app: Any, pos: tuple[int, int]) -> None:
    """A real left click (motion, down, up) at `pos`."""
    pygame.event.post(
        pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(0, 0, 0))
    )
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1))
    app.step_frame(0.0)
    app.step_frame(0.0)


def type_text(app: Any, text: str) -> None:
    pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=text))
    app.step_frame(0.0)
