"""The trainer's competition pages, the projector and the debrief against a real `shapan serve`
(uvicorn on localhost, real HTTP): admin-only access (a desk token reads and controls
nothing), the CSRF header on every control, team names with markup shown as text on the
console, the projector, the debrief and its exports; then in a real headless Chromium: the
projector updates within 2 s of a decision without a reload, the trainer opens and closes a
round by clicking, the debrief shows the teams' choices side by side.

Desks are scripted bots playing over the desk API (join, play, claims, decisions) with the same
member sessions the pygame desk runs (`sandbox.league.team_form.member_session`).

Screenshots go to docs/screenshots/competitions/ with SHAPAN_SAVE_SCREENSHOTS=1, otherwise to
the test's temporary folder. Browser tests are skipped when chromium is missing, unless
SHAPAN_REQUIRE_BROWSER=1 (CI), which fails instead.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.server.live_server import ROOT, Admin, Answer, first_sse_event, post_json, request

SECRET = "league pages secret"
HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>"]
DOC_SHOTS = ROOT / "docs" / "screenshots" / "competitions"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


# --- scripted desks over HTTP ------------------------------------------------------------------


class _Claims:
    """The member session's claims source: each claim is a POST (the server allocates)."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.answers: dict[int, dict[str, Any]] = {}

    def reserve(self, n: int, t: float) -> None:
        got = self.desk.post("/api/v1/league/claims", {"n": n, "t": t})
        assert got.status == 200, got.text
        self.answers[n] = got.json()

    def take(self, n: int) -> tuple[int, float] | None:
        a = self.answers[n]
        return None if a["k"] is None else (a["k"], a["ring_at"])


class Desk:
    """One member's desk: joins with its team code, plays the open round with a policy."""

    def __init__(self, base: str, code: str, policy: str, seed: int) -> None:
        self.base = base
        joined = post_json(base + "/api/v1/league/join", {"code": code})
        assert joined.status == 200, joined.text
        self.token = joined.json()["token"]
        self.policy = policy
        self.rng = random.Random(seed)
        self.session: Any = None
        self.seq = 0
        self.due: dict[tuple[str, int], float] = {}

    def post(self, path: str, doc: Any) -> Answer:
        return post_json(self.base + path, doc, self.token)

    def get(self, path: str) -> Answer:
        return request(self.base + path, headers={"Authorization": f"Bearer {self.token}"})

    def start(self, comp: Any) -> None:
        from sandbox.league.team_form import member_session

        play = self.post("/api/v1/league/play", {})
        assert play.status == 200, play.text
        p = play.json()["play"]
        self.session = member_session(comp, p["round"], p["limit_s"], _Claims(self))

    def step(self, think_s: float = 20.0, *, decide: bool = True) -> bool:
        """Run the session to the server's clock and make at most one due decision (each
        decision `think_s` session seconds after its prompt). True when it decided."""
        from journeys.policies import choose

        state = self.get("/api/v1/league/state").json()
        rnd = state["round"]
        if rnd is None or rnd["status"] != "open" or rnd["server_now_s"] is None:
            return False
        s = self.session
        s.run_until(min(rnd["server_now_s"], s.end))
        if not decide:
            return False
        for pending in s.pending_decisions():
            cid = pending["contact_id"]
            due = self.due.setdefault((cid, len(s.decision_log)), s.now + think_s)
            if due <= rnd["server_now_s"]:
                choice = choose(self.policy, s.center.active[cid].play.run, self.rng)
                self.seq += 1
                ack = self.post("/api/v1/league/decisions", {"seq": self.seq, "t": s.now,
                                "contact_id": cid, "choice_id": choice})  # fmt: skip
                assert ack.status == 200, ack.text
                s.decide(cid, choice)
                return True
        return False


def play_for(desks: list[Desk], wall_s: float) -> int:
    """Step every desk for about `wall_s` seconds; the number of decisions made."""
    made = 0
    end = time.monotonic() + wall_s
    while time.monotonic() < end:
        for d in desks:
            made += int(d.step())
        time.sleep(0.05)
    return made


def competition(ref: str) -> Any:
    from sandbox.league.loader import load_competition

    return load_competition(ref)


# --- the trainer over HTTP ----------------------------------------------------------------------


_DATA_CSRF = re.compile(r'data-csrf="([^"]+)"')
_CODE = re.compile(r'<dd class="code">([^<]+)</dd>')


def admin_for(server: Any, lang: str = "en") -> Admin:
    admin = Admin(server.url, lang=lang)
    assert admin.login(SECRET).status == 303
    return admin


def create(admin: Admin, shipped: str) -> tuple[int, str]:
    """Create a shipped competition; its pk and the code sheet's HTML."""
    sheet = admin.post("/admin/competitions", {"shipped": shipped, "path": ""},
                       csrf_from="/admin/competitions")  # fmt: skip
    assert sheet.status == 200, sheet.text
    m = re.search(r'href="/admin/competitions/(\d+)"', sheet.text)
    assert m, sheet.text
    return int(m.group(1)), sheet.text


def control(admin: Admin, pk: int, doc: dict[str, Any], csrf: str | None = "page") -> Answer:
    headers = {"Content-Type": "application/json"}
    if csrf == "page":
        m = _DATA_CSRF.search(admin.get(f"/admin/competitions/{pk}").text)
        assert m
        csrf = m.group(1)
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    return request(admin.base + f"/api/v1/league/{pk}/control", "POST",
                   json.dumps(doc).encode(), headers, admin.opener)  # fmt: skip


def first_update(admin: Admin, path: str, timeout: float = 30.0) -> dict[str, Any]:
    """The first `update` event of a live stream."""
    req = urllib.request.Request(admin.base + path)
    with admin.opener.open(req, timeout=timeout) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        update = first_sse_event(r, "update")
    if update is None:
        raise AssertionError("the stream ended without an update")
    return update


@pytest.fixture
def server(serve: Any, sqlite_url: str) -> Any:
    return serve(sqlite_url, clock_speed=30, secret=SECRET)


def signup_hostile(base: str, sheet: str) -> list[str]:
    """Sign up the hostile teams with the sheet's join code; their team codes."""
    m = _CODE.search(sheet)
    assert m, "no join code on the sheet"
    codes = []
    for name in HOSTILE:
        got = post_json(base + "/api/v1/league/signup", {"join_code": m.group(1), "name": name})
        assert got.status == 200, got.text
        codes.append(got.json()["code"])
    return codes


def test_access_csrf_and_hostile_names(server: Any) -> None:
    base = server.url
    # nobody logged in: the pages send to the login, the JSON answers 401
    for path in ("/admin/competitions", "/admin/competitions/1", "/admin/competitions/1/board",
                 "/admin/competitions/1/rounds/0/debrief", "/admin/competitions/1/rounds/0/debrief.csv"):  # fmt: skip
        got = request(base + path)
        assert got.status == 303 and got.headers["location"] == "/admin/login", path
    for path in ("/api/v1/league/1/live", "/api/v1/league/1/events"):
        assert request(base + path).status == 401, path

    admin = admin_for(server)
    listing = admin.get("/admin/competitions")
    assert listing.status == 200 and "class-en" in listing.text
    assert 'href="/admin/competitions"' in admin.get("/admin/exams").text  # the nav link
    pk, sheet = create(admin, "class-en")
    assert "Join code" in sheet and "shown only now" in sheet
    codes = signup_hostile(base, sheet)
    desks = [Desk(base, code, "expert", i) for i, code in enumerate(codes)]

    # a desk's token opens no trainer page, board, stream or control
    for path in (f"/admin/competitions/{pk}", f"/admin/competitions/{pk}/board"):
        assert desks[0].get(path).status == 303, path
    for path in (f"/api/v1/league/{pk}/board", f"/api/v1/league/{pk}/live",
                 f"/api/v1/league/{pk}/events", f"/api/v1/league/{pk}/stream"):  # fmt: skip
        assert desks[0].get(path).status == 401, path
    assert (
        desks[0].post(f"/api/v1/league/{pk}/control", {"action": "open", "round": 0}).status == 401
    )

    # the control needs the CSRF header of the trainer's page
    assert control(admin, pk, {"action": "open", "round": 0}, csrf=None).status == 403
    assert control(admin, pk, {"action": "open", "round": 0}, csrf="x" * 40).status == 403
    assert control(admin, pk, {"action": "open", "round": 0}).status == 200
    comp = competition("class-en")
    for d in desks:
        d.start(comp)
    assert play_for(desks, 12.0) > 0

    console = admin.get(f"/admin/competitions/{pk}")
    assert console.status == 200
    assert "'unsafe-inline'" not in console.headers["content-security-policy"]
    for name in HOSTILE:
        assert name not in console.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in console.text
    assert "&lt;img src=x onerror=alert(2)&gt;" in console.text
    projector = admin.get(f"/admin/competitions/{pk}/board?lang=zh-CN")
    assert projector.status == 200 and 'lang="zh-CN"' in projector.text
    assert '<script src="/static/league-board.js"' in projector.text

    # the live channel: the board with its display strings, the names as plain data
    doc = first_update(admin, f"/api/v1/league/{pk}/live?view=public&lang=en")
    names = {r["name"] for r in doc["board"]["rows"]}
    assert names == set(HOSTILE)
    for row in doc["board"]["rows"]:
        assert set(row["display"]["items"]) == {c["kpi"] for c in doc["board"]["columns"]}
    assert doc["state"]["rounds"][0]["status"] == "open" and "teams" not in doc["state"]
    trainer = first_update(admin, f"/api/v1/league/{pk}/live?view=trainer&lang=zh-CN")
    assert {t["name"] for t in trainer["state"]["teams"]} == set(HOSTILE)
    assert admin.get(f"/api/v1/league/{pk}/events").status == 200

    # frozen: the public view has no events (the trainer's has them all)
    assert control(admin, pk, {"action": "freeze"}).status == 200
    assert admin.get(f"/api/v1/league/{pk}/events").json() == {"events": []}
    assert first_update(admin, f"/api/v1/league/{pk}/live")["events"] == []
    assert control(admin, pk, {"action": "unfreeze"}).status == 200

    # the debrief: a round not played yet is refused; the played one shows names as text
    assert admin.get(f"/admin/competitions/{pk}/rounds/1/debrief").status == 409
    assert admin.get(f"/admin/competitions/{pk}/rounds/9/debrief").status == 404
    assert control(admin, pk, {"action": "close", "round": 0}).status == 200
    page = admin.get(f"/admin/competitions/{pk}/rounds/0/debrief")
    assert page.status == 200
    assert "script-src" not in page.headers["content-security-policy"]
    for answer in (page, admin.get(f"/admin/competitions/{pk}/rounds/0/debrief.html")):
        for name in HOSTILE:
            assert name not in answer.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text
    download = admin.get(f"/admin/competitions/{pk}/rounds/0/debrief.html")
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "shapan-admin-bar" not in download.text  # the file stands alone
    csv_answer = admin.get(f"/admin/competitions/{pk}/rounds/0/debrief.csv")
    assert csv_answer.headers["content-type"].startswith("text/csv")
    assert csv_answer.headers["content-disposition"].startswith("attachment;")
    for name in HOSTILE:  # plain text cells (no formula prefix needed for these)
        assert name in csv_answer.text


# --- in a real browser ------------------------------------------------------------------------


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


def _shots(tmp_path: Path) -> Path:
    if os.environ.get("SHAPAN_SAVE_SCREENSHOTS") == "1":
        return DOC_SHOTS
    return tmp_path / "shots"


def _shot(page: Any, folder: Path, name: str, *, full: bool = True) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    assert path.stat().st_size > 5000, f"{path} looks blank"


def _login(page: Any, base: str) -> None:
    page.goto(base + "/admin/login")
    page.fill("input[name=secret]", SECRET)
    with page.expect_navigation():
        page.click("button[type=submit]")


def _errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def _until(page: Any, expression: str, timeout: float) -> float:
    """Poll a JavaScript expression (page.evaluate, which the page's CSP allows, unlike
    wait_for_function's eval) until it is true; the seconds it took."""
    start = time.monotonic()
    while not page.evaluate(expression):
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not true within {timeout:g} s: {expression}")
        time.sleep(0.02)
    return time.monotonic() - start


def _version(page: Any, selector: str) -> int:
    return int(page.get_attribute(selector, "data-version") or -1)


def test_trainer_and_projector_in_a_real_browser(server: Any, tmp_path: Path) -> None:
    sync_playwright = _browser_or_skip()
    base = server.url
    shots = _shots(tmp_path)
    admin = admin_for(server, "zh-CN")
    pk, sheet = create(admin, "class-zh")
    codes = _CODE.findall(sheet)
    assert len(codes) == 6
    policies = ["expert", "competent", "novice", "expert", "competent", "novice"]
    desks = [Desk(base, code, policies[i], i) for i, code in enumerate(codes)]
    comp = competition("class-zh")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
        trainer = ctx.new_page()
        trainer_errors = _errors(trainer)
        _login(trainer, base)
        trainer.goto(f"{base}/admin/competitions/{pk}")
        trainer.wait_for_selector("#console[data-version]")
        trainer.evaluate("window.__noReload = 1")
        # the trainer opens round 1 by clicking; the row turns open from the live channel
        trainer.click('#rounds button[data-action="open"][data-round="0"]')
        trainer.wait_for_selector('#rounds tr.round-open[data-round="0"]', timeout=5000)
        # ... and gives it 10 more minutes (the test's clock runs 30 times faster)
        for minutes in ("15:00", "20:00"):
            trainer.click('#rounds tr[data-round="0"] button[data-seconds="300"]')
            _until(trainer, "document.querySelector('#rounds tr[data-round=\"0\"] .clock')"
                   f".textContent.endsWith('/ {minutes}')", 5.0)  # fmt: skip
        for d in desks:
            d.start(comp)

        projector = ctx.new_page()
        projector_errors = _errors(projector)
        projector.set_viewport_size({"width": 1600, "height": 900})
        projector.goto(f"{base}/admin/competitions/{pk}/board?lang=zh-CN")
        projector.wait_for_selector("#pj-rows tr[data-team]")
        projector.evaluate("window.__noReload = 1")
        assert projector.locator("#pj-rows tr").count() == 6

        # the projector follows each decision within 2 s, without a reload
        lags: list[float] = []
        deadline = time.monotonic() + 90
        while len(lags) < 3 and time.monotonic() < deadline:
            decided = None
            for d in desks:  # let every desk catch up (claims) before measuring
                d.step(decide=False)
            quiet_until = time.monotonic() + 0.8
            while time.monotonic() < quiet_until:
                time.sleep(0.05)
            before = _version(projector, "#projector")
            for d in desks:
                if d.step(think_s=5.0):
                    decided = time.monotonic()
                    break
            if decided is None:
                time.sleep(0.2)
                continue
            _until(projector, "Number(document.getElementById('projector')"
                   f".getAttribute('data-version')) > {before}", 2.0)  # fmt: skip
            lags.append(time.monotonic() - decided)
        assert len(lags) == 3, "no decisions to observe"
        assert max(lags) < 2.0, lags
        # play on so that contacts end and the board, chart and events fill
        play_for(desks, 15.0)
        _until(projector, "Array.from(document.querySelectorAll('#pj-rows td.total'))"
               ".some(td => td.textContent !== '0.0')", 10.0)  # fmt: skip
        assert projector.evaluate("window.__noReload") == 1
        assert projector.locator("#pj-chart svg rect.bar").count() >= 1
        time.sleep(1.0)
        _shot(projector, shots, "board-zh", full=False)
        _shot(trainer, shots, "trainer-zh")

        # the trainer freezes the board; the projector shows the banner
        trainer.click("#btn-freeze")
        projector.wait_for_selector("#pj-frozen:not([hidden])", timeout=5000)
        trainer.click("#btn-unfreeze")
        projector.wait_for_selector("#pj-frozen", state="hidden", timeout=5000)

        # the trainer closes the round by clicking; the debrief link leads to the choices
        trainer.click('#rounds button[data-action="close"][data-round="0"]')
        trainer.wait_for_selector('#rounds tr.round-closed[data-round="0"]', timeout=15000)
        assert trainer.evaluate("window.__noReload") == 1
        with trainer.expect_navigation():
            trainer.click('#rounds tr[data-round="0"] a')
        assert "/rounds/0/debrief" in trainer.url
        side = trainer.locator("section", has_text="同一位客户，各队的选择")
        assert side.count() == 1
        heads = (
            side.locator("table.paths").first.locator("tr").first.locator("th").all_inner_texts()
        )
        assert sum(1 for h in heads if h.endswith("队")) >= 2, heads
        _shot(trainer, shots, "debrief-page-zh")
        assert not trainer_errors and not projector_errors, trainer_errors + projector_errors
        browser.close()


def test_projector_english_hostile_names(server: Any, tmp_path: Path) -> None:
    sync_playwright = _browser_or_skip()
    base = server.url
    shots = _shots(tmp_path)
    admin = admin_for(server)
    pk, sheet = create(admin, "class-en")
    join = _CODE.search(sheet)
    assert join
    names = ["Night Owls", "Blue Harbour", "Quick Fix", *HOSTILE]
    codes = []
    for name in names:
        got = post_json(base + "/api/v1/league/signup", {"join_code": join.group(1), "name": name})
        codes.append(got.json()["code"])
    desks = [
        Desk(base, c, ["expert", "competent", "novice"][i % 3], i) for i, c in enumerate(codes)
    ]
    assert control(admin, pk, {"action": "open", "round": 0}).status == 200
    assert control(admin, pk, {"action": "extend", "round": 0, "seconds": 600}).status == 200
    comp = competition("class-en")
    for d in desks:
        d.start(comp)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = browser.new_context(locale="en-GB", viewport={"width": 1600, "height": 900})
        page = ctx.new_page()
        errors = _errors(page)
        dialogs: list[str] = []

        def on_dialog(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        _login(page, base)
        page.goto(f"{base}/admin/competitions/{pk}/board?lang=en")
        page.wait_for_selector("#pj-rows tr[data-team]")
        play_for(desks, 20.0)
        control(admin, pk, {"action": "announce", "text": "Five minutes left — wrap up!"})
        page.wait_for_selector("#pj-announce:not([hidden])", timeout=5000)
        shown = set(page.locator("#pj-rows td.team .name").all_inner_texts())
        assert shown == set(names)
        assert page.locator("#pj-rows img, #pj-rows script, #pj-chart img").count() == 0
        time.sleep(1.0)
        _shot(page, shots, "board-en", full=False)

        # freeze, the board changes underneath, the reveal shows the rows from the bottom up
        assert control(admin, pk, {"action": "freeze"}).status == 200
        page.wait_for_selector("#pj-frozen:not([hidden])", timeout=5000)
        _shot(page, shots, "board-frozen-en", full=False)
        assert control(admin, pk, {"action": "unfreeze"}).status == 200
        page.wait_for_selector("#projector.revealing", timeout=5000)
        _until(page, "document.querySelectorAll('#pj-rows tr.veiled').length > 0 && "
               "!document.querySelector('#pj-rows tr:last-child').classList.contains('veiled')",
               5.0)  # fmt: skip
        page.wait_for_selector("#projector:not(.revealing)", timeout=15000)

        control(admin, pk, {"action": "close", "round": 0})
        page.goto(f"{base}/admin/competitions/{pk}/rounds/0/debrief")
        assert page.locator("img[src=x]").count() == 0
        _shot(page, shots, "debrief-page-en")
        assert not dialogs and not errors, dialogs + errors
        browser.close()
