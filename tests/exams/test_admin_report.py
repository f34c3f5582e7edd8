"""The administrator's report: formulas on hand-computed examples, figures on real attempts."""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import pytest

from sandbox.exam import grade, load_exam, play, policy_chooser
from sandbox.exam.admin_report import (
    MIN_ATTEMPTS_FOR_RELIABILITY,
    exam_statistics,
    render_admin_report_html,
    render_admin_report_text,
)
from sandbox.exam.model import Exam


def _synthetic(scores: list[list[float]], cut: float = 65.0, form: str = "A") -> dict[str, Any]:
    contacts = [
        {"k": k, "contact_id": f"s-{k:03d}", "journey_id": None, "status": "graded",
         "score": s, "raw_score": s, "passed": s >= 60, "handle_s": 100.0 * k,
         "measures": {}, "critical_errors": [], "reasons": []}
        for k, s in enumerate(scores, start=1)
    ]  # fmt: skip
    score = sum(scores) / len(scores)
    return {
        "schema": "shapan.exam-result/1", "proctoring": "unproctored",
        "exam": {"id": "synthetic", "version": 1, "hash": "h", "title": {"en": "Syn", "zh-CN": "合"}},
        "form": {"index": 0, "id": form}, "passed": score >= cut, "score": score, "cut": cut,
        "contacts_passed": 0, "contacts_required": 0, "critical_errors": [], "reasons": [],
        "contacts": contacts,
    }  # fmt: skip


# Four candidates, three contacts. Worked by hand:
#   contact 1 = [100, 50, 0, 50], the rest = [140, 100, 50, 150]; deviations [50, 0, -50, 0] and
#   [30, -10, -60, 40]: r = 4500 / sqrt(5000 * 6200) = 0.80822.
#   means 50, 50, 60 -> difficulty 0.5, 0.5, 0.6; exam scores 80, 50, 16.67, 66.67.
MATRIX = [[100, 80, 60], [50, 40, 60], [0, 20, 30], [50, 60, 90]]


def test_formulas_against_hand_computed_values() -> None:
    stats = exam_statistics([_synthetic([float(v) for v in row]) for row in MATRIX])
    assert stats["attempts"] == 4
    assert stats["passed"] == 2 and stats["pass_rate"] == 0.5  # 80 and 66.7 meet 65
    assert [c["difficulty"] for c in stats["contacts"]] == pytest.approx([0.5, 0.5, 0.6])
    assert stats["contacts"][0]["discrimination"] == pytest.approx(4500 / math.sqrt(5000 * 6200))
    s = stats["scores"]
    assert s["mean"] == pytest.approx((80 + 50 + 50 / 3 + 200 / 3) / 4)
    assert s["min"] == pytest.approx(50 / 3) and s["max"] == pytest.approx(80)
    # 50/3 in 10-20, 50 in 50-60, 66.7 in 60-70, 80 in 80-90
    assert s["histogram"]["counts"] == [0, 1, 0, 0, 0, 1, 1, 0, 1, 0]
    assert stats["contacts"][1]["mean_handle_s"] == pytest.approx(200.0)
    assert stats["reliability"]["status"] == "too_few" and stats["reliability"]["alpha"] is None
    assert "too few attempts to estimate reliability" in render_admin_report_text(stats, "en")
    assert "time_used" not in stats  # no journals given


def test_alpha_of_identical_contacts_is_one_with_a_degenerate_interval() -> None:
    # Every contact gives the same score: alpha = k/(k-1) * (1 - k var / (k^2 var)) = 1.
    rows = [[float(10 * i)] * 3 for i in range(MIN_ATTEMPTS_FOR_RELIABILITY)]
    rel = exam_statistics([_synthetic(r) for r in rows])["reliability"]
    assert rel["status"] == "estimated"
    assert rel["alpha"] == pytest.approx(1.0)
    assert rel["ci"] == pytest.approx([1.0, 1.0])


def test_critical_errors_are_counted_by_kind_and_attempt() -> None:
    a, b = _synthetic([90, 90, 90]), _synthetic([90, 10, 90])
    hit = {"risk": "privacy_breach", "outcome": None, "fails": "exam", "count": 1,
           "choice_id": "x", "t": 10.0}  # fmt: skip
    a["contacts"][0]["critical_errors"] = [hit]
    a["contacts"][2]["critical_errors"] = [hit]
    b["contacts"][1]["critical_errors"] = [{**hit, "risk": None, "outcome": "compliance_breach",
                                            "fails": "contact"}]  # fmt: skip
    rows = {r["kind"]: r for r in exam_statistics([a, b])["critical_errors"]}
    assert (
        rows["risk:privacy_breach"]["count"] == 2 and rows["risk:privacy_breach"]["attempts"] == 1
    )
    assert rows["outcome:compliance_breach"]["count"] == 1


def test_results_of_two_exams_are_refused() -> None:
    other = _synthetic([50, 50, 50])
    other["exam"] = {**other["exam"], "id": "another"}
    with pytest.raises(ValueError, match="different exams"):
        exam_statistics([_synthetic([50, 50, 50]), other])


@cache
def _exam() -> Exam:
    return load_exam("cs-cert-zh")


@cache
def _attempts(n: int) -> tuple[tuple[dict[str, Any], list[list[Any]]], ...]:
    """n real attempts: the bot policies in turn, both forms, graded by the real grader."""
    out = []
    policies = ("random", "novice", "competent", "expert")
    for i in range(n):
        form = i % 2
        journal = play(_exam(), form, policy_chooser(policies[i % 4]), think_s=3.0 + i % 4, seed=i)
        out.append((grade(_exam(), form, journal).to_json(), journal))
    return tuple(out)


def test_real_attempts_give_consistent_figures() -> None:
    attempts = _attempts(MIN_ATTEMPTS_FOR_RELIABILITY)
    results = [r for r, _ in attempts]
    journals = [j for _, j in attempts]
    stats = exam_statistics(results, journals=journals)
    assert stats["attempts"] == len(results)
    assert stats["passed"] == sum(r["passed"] for r in results)
    assert len(stats["contacts"]) == _exam().customers
    assert sum(f["attempts"] for f in stats["forms"]) == len(results)
    assert [f["form"] for f in stats["forms"]] == ["A", "B"]
    assert sum(stats["scores"]["histogram"]["counts"]) == len(results)
    for c in stats["contacts"]:
        assert 0.0 <= c["difficulty"] <= 1.0
        assert c["discrimination"] is None or -1.0 <= c["discrimination"] <= 1.0
        assert all(form in ("A", "B") for form in c["journeys"])
    rel = stats["reliability"]
    assert rel["status"] == "estimated" and rel["persons"] == len(results)
    assert rel["ci"][0] <= rel["alpha"] <= rel["ci"][1]
    for f in stats["forms"]:  # 5 attempts each: too few
        assert f["reliability"]["status"] == "too_few"
    assert stats["time_used"]["max_s"] == pytest.approx(max(j[-1][0] for j in journals))
    assert exam_statistics(results, journals=journals) == stats  # seeded bootstrap
    # the competent and expert bots separate from random and novice: every contact discriminates
    assert all((c["discrimination"] or 0) > 0 for c in stats["contacts"])


def test_the_pages_are_escaped_and_bilingual() -> None:
    results = [dict(r) for r, _ in _attempts(4)]
    for r in results:
        # another exam's result (no shipped exam has this hash): its own title is shown
        r["exam"] = {**r["exam"], "id": "x<i>", "hash": "0" * 64,
                     "title": {"en": "<script>x</script>", "zh-CN": "<b>考</b>"}}  # fmt: skip
    stats = exam_statistics(results)
    en, zh = render_admin_report_html(stats, "en"), render_admin_report_html(stats, "zh-CN")
    assert "<script" not in en.lower() and "&lt;script&gt;" in en
    assert "<b>考" not in zh and "考试人次" in zh and "Attempts" in en
    assert "信度" in render_admin_report_text(stats, "zh-CN")
