"""Erlang B/C/A against the reference points in shared/calibration.md and independent checks."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from sandbox import erlang
from sandbox.cli import main

LAM = 10 / 180  # a = 10 Erlang with AHT 180 s
AHT = 180.0


def test_erlang_b_matches_direct_formula() -> None:
    a, n = 7.3, 9
    direct = (a**n / math.factorial(n)) / sum(a**k / math.factorial(k) for k in range(n + 1))
    assert erlang.erlang_b(n, a) == pytest.approx(direct, rel=1e-12)


@pytest.mark.parametrize(
    ("n", "p_wait", "sl", "asa"),
    [(13, 0.2853, 0.7956, 17.1), (11, 0.6821, 0.3896, 122.8)],
)
def test_erlang_c_reference_points(n: int, p_wait: float, sl: float, asa: float) -> None:
    fig = erlang.erlang_c(LAM, AHT, n, threshold_s=20)
    assert fig.p_wait == pytest.approx(p_wait, abs=5e-5)
    assert fig.service_level == pytest.approx(sl, abs=5e-5)
    assert fig.asa_s == pytest.approx(asa, abs=0.05)
    assert fig.occupancy == pytest.approx(10 / n)


@pytest.mark.parametrize(("n", "p_abandon", "e_wq"), [(11, 0.0942, 11.3), (9, 0.192, None)])
def test_erlang_a_reference_points(n: int, p_abandon: float, e_wq: float | None) -> None:
    fig = erlang.erlang_a(LAM, AHT, n, patience_s=120)
    assert fig.p_abandon == pytest.approx(p_abandon, abs=5e-4)
    if e_wq is not None:
        assert fig.e_wq_s == pytest.approx(e_wq, abs=0.05)
    assert fig.p_abandon == pytest.approx(fig.e_wq_s / 120, rel=1e-12)  # θ·E[Wq]


def test_unstable_erlang_c_raises_clear_error() -> None:
    with pytest.raises(erlang.UnstableQueueError, match="unstable"):
        erlang.erlang_c(LAM, AHT, 10)
    # Erlang A stays finite when under-staffed: abandonment drains the queue
    fig = erlang.erlang_a(LAM, AHT, 8, patience_s=60)
    assert 0 < fig.p_abandon < 1 and fig.occupancy < 1


def test_erlang_a_tends_to_erlang_c_with_infinite_patience() -> None:
    c = erlang.erlang_c(LAM, AHT, 13)
    a = erlang.erlang_a(LAM, AHT, 13, patience_s=1e8)
    for key in ("p_wait", "service_level", "sl_offered", "asa_s", "occupancy"):
        assert getattr(a, key) == pytest.approx(getattr(c, key), rel=1e-4), key


def test_erlang_a_birth_death_matches_dense_solution() -> None:
    """Steady state by solving the truncated generator directly, and the service level at t by
    a matrix exponential of the tagged customer's chain (independent of the uniformisation)."""
    from scipy.linalg import expm

    n, theta, mu, lam, t = 9, 1 / 120, 1 / AHT, LAM, 20.0
    cap = 400
    q = np.zeros((cap + 1, cap + 1))
    for k in range(cap + 1):
        if k < cap:
            q[k, k + 1] = lam
        if k > 0:
            q[k, k - 1] = min(k, n) * mu + max(k - n, 0) * theta
        q[k, k] = -q[k].sum()
    a_mat = np.vstack([q.T, np.ones(cap + 1)])
    rhs = np.zeros(cap + 2)
    rhs[-1] = 1
    pi = np.linalg.lstsq(a_mat, rhs, rcond=None)[0]
    lq = sum(max(k - n, 0) * pi[k] for k in range(cap + 1))
    fig = erlang.erlang_a(lam, AHT, n, patience_s=120, threshold_s=t)
    assert fig.p_abandon == pytest.approx(theta * lq / lam, rel=1e-6)
    assert fig.p_wait == pytest.approx(pi[n:].sum(), rel=1e-6)
    # tagged chain: states i = 0..J ahead, then answered, abandoned
    size = 200
    gen = np.zeros((size + 2, size + 2))
    for i in range(size):
        move = n * mu + i * theta
        gen[i, i - 1 if i else size] = move
        gen[i, size + 1] = theta
        gen[i, i] = -(move + theta)
    trans = expm(gen * t)
    p_queue = pi[n : n + size]
    answered_by_t = pi[:n].sum() + p_queue @ trans[:size, size]
    assert fig.sl_offered == pytest.approx(answered_by_t, rel=1e-6)


def test_hundreds_of_agents_are_stable_and_sensible() -> None:
    lam = 600 / 180
    c = erlang.erlang_c(lam, AHT, 630)
    assert 0 < c.p_wait < 1 and 0.9 < c.service_level <= 1
    a = erlang.erlang_a(lam, AHT, 560, patience_s=60)
    assert 0 < a.p_abandon < 0.2 and 0 < a.service_level <= 1 and math.isfinite(a.asa_s)
    # far more agents than load: no waiting at all, and no overflow/underflow
    big = erlang.erlang_c(1 / 180, AHT, 800)
    assert big.p_wait == pytest.approx(0.0, abs=1e-300)
    assert big.service_level == 1.0


def test_service_level_grows_with_agents() -> None:
    sls = [erlang.erlang_a(LAM, AHT, n, 90).service_level for n in range(6, 18)]
    assert all(b > a for a, b in itertools.pairwise(sls))


def test_agents_for_service_level() -> None:
    fig = erlang.agents_for_service_level(LAM, AHT, 0.8, threshold_s=20)
    assert fig.agents == 14 and fig.service_level >= 0.8
    assert erlang.erlang_c(LAM, AHT, 13).service_level < 0.8


def test_cli_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["erlang", "--arrivals-per-hour", "200", "--aht-s", "180", "--agents", "13"]) == 0
    out = capsys.readouterr().out
    assert "Erlang C" in out and "0.2853" in out and "79.56%" in out and "17.1" in out
    code = main(
        [
            "erlang",
            "--arrivals-per-hour",
            "200",
            "--aht-s",
            "180",
            "--agents",
            "11",
            "--patience-s",
            "120",
            "--json",
        ]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["model"] == "erlang_a" and doc["p_abandon"] == pytest.approx(0.0942, abs=5e-4)


def test_cli_unstable_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["erlang", "--arrivals-per-hour", "200", "--aht-s", "180", "--agents", "10"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "unstable" in err and "Traceback" not in err
    assert "at least 11; 14 reach 80%" in err
    assert main([*argv, "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["stable"] is False


def test_cli_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["erlang", "--arrivals-per-hour", "-5", "--aht-s", "180", "--agents", "10"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["erlang", "--aht-s", "180", "--agents", "10"])
    assert exc.value.code == 2
    assert "arrivals-per-hour" in capsys.readouterr().err
