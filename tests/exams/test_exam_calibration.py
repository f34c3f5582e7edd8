"""`shapan exam calibrate`: the statistics on known inputs, and the command on the real engine
(small exams, few runs): deterministic whatever the workers, non-equivalent forms reported,
absurd requests refused in one line."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from statistics import variance

import numpy as np
import pytest

from sandbox.cli import main
from sandbox.exam import load_exam
from sandbox.exam.calibration import (
    alpha_interval,
    calibrate,
    contrasting_groups_cut,
    cronbach_alpha,
    describe,
    form_pairs,
    misclassification,
    run_params,
)

SHIPPED_EN = Path(__file__).resolve().parents[2] / "sandbox" / "exams" / "cs-cert-en.yaml"


def _small_exam(tmp_path: Path, customers: int = 4, seeds: tuple[int, ...] = (3301, 4402)) -> Path:
    """The shipped English exam cut down to a few customers and a shorter limit (fast to play).
    With 4 customers, form B (seed 4402) holds a contact the competent bot handles badly, so
    its competent mean is about 11 points below form A's: a real non-equivalent pair."""
    text = SHIPPED_EN.read_text(encoding="utf-8").replace("exam: cs-cert-en", "exam: cal-test")
    forms = "".join(
        f"  - {{id: {chr(65 + i)}, seed: {s}, customers: {customers}, gap: 5s}}\n"
        for i, s in enumerate(seeds)
    )
    old_forms = (
        "  - {id: A, seed: 3301, customers: 6, gap: 5s}\n"
        "  - {id: B, seed: 4404, customers: 6, gap: 5s}\n"
    )
    assert old_forms in text
    text = text.replace(old_forms, forms)
    text = text.replace("{exam: 45m, contact: 10m}", "{exam: 25m, contact: 10m}")
    text = text.replace("contacts_passed: 4", "contacts_passed: 2")
    path = tmp_path / "cal-test.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- statistics
def test_cronbach_alpha_on_a_hand_computed_matrix() -> None:
    """5 persons x 3 items. Item variances (n-1) 2.5, 1.3, 1.7 (sum 5.5); totals 8, 13, 12,
    14, 5 have variance 14.3; alpha = 3/2 * (1 - 5.5/14.3) = 12/13."""
    m = [[2, 3, 3], [4, 4, 5], [3, 5, 4], [5, 4, 5], [1, 2, 2]]
    items = [[Fraction(row[j]) for row in m] for j in range(3)]
    totals = [Fraction(sum(row)) for row in m]
    exact = Fraction(3, 2) * (1 - sum(variance(i) for i in items) / variance(totals))
    assert exact == Fraction(12, 13)
    alpha = cronbach_alpha(m)
    assert alpha == pytest.approx(12 / 13, abs=1e-12)
    # Hoyt's two-way ANOVA gives the same coefficient: (MS_persons - MS_residual) / MS_persons
    a = np.asarray(m, dtype=float)
    n, k = a.shape
    grand = a.mean()
    ss_p = k * ((a.mean(axis=1) - grand) ** 2).sum()
    ss_i = n * ((a.mean(axis=0) - grand) ** 2).sum()
    ss_e = ((a - grand) ** 2).sum() - ss_p - ss_i
    ms_p, ms_e = ss_p / (n - 1), ss_e / ((n - 1) * (k - 1))
    assert alpha == pytest.approx((ms_p - ms_e) / ms_p, abs=1e-12)


def test_cronbach_alpha_edge_cases_and_its_interval() -> None:
    assert cronbach_alpha([[1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]]) == pytest.approx(1.0)
    assert cronbach_alpha([[1, 1], [1, 1], [1, 1]]) is None  # no variance: undefined
    assert cronbach_alpha([[1], [2]]) is None  # one item
    rng = np.random.default_rng(7)
    ability = rng.normal(0, 1, size=(60, 1))
    m = ability + rng.normal(0, 0.5, size=(60, 6))
    alpha = cronbach_alpha(m)
    assert alpha is not None
    lo_hi = alpha_interval(m, seed=3)
    assert lo_hi is not None and lo_hi == alpha_interval(m, seed=3)  # seeded
    assert lo_hi[0] < alpha < lo_hi[1] and lo_hi[1] - lo_hi[0] < 0.2


def test_contrasting_groups_cut_on_mirrored_groups_is_the_midpoint() -> None:
    """Mirror images about 55: the smoothed misclassification is symmetric about 55, so the
    densities cross there."""
    x = [0.0, 2.0, 5.0, 9.0, 14.0, 3.0, 7.0]
    novice = [50.0 - d for d in x]
    competent = [60.0 + d for d in x]
    cut = contrasting_groups_cut(novice, competent)
    assert cut.cut == pytest.approx(55.0, abs=1e-9)
    assert (cut.novice_pass_rate, cut.competent_fail_rate) == (0.0, 0.0)


def test_contrasting_groups_cut_with_overlap_and_point_masses() -> None:
    # overlapping groups, equal spread: the crossing of N(40, 8) and N(60, 8) is 50
    half = np.random.default_rng(11).normal(0, 8, size=2000)
    z = np.concatenate([half, -half])  # symmetric, so the crossing is exactly halfway
    cut = contrasting_groups_cut(list(40 + z), list(60 + z))
    assert cut.cut == pytest.approx(50.0, abs=0.15)
    # the rates at the cut are the empirical ones; P(N(0,8) >= 10) = 10.6 %
    assert cut.novice_pass_rate == pytest.approx(0.106, abs=0.015)
    assert cut.competent_fail_rate == pytest.approx(0.106, abs=0.015)
    # the groups' sizes do not weigh: the rates are weighted equally
    few = np.concatenate([half[:250], -half[:250]])
    assert contrasting_groups_cut(list(40 + few), list(60 + z)).cut == pytest.approx(50.0, abs=1.0)
    # every novice at 20, every competent candidate at 80: the middle, no misclassification
    assert contrasting_groups_cut([20.0] * 5, [80.0] * 9).cut == pytest.approx(50.0)
    # pass at score >= cut, exactly as the pass rule
    at = misclassification([10, 30, 50], [50, 70, 90], 50)
    assert (at.novice_pass_rate, at.competent_fail_rate) == (pytest.approx(1 / 3), 0.0)


def test_describe_and_form_pairs() -> None:
    d = describe([10, 20, 30, 40, 50])
    assert d["mean"] == 30 and d["p50"] == 30 and d["p25"] == 20 and d["p5"] == pytest.approx(12)
    assert d["sd"] == pytest.approx(np.std([10, 20, 30, 40, 50], ddof=1))
    pairs = form_pairs([("A", 80.0), ("B", 84.0), ("C", 90.0)], tolerance=5.0)
    assert [(p.a, p.b, p.equivalent) for p in pairs] == [
        ("A", "B", True), ("A", "C", False), ("B", "C", False),
    ]  # fmt: skip
    assert pairs[0].difference == pytest.approx(-4.0)
    assert form_pairs([("A", 80.0), ("B", 85.0)], tolerance=5.0)[0].equivalent  # at the edge


def test_run_parameters_are_derived_from_the_seed() -> None:
    assert run_params(1, 0, 0) == run_params(1, 0, 0)
    assert len({run_params(1, 0, r) for r in range(20)}) == 20
    assert run_params(1, 0, 0) != run_params(2, 0, 0) != run_params(1, 1, 0)
    assert all(3.0 <= run_params(5, 0, r)[1] <= 8.0 for r in range(50))


# ----------------------------------------------------------------------------- the command
def test_calibration_is_deterministic_whatever_the_workers_and_reports_unequal_forms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _small_exam(tmp_path)
    exam = load_exam(str(path))
    in_process = calibrate(exam, runs=2, seed=5, workers=1).to_json()
    assert main(["exam", "calibrate", str(path), "--runs", "2", "--seed", "5",
                 "--workers", "2", "--json"]) == 1  # fmt: skip
    from_cli = json.loads(capsys.readouterr().out)
    assert json.dumps(from_cli, sort_keys=True) == json.dumps(in_process, sort_keys=True)

    doc = from_cli
    assert doc["schema"] == "shapan.exam-calibration/1" and doc["runs"] == 2
    rows = {(d["policy"], d["form"]): d for d in doc["distributions"]}
    assert set(rows) == {(p, f) for p in ("random", "novice", "competent", "expert")
                         for f in ("A", "B", "all")}  # fmt: skip
    assert rows[("competent", "all")]["mean"] > rows[("novice", "all")]["mean"]
    for d in doc["distributions"]:
        assert d["p5"] <= d["p25"] <= d["p50"] <= d["p75"] <= d["p95"]
        assert 0.0 <= d["pass_rate"] <= 1.0
    suggested = doc["cut"]["suggested"]
    assert 0 <= suggested["cut"] <= 100 and doc["cut"]["current"] == 65
    for r in doc["reliability"]["forms"]:
        assert r["items"] == 4 and r["persons"] == 8
    # form B's competent mean is well below form A's: not equivalent, exit 1, said in one line
    (pair,) = doc["equivalence"]["pairs"]
    assert pair["forms"] == ["A", "B"] and pair["difference"] > 5 and not pair["equivalent"]
    assert doc["ok"] is False
    assert any("forms A and B are not equivalent" in p for p in doc["problems"])

    # the text table says the same
    assert main(["exam", "calibrate", str(path), "--runs", "1", "--seed", "6",
                 "--workers", "1"]) == 1  # fmt: skip
    text = capsys.readouterr().out
    assert "policy 策略" in text and "suggested cut 建议合格线" in text
    assert "A vs B" in text and "NOT equivalent 不等值" in text
    assert "problem 问题: forms A and B are not equivalent" in text


def test_a_different_seed_plays_other_runs_and_every_verdict_has_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On the 3-customer cut-down exam with one run per policy, seed 3 finds the forms
    equivalent and seed 2 does not (one competent run per form is a thin sample); alpha over
    8 persons and 3 items falls below 0.8 on some form. Each verdict matches its figures and
    each problem is one line."""
    path = _small_exam(tmp_path, customers=3)
    exam = load_exam(str(path))
    one = calibrate(exam, runs=1, seed=2, workers=1)
    two = calibrate(exam, runs=1, seed=3, workers=1)
    assert one.to_json() != two.to_json()
    for cal in (one, two):
        for pair in cal.pairs:
            assert pair.equivalent == (abs(pair.difference) <= 5.0)
            assert pair.equivalent != any(
                f"forms {pair.a} and {pair.b} are not equivalent" in p for p in cal.problems
            )
        for r in cal.reliability:
            below = r["alpha"] is None or r["alpha"] < 0.8
            assert below == (not r["meets_target"])
            assert below == any(f"form {r['form']}: Cronbach" in p for p in cal.problems)
        assert cal.ok == (not cal.problems)
    assert [p.equivalent for p in two.pairs] == [True]
    assert [p.equivalent for p in one.pairs] == [False]
    assert main(["exam", "calibrate", str(path), "--runs", "1", "--seed", "3",
                 "--workers", "1"]) == 1  # fmt: skip
    text = capsys.readouterr().out
    assert "A vs B" in text and "equivalent 等值" in text and "NOT" not in text
    assert "below 低于 0.8" in text and "is below 0.8" in text


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--runs", "100000"], "--runs 100000 is too many"),
        (["--runs", "0"], "--runs must be at least 1"),
        (["--workers", "0"], "--workers must be between 1 and"),
    ],
)
def test_absurd_requests_are_refused_in_one_line(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["exam", "calibrate", "cs-cert-zh", *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_an_exam_with_errors_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("exam: x\n", encoding="utf-8")
    assert main(["exam", "calibrate", str(bad)]) == 1
    assert "EX0" in capsys.readouterr().err
