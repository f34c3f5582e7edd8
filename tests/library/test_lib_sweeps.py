"""Sweeps scale past one machine (issue 17): the same sweep run locally and on a Dask
distributed cluster (`distributed.LocalCluster(processes=True, n_workers=2)`, reached by its
address exactly as `--scheduler ADDRESS` does) gives identical results, for the designer's
bots, exam calibration and the model calibration's bot row."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.sweeps import DaskSweep, LocalSweep, Sweep, SweepError, open_sweep, task_seed

BALANCED = Path(__file__).parent / "fixtures" / "bots_balanced.yaml"


def _square_plus_seed(task: tuple[int, int]) -> tuple[int, int]:
    master, i = task
    return i * i, task_seed(master, i)


@pytest.fixture(scope="module")
def scheduler():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def test_results_come_back_in_task_order_with_per_task_seeds(scheduler):
    tasks = [(7, i) for i in range(40)]
    here = Sweep().map(_square_plus_seed, tasks)
    with LocalSweep(2) as local:
        assert local.map(_square_plus_seed, tasks) == here
    with open_sweep(scheduler=scheduler) as dask:
        assert isinstance(dask, DaskSweep) and dask.workers == 2
        seen: list[int] = []
        assert dask.map(_square_plus_seed, tasks, on_result=lambda i, _: seen.append(i)) == here
        assert seen == list(range(40))


def test_bots_on_a_dask_cluster_equal_the_local_run(scheduler):
    from sandbox.workbench.bots import run_bots

    local = run_bots(BALANCED, runs=120, seed=5, workers=2, progress=False)
    with open_sweep(scheduler=scheduler) as dask:
        remote = run_bots(BALANCED, runs=120, seed=5, progress=False, sweep=dask)
        auto = run_bots(BALANCED, seed=5, predict=False, progress=False, sweep=dask)
    assert remote.to_json() == local.to_json()
    assert auto.verdict.status == "holds"


def test_exam_calibration_and_model_calibration_on_a_dask_cluster(scheduler):
    from sandbox.calibration_rows import all_rows
    from sandbox.exam.calibration import play_all
    from sandbox.exam.loader import load_exam

    exam = load_exam(Path(__file__).parents[2] / "sandbox" / "exams" / "cs-cert-en.yaml")
    assert play_all(exam, 1, seed=3, scheduler=scheduler) == play_all(exam, 1, seed=3, workers=1)
    with open_sweep(scheduler=scheduler) as dask:
        assert all_rows(seed=3, hours=0.1, sweep=dask) == all_rows(seed=3, hours=0.1)


def test_an_unreachable_scheduler_is_one_clear_error(monkeypatch):
    monkeypatch.setattr("sandbox.sweeps.CONNECT_TIMEOUT_S", 1)
    with pytest.raises(
        SweepError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:1"
    ):
        open_sweep(scheduler="tcp://127.0.0.1:1")
