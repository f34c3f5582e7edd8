"""In-process checks of issue 18: time only moves forward, damaged session files are named,
limits are decided before the work, shifts are booked as the day repeats, the training CSV is
bounded, and the folder lock and folder swap keep their promises."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from sandbox import limits as L
from sandbox.fileio import AtomicFolder, FolderBusy, FolderLock, clean_leftovers, leftovers
from sandbox.scenario import ScenarioError, load_scenario
from sandbox.session import Session, SessionError


@pytest.fixture(scope="module")
def session(tiny: Path) -> Session:
    s = Session(str(tiny), 1)
    s.run_until(300.0)
    return s


@pytest.mark.parametrize("target", [299.0, -1.0, math.nan])
def test_run_until_the_past_raises_and_the_clock_stays(session: Session, target: float) -> None:
    with pytest.raises(SessionError, match="time only moves forward"):
        session.run_until(target)
    assert session.now == 300.0


@pytest.mark.parametrize("step", [-0.001, math.nan])
def test_advance_backwards_raises(session: Session, step: float) -> None:
    with pytest.raises(SessionError):
        session.advance(step)
    assert session.now == 300.0
    assert session.run_until(300.0) == 300.0  # now itself is not the past


def test_a_seed_beyond_the_streams_and_the_store_is_refused(tiny: Path) -> None:
    with pytest.raises(SessionError, match="2\\^63-1"):
        Session(str(tiny), 2**70)


# -- damaged session files ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = tmp_path_factory.mktemp("save") / "s.json"
    s = Session(str(tiny), 1)
    s.run_until(120.0)
    s.save(path)
    return json.loads(path.read_text(encoding="utf-8"))


def _damage(doc: dict, change: str) -> str | dict:
    d = json.loads(json.dumps(doc))
    if change == "cut short":
        return json.dumps(d)[:40]
    if change == "not JSON":
        return "\x00\x01binary"
    if change == "a list":
        return "[]"
    if change == "seed text":
        d["seed"] = "one"
    elif change == "seed 2^70":
        d["seed"] = 2**70
    elif change == "scenario a number":
        d["scenario"] = 5
    elif change == "no hash":
        del d["scenario"]["hash"]
    elif change == "journeys a list":
        d["journeys"] = ["x"]
    elif change == "log not a list":
        d["decision_log"] = {"a": 1}
    elif change == "entry of two":
        d["decision_log"] = [[1.0, "c"]]
    elif change == "time runs back":
        d["decision_log"] = [[10.0, "a", "b"], [5.0, "a", "c"]]
    elif change == "NaN time":
        d["decision_log"] = [[float("nan"), "a", "b"]]
    elif change == "clock NaN":
        d["now"] = float("nan")
    elif change == "bad policy":
        d["human_policy"] = "genius"
    elif change == "overrides a list":
        d["scenario"]["overrides"] = [1]
    elif change == "overrides beyond the limits":
        d["scenario"]["overrides"] = {"hours": 1e9}
    elif change == "unknown decision":
        d["decision_log"] = [[1.0, "nobody", "nothing"]]
    return d


DAMAGE = (
    "cut short", "not JSON", "a list", "seed text", "seed 2^70", "scenario a number", "no hash",
    "journeys a list", "log not a list", "entry of two", "time runs back", "NaN time",
    "clock NaN", "bad policy", "overrides a list", "overrides beyond the limits",
    "unknown decision",
)  # fmt: skip


@pytest.mark.parametrize("change", DAMAGE)
def test_a_damaged_session_file_names_what_is_wrong(
    saved: dict, tmp_path: Path, change: str
) -> None:
    doc = _damage(saved, change)
    path = tmp_path / "damaged.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    with pytest.raises(SessionError) as err:
        Session.resume(path)
    message = str(err.value)
    assert message.startswith(str(path)) and "\n" not in message, message


def test_a_session_file_must_be_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(SessionError, match="named pipe"):
        Session.resume(fifo)
    with pytest.raises(SessionError, match="folder"):
        Session.resume(tmp_path)


# -- limits decided before the work ------------------------------------------------------------
def test_a_run_beyond_the_limits_is_refused_when_loaded(tmp_path: Path, tiny: Path) -> None:
    sc = load_scenario(tiny)
    with pytest.raises(ValueError, match="--hours"):
        sc.with_overrides(hours=L.MAX_HOURS + 1)
    with pytest.raises(ValueError, match="--agents"):
        sc.with_overrides(agents=L.MAX_AGENTS + 1)
    big = tmp_path / "big.yaml"
    big.write_text(
        tiny.read_text().replace("arrivals_per_hour: 60", "arrivals_per_hour: 100000")
        .replace("duration: 20m", "duration: 10h"), encoding="utf-8",
    )  # fmt: skip
    with pytest.raises(ScenarioError) as err:
        load_scenario(big)
    assert [d.code for d in err.value.diagnostics] == ["SC022"]
    assert "1,000,000 customers" in err.value.render()


def test_shifts_are_booked_as_the_day_repeats(tiny: Path) -> None:
    """Events waiting at the start grow with the staff, not with the hours."""
    sc = load_scenario(tiny)
    short = Session(sc.with_overrides(hours=1), 1)
    long = Session(sc.with_overrides(hours=900), 1)
    assert len(long.env._queue) == len(short.env._queue)
    long.run_until(2 * 3600.0)
    assert len(long.env._queue) < 50


# -- the training CSV ------------------------------------------------------------------------
def test_the_training_csv_row_and_cell_limits() -> None:
    import numpy as np

    from customer_models import csvdata, ground_truth

    gen = ground_truth.generate(np.random.default_rng(1), 30)
    text = csvdata.to_csv_text(gen.columns, gen.csat, gen.churn, gen.cross_sell)
    assert len(csvdata.parse_text(text, max_rows=30)) == 30
    with pytest.raises(csvdata.CsvDataError) as err:
        csvdata.parse_text(text, "x.csv", max_rows=29)
    assert err.value.problems[0].line == 31 and "29 data rows" in str(err.value)
    lines = text.splitlines()
    lines[5] = '"' + "y" * (L.MAX_CSV_CELL + 10)
    with pytest.raises(csvdata.CsvDataError) as err:
        csvdata.parse_text("\n".join(lines), "x.csv")
    assert "131,072" in str(err.value) and err.value.problems[0].line >= 6


# -- the lock and the folder swap --------------------------------------------------------------
def test_the_folder_lock_is_exclusive_and_released_by_death(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with FolderLock(target):
        with pytest.raises(FolderBusy) as busy:
            FolderLock(target).acquire()
        assert busy.value.holder == str(os.getpid())
    FolderLock(target).acquire()  # released: free again
    pid = os.fork()
    if pid == 0:  # a child takes the lock and dies without releasing it
        FolderLock(tmp_path / "dead").acquire()
        os._exit(0)
    os.waitpid(pid, 0)
    with FolderLock(tmp_path / "dead"):  # the kernel dropped the dead holder's lock
        pass


def test_a_folder_moved_aside_is_restored_after_a_crash(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "a.txt").write_text("old")

    class Crash(Exception):
        pass

    def crash(point: str) -> None:
        if point == "after_old_moved_aside":
            raise Crash

    folder = AtomicFolder(target, step=crash)
    (folder.path / "a.txt").write_text("new")
    with pytest.raises(Crash):
        folder.commit()
    assert not target.exists() and len(leftovers(target)) == 2
    clean_leftovers(target)
    assert (target / "a.txt").read_text() == "old" and not leftovers(target)
