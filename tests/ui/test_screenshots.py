"""`python -m ui.screenshots`: each PNG shows the screen it is named after (its own title and
key-hint pixels), in its language — the committed docs/screenshots and a fresh rendering."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pygame
import pytest

from ui.screenshots import SHOTS, render_all, shows

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def check_folder(folder: Path) -> None:
    pygame.font.init()
    images = {name: pygame.image.load(str(folder / f"{name}.png")) for name in SHOTS}
    for name, image in images.items():
        assert shows(image, name, SHOTS[name]), f"{folder / name}.png does not show {name}"
        for other, lang in SHOTS.items():
            if other != name and not (name.startswith("desk") and other.startswith("desk")):
                assert not shows(image, other, lang), f"{name}.png also passes as {other}"
        other_lang = "en" if SHOTS[name] == "zh-CN" else "zh-CN"
        assert not shows(image, name, other_lang), f"{name}.png is not in {SHOTS[name]}"
    digests = {hashlib.sha256((folder / f"{n}.png").read_bytes()).hexdigest() for n in SHOTS}
    assert len(digests) == len(SHOTS)  # no picture written twice under two names


def test_committed_screenshots_show_their_screens() -> None:
    check_folder(DOCS)


@pytest.fixture
def _tmp_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.mark.usefixtures("_tmp_data")
def test_rendering_writes_every_screen_right(tmp_path: Path) -> None:
    written = render_all(tmp_path / "shots")
    assert [p.stem for p in written] == list(SHOTS)
    check_folder(tmp_path / "shots")
