"""The round debrief from played sessions: side-by-side paths, divergence, the decisions that
moved the scorecard, the rubric radar; its HTML (escaped, self-contained, zh-CN/en, looked at in
a real headless Chromium) and its CSV (formula cells defused).

Screenshots go to the test's temporary folder; with SHAPAN_SAVE_SCREENSHOTS=1 to
docs/screenshots/competitions/ (the docs' pictures). The browser test is skipped when chromium
or playwright is missing, unless SHAPAN_REQUIRE_BROWSER=1, which fails instead.
"""

from __future__ import annotations

import csv
import io
import os
import re
import statistics
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from test_scoring import class_rounds, competition, names, played, team_round

from journeys.vocabulary import RUBRIC
from sandbox.exam.canonical import canonical_bytes
from sandbox.league.debrief import debrief, top_decisions
from sandbox.league.debrief_html import csv_cell, debrief_csv, debrief_html, radar_svg
from sandbox.league.scoring import contact_score, customer_k, team_figures

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
DOC_SHOTS = ROOT / "docs" / "screenshots" / "competitions"
HOSTILE = "<script>alert(1)</script>"


def _debrief(round_index: int = 1, teams: tuple[str, ...] | None = None) -> dict[str, Any]:
    wanted = [tr for tr in class_rounds() if teams is None or tr.team_id in teams]
    all_names = names()
    return debrief(
        competition(), round_index, wanted, {t: all_names[t] for t in (teams or all_names)}
    )


def test_paths_side_by_side_and_where_they_diverge() -> None:
    d = _debrief(1)
    assert [c["k"] for c in d["customers"]] == [1, 2, 3, 4, 5, 6]
    for c in d["customers"]:
        assert [p["team_id"] for p in c["paths"]] == ["t1", "t2", "t3", "t4", "t5"]
        assert len({p["contact_id"] for p in c["paths"]}) == 1  # the same customer id
        keys = {p["team_id"]: [(s["node_id"], s["choice_id"]) for s in p["steps"]]
                for p in c["paths"]}  # fmt: skip
        assert keys["t1"] == keys["t5"]  # the same policy: the same path
        div = c["divergence"]
        assert div is not None  # expert and random play differ on every customer
        step = div["step"]
        # before the divergence every team's (node, choice) is the same; at it, not
        assert len({tuple(p[:step]) for p in keys.values()}) == 1
        at = {p[step] if step < len(p) else None for p in keys.values()}
        assert len(at) > 1 and div["groups"] == len(at)
        assert div["node_id"] == next(p[step][0] for p in keys.values() if step < len(p))
    # the choice texts come from the round's journey definition, in both languages
    jid = d["customers"][0]["journey_id"]
    journey = competition().rounds[1].scenario.journeys[jid]
    step0 = d["customers"][0]["paths"][0]["steps"][0]
    choice = next(c for c in journey.nodes[step0["node_id"]].choices if c.id == step0["choice_id"])
    assert step0["label"] == {"zh-CN": choice.text["zh-CN"], "en": choice.text["en"]}
    # what each path did, from its record
    rec = next(r for r in played(1, "novice")["contacts"] if customer_k(r) == 2)
    novice = next(p for p in d["customers"][1]["paths"] if p["team_id"] == "t3")
    assert novice["outcome"] == rec["outcome"]
    assert novice["csat_mean"] == round(rec["csat_mean"], 4)
    assert novice["churn"] == round(rec["churn"], 4)
    assert novice["risk_points"] == rec["risk_points"]
    assert novice["cross_sell"]["offered"] == bool(rec["cross_sell_offered"])
    assert novice["score"] == round(contact_score(competition(), rec) or 0, 4)


def test_no_divergence_when_the_teams_played_alike() -> None:
    d = _debrief(0, teams=("t1", "t5"))
    assert d["customers"] and all(c["divergence"] is None for c in d["customers"])
    assert d["top_decisions"] == []  # no node where the class chose differently


def test_customers_met_by_one_team_are_left_out() -> None:
    comp = competition()
    t1 = team_round("t1", 0, "expert")
    t2 = team_round("t2", 0, "novice")
    t2 = replace(t2, records=tuple(r for r in t2.records if customer_k(r) in (1, 2)))
    d = debrief(comp, 0, [t1, t2], {"t1": "a", "t2": "b"})
    assert [c["k"] for c in d["customers"]] == [1, 2]
    assert debrief(comp, 0, [t1], {"t1": "a"})["customers"] == []


def test_top_decisions_by_the_matched_estimator() -> None:
    comp = competition()
    d = _debrief(1)
    top = d["top_decisions"]
    assert len(top) == 3
    assert len({(t["journey_id"], t["node_id"]) for t in top}) == 3  # one entry per node
    impacts = [t["impact"] for t in top]
    assert impacts == sorted(impacts, reverse=True)
    # recompute the first by hand: same customer, the choice vs the other choices there
    first = top[0]
    diffs, weights = [], []
    for c in d["customers"]:
        if c["journey_id"] != first["journey_id"]:
            continue
        mine, other = [], []
        for p in c["paths"]:
            choice = next((s["choice_id"] for s in p["steps"] if s["node_id"] == first["node_id"]),
                          None)  # fmt: skip
            if choice == first["choice_id"]:
                mine.append(p["score"])
            elif choice is not None:
                other.append(p["score"])
        if mine and other:
            w = len(mine) * len(other) / (len(mine) + len(other))
            diffs.append(w * (statistics.mean(mine) - statistics.mean(other)))
            weights.append(w)
    assert first["effect"] == pytest.approx(sum(diffs) / sum(weights), abs=1e-3)
    assert first["impact"] == pytest.approx(abs(first["effect"]) * sum(weights), abs=1e-3)
    # the largest mover is the better choice or the worse, with its sign
    assert (first["effect"] > 0) == (first["mean_with"] > first["mean_other"])
    # n limits the list; contacts of unknown customers do not count
    recs = [("t1", r) for r in played(1, "expert")["contacts"]]
    journeys = comp.rounds[1].scenario.journeys
    assert top_decisions(comp, recs, journeys) == []  # one team: nothing to compare
    assert len(top_decisions(comp, _contacts(), journeys, n=1)) == 1


def _contacts() -> list[tuple[str, dict[str, Any]]]:
    return [(tr.team_id, r) for tr in class_rounds((1,)) for r in tr.records]


def test_radar_against_the_class_median() -> None:
    d = _debrief(1)
    radar = d["radar"]
    assert radar["dims"] == list(RUBRIC)
    assert radar["labels"]["empathy"] == RUBRIC["empathy"]
    figs = {tr.team_id: team_figures(tr) for tr in class_rounds((1,))}
    for dim in RUBRIC:
        values = [f[f"rubric.{dim}"] for f in figs.values() if f[f"rubric.{dim}"] is not None]
        assert radar["median"][dim] == pytest.approx(statistics.median(values), abs=1e-4)
    row = next(t for t in radar["teams"] if t["team_id"] == "t3")
    assert row["values"]["empathy"] == pytest.approx(figs["t3"]["rubric.empathy"], abs=1e-4)


def test_debrief_is_deterministic_and_canonical() -> None:
    a = _debrief(1)
    b = debrief(competition(), 1, list(reversed(class_rounds())), names())
    assert canonical_bytes(a) == canonical_bytes(b)
    assert re.fullmatch(r"[0-9a-f]{64}", a["hash"])
    with pytest.raises(ValueError, match="not one of the teams"):
        debrief(competition(), 1, class_rounds(), {"t1": "only"})
    with pytest.raises(ValueError, match="not a round"):
        debrief(competition(), 7, class_rounds(), names())


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_html_is_escaped_self_contained_and_in_the_language(lang: str) -> None:
    page = debrief_html(_debrief(1), lang)
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<link" not in page and "@import" not in page
    assert page.count("<svg") == len(names())  # one radar per team
    assert f'<html lang="{lang}">' in page
    if lang == "zh-CN":
        assert "回合复盘" in page and "分道扬镳" in page
    else:
        assert "Round debrief" in page and "diverged at step" in page
    with pytest.raises(ValueError, match="unknown language"):
        debrief_html(_debrief(1), "fr")


def test_radar_svg_escapes_labels() -> None:
    svg = radar_svg(["<b>", "x", "y"], [50.0, None, 100.0], [60.0, 60.0, 60.0])
    assert "<b>" not in svg and "&lt;b&gt;" in svg


def test_csv_rows_and_formula_cells() -> None:
    d = _debrief(1)
    text = debrief_csv(d, "en")
    contacts_part, teams_part = text.split("\r\n\r\n")
    rows = list(csv.reader(io.StringIO(contacts_part)))
    assert rows[0][:5] == ["round", "customer", "journey", "team_id", "team"]
    assert len(rows) == 1 + sum(len(c["paths"]) for c in d["customers"])
    # the team called =HYPERLINK(...) is defused; the hostile HTML name is plain text
    team_col = [r[4] for r in rows[1:]]
    assert '\'=HYPERLINK("http://x")' in team_col
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r
                   if not re.fullmatch(r"-?\d+(\.\d+)?", cell))  # fmt: skip
    assert HOSTILE in team_col
    team_rows = list(csv.reader(io.StringIO(teams_part)))
    assert team_rows[0][:4] == ["round", "team_id", "team", "score"]
    assert len(team_rows) == 1 + len(names())
    assert debrief_csv(d, "en", "contacts") == contacts_part + "\r\n"
    assert debrief_csv(d, "en", "teams") == teams_part
    assert debrief_csv(d, "zh-CN", "teams").startswith("回合,团队编号,团队,回合得分")
    assert csv_cell("-1+1") == "'-1+1" and csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell(-3.5) == -3.5 and csv_cell("team") == "team"


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


def test_debrief_in_a_real_browser(tmp_path: Path) -> None:
    sync_playwright = _browser_or_skip()
    shots = DOC_SHOTS if os.environ.get("SHAPAN_SAVE_SCREENSHOTS") == "1" else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    d = _debrief(1)
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route(re.compile(r"^(?!file:).*"), lambda route: route.abort())  # offline
        page = context.new_page()
        dialogs: list[str] = []
        errors: list[str] = []
        page.on("dialog", lambda dlg: (dialogs.append(dlg.message), dlg.dismiss()))
        page.on("pageerror", lambda err: errors.append(str(err)))
        for lang in ("en", "zh-CN"):
            path = tmp_path / f"debrief-{lang}.html"
            path.write_text(debrief_html(d, lang), encoding="utf-8")
            page.goto(path.as_uri())
            # the hostile team name is text on the page, not a script
            headers = page.locator("table.paths").first.locator("th").all_inner_texts()
            assert HOSTILE in headers
            assert page.locator("script").count() == 0
            # the side-by-side table marks the divergence row
            first = d["customers"][0]
            div_row = page.locator("table.paths").first.locator("tr.div")
            assert div_row.count() == 1
            assert div_row.locator("td").first.inner_text() == str(first["divergence"]["step"] + 1)
            assert page.locator("figure svg polygon").count() >= len(names()) * 6
            page.screenshot(path=str(shots / f"debrief-{lang}.png"), full_page=False)
            assert (shots / f"debrief-{lang}.png").stat().st_size > 20000
            page.locator("table.paths").first.screenshot(
                path=str(shots / f"debrief-paths-{lang}.png")
            )
            page.locator("section").last.screenshot(path=str(shots / f"debrief-radar-{lang}.png"))
        browser.close()
    assert dialogs == [] and errors == []
