"""The desk's KPI bar and the results tiles show the KPI catalogue's names and formats.

Why: the screens used to keep their own KPI names (9 of 15 differed from the HTML report's) and
their own number format. Here the real app is driven in both languages and every KPI it draws
is compared with `sandbox.kpi_catalogue`, which the report and the CLI use too
(tests/analytics/test_kpi_catalogue.py).
"""

from __future__ import annotations

from typing import Any

import pygame
import pytest

from sandbox import kpi_catalogue as kc
from tests.ui.conftest import key
from tests.ui.test_play import start_session
from ui import i18n


@pytest.mark.parametrize("lang", kc.LANGS)
def test_kpi_bar_and_results_tiles_come_from_the_catalogue(make_app: Any, lang: str) -> None:
    app = make_app(lang=lang)
    start_session(app)
    app.step_frame(60.0)
    snap = app.snapshot
    assert app.desk.kpi_bar.shown == [
        (k, kc.label(k, lang), kc.format_value(k, snap["kpis"].get(k), lang))
        for k in i18n.LIVE_KPIS
    ]
    key(app, pygame.K_r, frames=2)  # the live results screen
    assert app.screen is app.results
    results = app.results.results
    tiles = app.results.state()["tiles"]
    assert [t["key"] for t in tiles] == list(i18n.RESULT_KPIS)
    for tile in tiles:
        k = tile["key"]
        assert tile["label"] == kc.label(k, lang)
        assert tile["text"] == kc.format_value(k, results["kpis"].get(k), lang)
        row = results["kpi_vs_target"].get(k)
        if row:
            assert tile["met"] == row["met"]
    assert set(i18n.LIVE_KPIS) | set(i18n.RESULT_KPIS) <= set(kc.KPI_KEYS)
