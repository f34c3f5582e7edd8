"""A run's export folder is one run or the folder as it was: kill -9 at every step, two runs at
one --out, Ctrl-C, a full disk, and `shapan verify-export` reporting each case.

The kills come from the test-only hook `SHAPAN_TEST_CRASH_AT=<point>` (sandbox/export.py),
which makes `shapan run` SIGKILL itself at that point."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from fault_testutil import ROOT, SHAPAN, run_cli

from sandbox.cli import main
from sandbox.export import CRASH_ENV, CRASH_POINTS, MANIFEST, embedded_run_id, verify_export
from sandbox.fileio import FolderLock, leftovers

FILES = ("contacts.csv", "events.jsonl", "results.json")


def _run(tiny: Path, out: Path, seed: int, *extra: str, env: dict | None = None, **kw):
    args = ["run", "--scenario", str(tiny), "--seed", str(seed), "--out", str(out), "--no-db"]
    return run_cli([*args, *extra], env=env, **kw)


def _runs_named(folder: Path) -> set[str | None]:
    return {embedded_run_id(p) for p in folder.iterdir() if not p.name.startswith(".")}


@pytest.fixture(scope="module")
def previous(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete export of seed 2026 (with its report), copied for each test."""
    out = tmp_path_factory.mktemp("prev") / "out"
    ran = _run(tiny, out, 2026)
    assert ran.code == 0, ran.err
    return out


def _copy(previous: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    return out


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_kill_at_any_point_never_leaves_a_mixed_folder_that_looks_complete(
    tiny: Path, previous: Path, tmp_path: Path, point: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _copy(previous, tmp_path)
    old = verify_export(out).run_id
    report = () if point == "during_report" else ("--no-report",)
    ran = _run(tiny, out, 2, *report, env={CRASH_ENV: point})
    assert ran.code == -signal.SIGKILL, (point, ran.code, ran.err)
    verdict = verify_export(out)
    if out.exists():
        named = _runs_named(out)
        # the folder is one run's, whole: the old one, or the new one once moved in
        assert len(named) == 1, (point, named)
        assert verdict.status == "complete", (point, verdict.findings)
        assert verdict.run_id in (old, *named)
        expect_new = point in ("after_new_moved_in", "before_store_insert")
        assert (verdict.run_id != old) == expect_new, point
    else:  # killed between the two renames: reported, and the next run restores the old one
        assert point == "after_old_moved_aside"
        assert verdict.status == "incomplete"
    if point != "before_store_insert":  # before that, the kill left something to clean up
        assert leftovers(out), point
    # the check command reports the same (exit 0 only for a complete folder)
    assert main(["verify-export", str(out)]) == (0 if verdict.status == "complete" else 1)
    assert verdict.status in capsys.readouterr().out.splitlines()[-1]
    # the next run cleans what the dead one left and writes a complete folder
    again = _run(tiny, out, 2, "--no-report")
    assert again.code == 0, again.err
    assert not leftovers(out)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no .part files inside
    assert verify_export(out).status == "complete"


def test_verify_export_tells_complete_incomplete_mixed_and_altered(
    tiny: Path, previous: Path, tmp_path: Path
) -> None:
    out = _copy(previous, tmp_path)
    assert verify_export(out).status == "complete"
    other = tmp_path / "other"
    assert _run(tiny, other, 7, "--no-report").code == 0

    mixed = _copy(previous, tmp_path / "m")
    shutil.copy(other / "contacts.csv", mixed / "contacts.csv")
    v = verify_export(mixed)
    assert v.status == "mixed" and any("contacts.csv" in m for _, m in v.findings)

    altered = _copy(previous, tmp_path / "a")
    with open(altered / "results.json", "r+b") as fh:
        fh.seek(200)
        byte = fh.read(1)
        fh.seek(200)
        fh.write(b"x" if byte != b"x" else b"y")
    assert verify_export(altered).status == "altered"

    incomplete = _copy(previous, tmp_path / "i")
    (incomplete / MANIFEST).unlink()
    assert verify_export(incomplete).status == "incomplete"
    legacy = _copy(previous, tmp_path / "l")
    (legacy / MANIFEST).unlink()
    shutil.copy(other / "events.jsonl", legacy / "events.jsonl")
    assert verify_export(legacy).status == "incomplete"
    assert any(s == "mixed" for s, _ in verify_export(legacy).findings)

    ran = run_cli(["verify-export", str(mixed), "--json"])
    assert ran.code == 1 and json.loads(ran.out)["status"] == "mixed"


def test_every_file_names_its_run(previous: Path) -> None:
    manifest = json.loads((previous / MANIFEST).read_text(encoding="utf-8"))
    run = manifest["run_id"]
    assert set(manifest["files"]) == {*FILES, "report.html"}
    for name in manifest["files"]:
        assert embedded_run_id(previous / name) == run, name
    assert manifest["seed"] == 2026 and manifest["scenario"]["hash"]
    assert manifest["model_version"] and manifest["journeys"]


def test_two_runs_at_one_out_do_not_interleave(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with FolderLock(out):  # a run in progress: the second is refused at once, one line
        ran = _run(tiny, out, 1, "--no-report")
    assert ran.code == 1 and ran.one_line_error(), ran.err
    assert "another shapan process" in ran.err and not out.exists()
    # two real runs started together: one wins the lock (or they run one after the other);
    # either way the folder is one run, complete, and nothing is left beside it
    procs = [
        subprocess.Popen(
            [
                *SHAPAN,
                "run",
                "--scenario",
                str(tiny),
                "--seed",
                str(seed),
                "--out",
                str(out),
                "--no-db",
                "--no-report",
            ],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for seed in (11, 12)
    ]
    codes = [p.wait(60) for p in procs]
    errs = [p.stderr.read().decode() for p in procs if p.stderr]
    assert 0 in codes and set(codes) <= {0, 1}, errs
    assert verify_export(out).status == "complete"
    assert len(_runs_named(out)) == 1 and not leftovers(out)


def test_ctrl_c_cleans_up_and_exits_130(tiny: Path, previous: Path, tmp_path: Path) -> None:
    out = _copy(previous, tmp_path)
    long = tmp_path / "long.yaml"
    long.write_text(tiny.read_text().replace("duration: 20m", "duration: 100h"))
    proc = subprocess.Popen(
        [*SHAPAN, "run", "--scenario", str(long), "--out", str(out), "--no-db"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not leftovers(out) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftovers(out), "the run never started"
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    code = proc.wait(30)
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert code == 130 and len(err.strip().splitlines()) == 1 and "interrupted" in err, err
    assert not leftovers(out)
    assert verify_export(out).status == "complete"  # the previous export, untouched


def _small_files() -> None:
    """A disk that fills up: no file may grow past 64 KB (the report does)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_full_disk_is_one_line_and_leaves_the_previous_export(
    tiny: Path, previous: Path, tmp_path: Path
) -> None:
    out = _copy(previous, tmp_path)
    before = verify_export(out).run_id
    ran = _run(tiny, out, 5, preexec=_small_files)
    assert ran.code == 1 and ran.one_line_error(), ran.err
    assert "cannot write the export" in ran.err and "unchanged" in ran.err
    assert verify_export(out).status == "complete" and verify_export(out).run_id == before
    assert not leftovers(out)
