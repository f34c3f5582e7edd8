"""The effect reports in a real headless Chromium (issue 16): every chart loads and is drawn,
Chinese included. `SHAPAN_SAVE_SCREENSHOTS=1` writes the screenshots to
docs/screenshots/training-effect/; otherwise they go to a temporary folder.
Skipped when chromium is missing, unless SHAPAN_REQUIRE_BROWSER=1 (CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sandbox.cli import main
from tests.server.live_server import ROOT
from tests.server.test_browser_admin import ARGS, CHROMIUM, _browser_or_skip
from tests.server.test_trainee_effect import cohorts  # noqa: F401  (the fixture)

DOC_SHOTS = ROOT / "docs" / "screenshots" / "training-effect"


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_cohort_report_opens_in_chromium_with_every_chart_drawn(
    cohorts: str,  # noqa: F811
    tmp_path: Path,
    lang: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sync_playwright = _browser_or_skip()
    from sandbox.server.history import History, add_work
    from tests.server.test_trainee_effect import DAY, T0

    history = History.open(cohorts)
    try:  # exam passes, for the skill-transfer time of the effect matrix
        with history.engine.begin() as conn:
            for who, days in (("rise0", 3.5), ("rise1", 5.0)):
                add_work(conn, who, "exam", at=T0 + days * DAY, label="exam", seed=1,
                         scenario_hash=None, journeys=None, model_version=None, contacts=[],
                         score=82.0, passed=True)  # fmt: skip
    finally:
        history.close()
    page_file = tmp_path / f"cohort-{lang}.html"
    argv = ["cohort", "report", "--group", "rising", "--db", cohorts, "--lang", lang,
            "--html", str(page_file)]  # fmt: skip
    assert main(argv) == 0
    capsys.readouterr()
    shots = DOC_SHOTS if os.environ.get("SHAPAN_SAVE_SCREENSHOTS") == "1" else tmp_path / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(page_file.as_uri())
            sizes = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])"
            )
            # trend lines, radar, and the effect matrix's chart
            assert len(sizes) == 3 and all(ok and w > 300 and h > 300 for ok, w, h in sizes)
            matrix = page.inner_text("section:has(img[alt=matrix])")
            for word in (
                ("知识保持", "技能转化时间", "满意度影响", "成本回收", "不能说明")
                if lang == "zh-CN"
                else (
                    "Knowledge retention",
                    "Skill-transfer time",
                    "CSAT impact",
                    "Cost recovery",
                    "Cannot support",
                )
            ):
                assert word in matrix
            assert page.is_visible("img[alt=matrix]")
            heading = page.inner_text("h1")
            assert heading == (
                "学员群体培训效果报告" if lang == "zh-CN" else "Cohort effect report"
            )
            if lang == "zh-CN":  # the embedded CJK font is used: the heading is not tofu
                assert page.evaluate("document.fonts.check('16px shapan-cjk', '学员')")
            path = shots / f"cohort-report-{lang}.png"
            page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 20000
        finally:
            browser.close()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_practice_plan_opens_in_chromium(
    cohorts: str,  # noqa: F811
    tmp_path: Path,
    lang: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sync_playwright = _browser_or_skip()
    page_file = tmp_path / f"plan-{lang}.html"
    argv = ["trainee", "plan", "rise0", "--db", cohorts, "--lang", lang, "--out", str(page_file)]
    assert main(argv) == 0
    capsys.readouterr()
    shots = DOC_SHOTS if os.environ.get("SHAPAN_SAVE_SCREENSHOTS") == "1" else tmp_path / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            page.goto(page_file.as_uri())
            assert page.inner_text("h1") == (
                "个人练习计划" if lang == "zh-CN" else "Personal practice plan"
            )
            assert page.locator("h3").count() >= 1 and page.locator("tr").count() >= 2
            if lang == "zh-CN":
                assert page.evaluate("document.fonts.check('16px shapan-cjk', '练习')")
            path = shots / f"practice-plan-{lang}.png"
            page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 20000
        finally:
            browser.close()
