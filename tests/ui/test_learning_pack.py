"""The knowledge push at the desk (issue 16): a practice desk whose trainee keeps leaking a
caller's data shows the privacy learning pack in a dismissible panel (titles and text, no raw
ids); a timed desk never does. The panel lives in ui/learning_pack.py."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pygame
import pytest

from tests.coaching.test_weak_spots import privacy_scenario  # noqa: F401  (the fixture)
from tests.ui.conftest import click, key
from ui.screens.desk import human_contact

DOC_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "training-effect"


def _leak_until_pushed(app: Any, frames: int = 3000) -> bool:
    for _ in range(frames):
        app.step_frame(2.0)
        if app.screen is not app.desk:
            return False
        if app.desk.learning_pack.current() is not None:
            return True
        contact = human_contact(app.snapshot)
        if not contact or not contact.get("awaiting_decision"):
            continue
        views = [c for c in contact["choices"] if c["available"]]
        leak = next((c for c in views if "disclose_private" in c["behaviours"]), views[0])
        key(app, getattr(pygame, f"K_{leak['number']}"))
    return False


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_desk_shows_the_pack_until_dismissed(
    make_app: Any,
    privacy_scenario: Path,  # noqa: F811
    lang: str,
    tmp_path: Path,
) -> None:
    app = make_app(scenario=str(privacy_scenario), scenarios=[str(privacy_scenario)],
                   trainee="Ann", skip_start=True, lang=lang)  # fmt: skip
    for _ in range(3):
        app.step_frame(0.0)
    assert app.screen is app.desk
    assert _leak_until_pushed(app)
    app.step_frame(0.0)
    panel = app.desk.learning_pack
    shown = " | ".join(panel.shown)
    if lang == "en":
        assert "privacy breach" in shown and "Knowing the details is not being the person" in shown
        assert "FAQ · Can a family member" in shown and "Case · Case:" not in shown
        assert (
            "Case · a well-meant leak of call records" in shown and "Compliance point · " in shown
        )
    else:
        assert "隐私泄露" in shown and "微课 · 知道信息不等于是本人" in shown
        assert "案例 · 一次“好心”的通话记录泄露" in shown and "合规要点 · " in shown
    assert "kb." not in shown and "privacy_breach" not in shown
    # the picture for docs/training-effect.md (SHAPAN_SAVE_SCREENSHOTS=1 writes it there)
    shots = DOC_SHOTS if os.environ.get("SHAPAN_SAVE_SCREENSHOTS") == "1" else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    pygame.image.save(app.window, str(shots / f"desk-learning-pack-{lang}.png"))
    assert (shots / f"desk-learning-pack-{lang}.png").stat().st_size > 20000
    n = app.snapshot["learning_pack"]["n"]
    # a click on the panel stays in the panel; the close button dismisses it
    click(app, panel.rect.center)
    assert panel.current() is not None
    click(app, panel.close_button.rect.center)
    app.step_frame(0.0)
    assert panel.current() is None and panel.dismissed == n and not panel.shown
    # the next push shows again, and Enter dismisses it
    assert _leak_until_pushed(app)
    key(app, pygame.K_RETURN)
    assert panel.current() is None
    # the results screen (the debrief) lists the weak spot with its pack, by name
    app.results.open(live=True)
    app.step_frame(0.0)
    rows = [text for text, _ in app.results._risk_rows(lang)]
    spot = "Weak spot: privacy breach" if lang == "en" else "薄弱点: 隐私泄露"
    assert rows[0].startswith(spot) and "kb." not in " ".join(rows)
    assert any(
        ("Knowing the details" if lang == "en" else "知道信息不等于是本人") in r for r in rows
    )


def test_a_timed_desk_never_shows_it(make_app: Any, privacy_scenario: Path) -> None:  # noqa: F811
    app = make_app(scenario=str(privacy_scenario), scenarios=[str(privacy_scenario)],
                   trainee="Ann", skip_start=True, mode="timed")  # fmt: skip
    for _ in range(3):
        app.step_frame(0.0)
    assert not _leak_until_pushed(app, frames=400)
    leaks = sum("disclose_private" in (d.get("behaviours") or ())
                for c in app.session.results()["contacts"] for d in c["decisions"])  # fmt: skip
    assert leaks >= 2 and app.snapshot.get("learning_pack") is None
