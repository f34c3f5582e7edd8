"""Issue 16, the rest of it: comparable work across forms shown equivalent by the bots, the
paired bootstrap on the same customers, the effect matrix, and a trainee's weak spots and
practice plan over the whole history (`shapan trainee weak-spots|plan`, `shapan cohort
equivalence`)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest

from sandbox.cli import main
from sandbox.exam import load_exam
from sandbox.server import equivalence as eq
from sandbox.server.effect import INDEPENDENT, PAIRED, cohort_report, compare, trainee_report
from sandbox.server.effect_matrix import repeat_flags
from sandbox.server.history import History, add_work, form_classes, mistake_figures
from tests.server.test_store import EXAM
from tests.server.test_trainee_effect import DAY, T0, cohorts  # noqa: F401  (the fixture)


def test_the_same_customers_are_paired_and_pairing_narrows_the_interval() -> None:
    rng = np.random.default_rng(3)
    skill = rng.normal(60, 20, 40)  # each customer's difficulty, shared by both sides
    base = [{"rubric": float(v)} for v in skill]
    now = [{"rubric": float(v + 3 + rng.normal(0, 1))} for v in skill]
    paired = next(f for f in compare(base, now, pairs=[(i, i) for i in range(40)])
                  if f["key"] == "rubric")  # fmt: skip
    apart = next(f for f in compare(base, now) if f["key"] == "rubric")
    assert paired["sampling"] == PAIRED and paired["n_pairs"] == 40
    assert apart["sampling"] == INDEPENDENT and apart["n_pairs"] == 0
    assert paired["delta"] == apart["delta"]
    assert paired["low"] > 0 and paired["verdict"] == "improved"  # the pairs see the +3
    assert apart["low"] < 0 < apart["high"]  # the customers' spread hides it


def test_reports_pair_a_repeated_form_and_say_so(cohorts: str) -> None:  # noqa: F811
    history = History.open(cohorts)
    try:
        one = trainee_report(history, "rise0")
        cohort = cohort_report(history, group="rising")
    finally:
        history.close()
    assert one["sampling"]["mode"] == PAIRED and one["sampling"]["pairs"] == one["now"]["contacts"]
    assert "paired" in one["sampling"]["en"] and one["sampling"]["zh-CN"]
    assert cohort["sampling"]["mode"] == PAIRED
    assert {f["sampling"] for f in one["figures"] if f["n_baseline"]} == {PAIRED}


def test_equivalent_forms_are_compared_as_one_with_independent_resampling(
    cohorts: str,  # noqa: F811
) -> None:
    exam = load_exam(EXAM)
    forms = eq.form_keys(exam)
    history = History.open(cohorts)
    try:
        stored = {w.form_key for w in history.work(["rise0"])}
        assert {f["key"] for f in forms} == stored  # the keys the history recorded
        # a trainee who did each form once is not comparable ...
        with history.engine.begin() as conn:
            for f, policy, day in ((0, "novice", 0), (1, "expert", 1)):
                from tests.server.test_trainee_effect import session

                doc = session(f, policy, 1)
                from sandbox.server.history import session_contacts

                add_work(conn, "cross", "practice", at=T0 + day * DAY, label=forms[f]["label"],
                         seed=doc["seed"], scenario_hash=doc["scenario"]["hash"],
                         journeys=doc["journeys"], model_version=doc["model_version"],
                         contacts=session_contacts(doc, "trainee"))  # fmt: skip
        before = trainee_report(history, "cross")
        assert before["not_comparable"] and before["now"]["contacts"] == 0
        # ... until the bots show the forms equivalent
        doc = {"exam": {"id": exam.id, "version": exam.version, "hash": exam.content_hash},
               "runs": 3, "seed": 0, "rule": eq.RULE.format(tol=5), "forms": forms,
               "pairs": [{"forms": [forms[0]["id"], forms[1]["id"]], "bots": {},
                          "equivalent": True}]}  # fmt: skip
        assert len(eq.declare(history, doc)) == 1
        after = trainee_report(history, "cross")
        assert history.form_classes()[forms[1]["key"]] == history.form_classes()[forms[0]["key"]]
    finally:
        history.close()
    assert not after["not_comparable"] and after["now"]["contacts"] > 0
    assert after["sampling"]["mode"] == INDEPENDENT
    assert after["equivalent_forms"] == [sorted(f["label"] for f in forms)]
    rubric = next(f for f in after["figures"] if f["key"] == "rubric")
    assert rubric["sampling"] == INDEPENDENT and rubric["delta"] > 0


def test_the_bots_rule_for_equivalence() -> None:
    close = {("A", p): [70.0, 72.0, 71.0, 69.0, 70.0] for p in eq.POLICIES}
    close |= {("B", p): [71.0, 70.0, 72.0, 70.0, 71.0] for p in eq.POLICIES}
    (pair,) = eq.judge(close, ["A", "B"], tolerance=5.0)
    assert pair["equivalent"] and all(b["within"] for b in pair["bots"].values())
    apart = dict(close) | {("B", "novice"): [50.0, 52.0, 49.0, 51.0, 50.0]}
    (pair,) = eq.judge(apart, ["A", "B"], tolerance=5.0)
    assert not pair["equivalent"] and not pair["bots"]["novice"]["within"]
    noisy = dict(close) | {("B", "expert"): [40.0, 100.0, 45.0, 98.0, 72.0]}
    (pair,) = eq.judge(noisy, ["A", "B"], tolerance=5.0)  # close means, too wide to show it
    assert abs(pair["bots"]["expert"]["difference"]) < 5 and not pair["equivalent"]
    assert form_classes([{"forms": [{"key": "b"}, {"key": "c"}]},
                         {"forms": [{"key": "a"}, {"key": "b"}]}]) == {"a": "a", "b": "a",
                                                                       "c": "a"}  # fmt: skip


def test_the_effect_matrix_states_its_four_measures(cohorts: str, tmp_path: Path,  # noqa: F811
                                                   capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    history = History.open(cohorts)
    try:
        with history.engine.begin() as conn:  # rise0 passes the exam 3.5 days after practice
            add_work(conn, "rise0", "exam", at=T0 + 3.5 * DAY, label="exam", seed=1,
                     scenario_hash=None, journeys=None, model_version=None, contacts=[],
                     score=80.0, passed=True)  # fmt: skip
        doc = cohort_report(history, group="rising")
    finally:
        history.close()
    matrix = {m["measure"]: m for m in doc["matrix"]}
    assert list(matrix) == ["retention", "transfer", "csat", "cost"]
    for m in matrix.values():
        assert m["supports"]["en"] and m["cannot"]["zh-CN"] and m["title"]["zh-CN"]
    t = matrix["transfer"]
    assert (t["trainees"], t["passed"], t["not_yet"], t["median_days"]) == (2, 1, 1, 3.5)
    r = matrix["retention"]
    assert r["n_early"] + r["n_late"] > 0 and r["late"] < r["early"]  # the experts repeat less
    assert matrix["csat"]["delta"] == next(f for f in doc["figures"] if f["key"] == "csat")["delta"]
    cost = matrix["cost"]
    assert cost["saving_per_contact"] == -next(f for f in doc["figures"]
                                              if f["key"] == "cost")["delta"]  # fmt: skip
    assert cost["payback_months"] is None  # no training cost given
    costs = tmp_path / "costs.json"
    costs.write_text(json.dumps({"training_cost": 3000, "contacts_per_month": 800}))
    assert (
        main(["cohort", "report", "--group", "rising", "--db", cohorts, "--costs", str(costs)]) == 0
    )
    out = capsys.readouterr().out
    assert "effect matrix" in out and "Skill-transfer time" in out and "payback" in out
    assert "paired bootstrap" in out
    assert main(["cohort", "report", "--group", "rising", "--db", cohorts, "--json",
                 "--costs", str(costs)]) == 0  # fmt: skip
    cost = {m["measure"]: m for m in json.loads(capsys.readouterr().out)["matrix"]}["cost"]
    if cost["saving_per_contact"] and cost["saving_per_contact"] > 0:
        assert cost["payback_months"] == pytest.approx(
            3000 / (cost["saving_per_contact"] * 800), abs=0.01
        )


def test_repeat_flags_count_from_a_full_window() -> None:
    from sandbox.server.history import Work

    def w(at: float, kinds: list[dict[str, float]]) -> Work:
        return Work(int(at), "t", "practice", at, "k", "k", 1, None, None, None, None, None,
                    None, len(kinds), "", tuple(kinds))  # fmt: skip

    leak = {"mistakes": 1.0, "mistake.risk.privacy_breach": 1.0}
    clean = {"mistakes": 0.0}
    flags = repeat_flags([w(1, [leak, clean, leak]), w(2, [clean, leak, {"aht": 3.0}])],
                         rule=__import__("sandbox.weak_spots").weak_spots.RepeatRule(2, 2))  # fmt: skip
    # contacts 3..5 counted (two before each); the one without decisions is skipped
    assert [f for _, f in flags] == [1, 0, 1]
    assert mistake_figures([{"behaviours": ["interrupt", "argue"], "risks": []},
                            {"behaviours": ["empathy"], "risks": []}]) == {
        "mistakes": 1.0, "mistake.behaviour.interrupt": 1.0, "mistake.behaviour.argue": 1.0}  # fmt: skip


def test_weak_spots_and_plan_commands(cohorts: str, tmp_path: Path,  # noqa: F811
                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    assert main(["trainee", "weak-spots", "rise0", "--db", cohorts, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "shapan.weak-spots/1" and doc["contacts"] > 0
    spots = doc["weak_spots"]
    assert spots and all(s["pack"] and s["label"]["zh-CN"] for s in spots)
    assert doc["plan"] and all(p["title"]["en"] and p["trains"] for p in doc["plan"])
    assert main(["trainee", "weak-spots", "rise0", "--db", cohorts, "--lang", "zh-CN"]) == 0
    text = capsys.readouterr().out
    assert "薄弱点" in text and "练习计划" in text and "kb." not in text
    out = tmp_path / "plan.html"
    assert main(["trainee", "plan", "rise0", "--db", cohorts, "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "Personal practice plan" in page and "kb." not in page and "privacy_trap" not in page
    assert main(["trainee", "plan", "rise0", "--db", cohorts, "--out",
                 str(tmp_path / "plan.json")]) == 0  # fmt: skip
    assert json.loads((tmp_path / "plan.json").read_text())["plan"] == doc["plan"]
    assert (
        main(["trainee", "plan", "rise0", "--db", cohorts, "--out", str(tmp_path / "p.txt")]) == 1
    )
    assert main(["trainee", "weak-spots", "rise0", "--db", cohorts, "--times", "0"]) == 1
    capsys.readouterr()
    assert main(["cohort", "equivalence", "--list", "--db", cohorts]) == 0
    assert "no forms declared equivalent yet" in capsys.readouterr().out


def test_the_equivalence_command_runs_the_bots_and_declares(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'eq.db'}"
    argv = ["cohort", "equivalence", str(EXAM), "--runs", "3", "--workers", "1", "--db", url]
    assert main([*argv, "--tolerance", "0.01", "--json"]) == 0  # nothing is that close
    doc = json.loads(capsys.readouterr().out)
    (pair,) = doc["pairs"]
    assert set(pair["bots"]) == {"novice", "competent", "expert"} and not pair["equivalent"]
    assert all(b["runs"] == [3, 3] for b in pair["bots"].values()) and doc["declared"] == []
    assert main([*argv, "--tolerance", "100", "--dry-run"]) == 0  # judged, not declared
    assert "forms A and B: equivalent" in capsys.readouterr().out
    assert main(["cohort", "equivalence", "--list", "--db", url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"declarations": []}
    assert main([*argv, "--tolerance", "100"]) == 0
    assert "declared 1 pair(s)" in capsys.readouterr().out
    history = History.open(url)
    try:
        (decl,) = history.equivalences()
        keys = {f["key"] for f in decl["forms"]}
        assert keys == {f["key"] for f in eq.form_keys(load_exam(EXAM))}
        assert decl["evidence"]["runs"] == 3 and "±100" in decl["rule"]
        assert len(set(history.form_classes().values())) == 1
    finally:
        history.close()


def test_declarations_and_mistakes_on_both_backends(db_url: str) -> None:
    from tests.server.test_trainee_effect import session

    history = History.open(db_url)
    try:
        tid = f"backend-{uuid.uuid4().hex[:12]}"
        history.record_session(tid, session(0, "novice", 1), at=T0, seat="trainee")
        (work,) = history.work([tid])
        assert any(f.get("mistakes", 0) > 0 for f in work.figures)
        assert len(work.contact_ids) == len(work.figures) == len(work.journey_ids)
        before = len(history.equivalences())
        history.declare_equivalent([("k1", "form 1"), ("k2", "form 2")], rule="r", at=T0)
        history.declare_equivalent([("k2", "form 2"), ("k3", "form 3")], rule="r", at=T0)
        assert len(history.equivalences()) == before + 2
        classes = history.form_classes()
        assert classes["k1"] == classes["k2"] == classes["k3"]
        with pytest.raises(Exception, match="at least two"):
            history.declare_equivalent([("k1", "a"), ("k1", "a")], rule="r")
    finally:
        history.close()
