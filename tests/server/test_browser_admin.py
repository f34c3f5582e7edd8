"""The admin pages in a real headless Chromium (Debian's, via Playwright) against a real
`shapan serve`: set the secret, log in, publish, issue codes, watch a scripted candidate's row
update live (no reload), open the result. Takes a screenshot of every page in zh-CN and en (a
blank page would fail); with SHAPAN_SAVE_SCREENSHOTS=1 they are saved to docs/screenshots/server/
(the docs' pictures), otherwise to the test's temporary folder.

Skipped when chromium is missing, unless SHAPAN_REQUIRE_BROWSER=1 (CI), which fails instead.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from sandbox.server.client import ExamClient
from tests.server.live_server import ROOT, offline_journal, take_exam

CHROMIUM = "/usr/bin/chromium"
DOC_SHOTS = ROOT / "docs" / "screenshots" / "server"
SHOTS = DOC_SHOTS
SECRET = "browser test secret"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def _browser_or_skip() -> Any:
    required = os.environ.get("SHAPAN_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            pytest.fail("SHAPAN_REQUIRE_BROWSER=1 but playwright is not installed")
        pytest.skip("playwright is not installed")
    if not Path(CHROMIUM).exists():
        if required:
            pytest.fail(f"SHAPAN_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
        pytest.skip(f"no chromium at {CHROMIUM}")
    return sync_playwright


@pytest.fixture(autouse=True)
def _shots_folder(tmp_path: Path) -> Any:
    """Screenshots go to the docs only when asked (they change with every run's times)."""
    global SHOTS
    SHOTS = DOC_SHOTS if os.environ.get("SHAPAN_SAVE_SCREENSHOTS") == "1" else tmp_path / "shots"
    yield
    SHOTS = DOC_SHOTS


def _shot(page: Any, name: str, lang: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}-{lang}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5000, f"{path} looks blank"


def _submit(page: Any, selector: str) -> None:
    """Click a button or link and wait until the page it leads to has loaded."""
    with page.expect_navigation():
        page.click(selector)


def _lang(page: Any, base: str, lang: str) -> None:
    """Use the pages' own language switch (a link in the bar) until the page is in `lang`."""
    if page.locator("html").get_attribute("lang") != lang:
        _submit(page, "a.lang")
    assert page.locator("html").get_attribute("lang") == lang


def test_admin_flow_in_a_real_browser(serve, sqlite_url):
    sync_playwright = _browser_or_skip()
    server = serve(sqlite_url, clock_speed=60)
    base = server.url
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.on(
            "console",
            lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None,
        )

        # first start: the setup page, in the browser's language (zh-CN), then in English
        page.goto(base + "/admin")
        assert page.url.endswith("/admin/setup")
        assert page.locator("h1").inner_text() == "设置管理员口令"
        _shot(page, "setup", "zh-CN")
        _lang(page, base, "en")
        assert page.locator("h1").inner_text() == "Set the administrator secret"
        _shot(page, "setup", "en")
        page.fill("input[name=secret]", SECRET)
        page.fill("input[name=secret2]", SECRET)
        _submit(page, "button[type=submit]")
        assert page.url.endswith("/admin/exams")

        # log out and in again (the login page in both languages)
        _submit(page, "header form button")
        assert page.url.endswith("/admin/login")
        _shot(page, "login", "en")
        _lang(page, base, "zh-CN")
        _shot(page, "login", "zh-CN")
        page.fill("input[name=secret]", "not the secret")
        _submit(page, "button[type=submit]")
        assert page.locator(".error").inner_text() == "口令错误"
        page.fill("input[name=secret]", SECRET)
        _submit(page, "button[type=submit]")
        assert page.url.endswith("/admin/exams")

        # publish a shipped exam, chosen by its title
        _lang(page, base, "en")
        page.select_option("select[name=shipped]", "cs-cert-en")
        _submit(page, "form[action='/admin/exams'] button[type=submit]")
        assert re.search(r"/admin/exams/\d+$", page.url)
        exam_url = page.url
        assert page.locator("h1").inner_text() == "Contact-centre service certification"

        # issue codes: the printable sheet (one card per candidate), in both languages
        page.fill("textarea[name=candidates]", "Ada Lovelace\nGrace Hopper\n<b>Bobby</b>")
        _submit(page, "form[action$='/codes'] button[type=submit]")
        cards = page.locator("article.code-card")
        assert cards.count() == 3
        assert cards.nth(2).locator(".candidate").inner_text() == "<b>Bobby</b>"
        codes = {
            cards.nth(i).locator(".candidate").inner_text(): cards.nth(i)
            .locator(".code")
            .inner_text()
            for i in range(3)
        }
        _shot(page, "codes", "en")
        page.emulate_media(media="print")
        assert not page.locator("header.bar").is_visible()  # the print CSS hides the chrome
        page.emulate_media(media="screen")
        page.goto(exam_url)
        _lang(page, base, "zh-CN")
        page.fill("textarea[name=candidates]", "张伟\n李娜")
        _submit(page, "form[action$='/codes'] button[type=submit]")
        assert page.locator("article.code-card").count() == 2
        assert "考生码" in page.locator("h1").inner_text()
        _shot(page, "codes", "zh-CN")
        page.goto(exam_url)
        _lang(page, base, "en")

        # a scripted candidate takes the exam over HTTP while the page watches
        client = ExamClient(base, codes["Ada Lovelace"])
        form_index = ExamClient(base, codes["Ada Lovelace"]).open()["attempt"]["form_index"]
        journal = offline_journal("cs-cert-en", form_index)
        failure: list[BaseException] = []

        def candidate() -> None:
            try:
                take_exam(client, journal[:12])
                client.finish()
            except BaseException as err:  # reported by the test below
                failure.append(err)

        row = page.locator("#progress tbody tr", has_text="Ada Lovelace")
        assert row.locator("td").nth(2).inner_text() in ("in progress", "not started")
        worker = threading.Thread(target=candidate, daemon=True)
        worker.start()
        page.wait_for_function(
            """() => { const r = [...document.querySelectorAll('#progress tbody tr')]
                  .find(tr => tr.textContent.includes('Ada Lovelace'));
                  return r && Number(r.cells[3].textContent) >= 3; }""",
            timeout=60_000,
        )
        cells = row.locator("td")
        assert cells.nth(2).inner_text() == "in progress"
        assert re.fullmatch(r"customer \d of 6", cells.nth(4).inner_text())
        assert re.fullmatch(r"\d+:\d\d", cells.nth(5).inner_text())
        assert cells.nth(6).inner_text() == "connected"
        _shot(page, "progress", "en")
        _lang(page, base, "zh-CN")
        page.wait_for_function(
            """() => [...document.querySelectorAll('#progress tbody tr')]
                  .some(tr => tr.textContent.includes('在线'))""",
            timeout=30_000,
        )
        _shot(page, "progress", "zh-CN")
        _lang(page, base, "en")
        # the row follows the attempt to its end without a reload
        page.wait_for_function(
            """() => { const r = [...document.querySelectorAll('#progress tbody tr')]
                  .find(tr => tr.textContent.includes('Ada Lovelace'));
                  return r && r.cells[2].textContent === 'finished'; }""",
            timeout=120_000,
        )
        worker.join(30)
        assert not failure, failure
        assert row.locator("td").nth(3).inner_text() == "12"

        # results: the table (after a reload), then the candidate's result page
        page.reload()
        results = page.locator("#results tbody tr", has_text="Ada Lovelace")
        assert results.locator("td").nth(2).inner_text() in ("pass", "fail")
        _shot(page, "exam", "en")
        _lang(page, base, "zh-CN")
        _shot(page, "exam", "zh-CN")
        with page.expect_navigation():
            page.locator("#results tbody tr", has_text="Ada Lovelace").locator("a").click()
        assert re.search(r"/admin/attempts/\d+$", page.url)
        assert "Ada Lovelace" in page.content()
        _shot(page, "result", "zh-CN")
        with page.expect_navigation():
            page.locator("nav.shapan-admin-bar a").nth(1).click()  # the language switch
        assert "Ada Lovelace" in page.content()
        _shot(page, "result", "en")

        # the exams list and the report, in both languages
        page.goto(base + "/admin/exams")
        _lang(page, base, "en")
        assert page.locator("table.grid tbody tr").count() == 1
        _shot(page, "exams", "en")
        _lang(page, base, "zh-CN")
        _shot(page, "exams", "zh-CN")
        page.goto(exam_url + "/report")
        _shot(page, "report", "zh-CN")
        with page.expect_navigation():
            page.locator("nav.shapan-admin-bar a").nth(1).click()
        _shot(page, "report", "en")

        # no script error, no CSP violation (the wrong secret's 401 is the one expected error)
        errors = [e for e in errors if not ("/admin/login" in e and "status of 401" in e)]
        assert not errors, errors
        browser.close()
