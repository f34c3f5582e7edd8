"""Every bad input of issue 18, and a generated family of extreme values for each numeric field
of a scenario, fed to the real CLI: each ends at once with exit status 1 or 2 and coded
one-line errors (no traceback, under 10 s of CPU, under 1 GiB), or is accepted and finishes
within its documented limits (docs/limits.md). Cases run two at a time (2 cores)."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from fault_testutil import ERLANG_JOURNEY, ROOT, Ran, run_cli, tiny_scenario

from sandbox import limits as L

#: one coded error per line: `path:line:col: error SCnnn: ...`, `shapan: error: ...`,
#: `shapan run: error: ...` (usage), `path: error: ...`
ERROR_LINE = re.compile(r"(^|: )error( [A-Z]{2}\d{3})?: \S")
MAX_CPU_S = 10.0
MAX_RSS_MB = 1024.0


@dataclass
class Case:
    id: str
    args: list[str]
    codes: tuple[int, ...] = (1, 2)
    one_line: bool = True  # False: one coded line per mistake (a scenario's diagnostics)
    argv: list[str] | None = None
    expect: str = ""  # text the message must contain
    check: Callable[[Ran], None] | None = None
    report: bool = False  # a check command: its findings go to stdout


def _judge(case: Case, ran: Ran) -> None:
    where = f"{case.id}: exit {ran.code}\n{ran.err[-2000:]}"
    assert ran.code in case.codes, where
    assert "Traceback" not in ran.err, where
    assert ran.cpu_s < MAX_CPU_S, (case.id, ran.cpu_s)
    assert ran.maxrss_mb < MAX_RSS_MB, (case.id, ran.maxrss_mb)
    if ran.code != 0 and not case.report:
        lines = ran.err.strip().splitlines()
        assert lines and all(ERROR_LINE.search(line) for line in lines), where
        if case.one_line:
            assert len(lines) == 1, where
    if case.expect:
        assert case.expect in ran.err + ran.out, where
    if case.check is not None:
        case.check(ran)


def _run_all(cases: list[Case], cwd: Path) -> list[tuple[Case, Ran]]:
    env = {"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}  # `play` never opens a window
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(
            pool.map(
                lambda c: (c, run_cli(c.args, cwd=cwd, argv=c.argv, env=env, timeout=60)), cases
            )
        )


# -- the cases of the issue ---------------------------------------------------------------------
def _scenario(path: Path, **fields: str) -> str:
    path.write_text(tiny_scenario(**fields), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bad")


def _issue_cases(work: Path, tiny: Path) -> list[Case]:
    run = ["run", "--no-db", "--no-report", "--out", str(work / "out")]
    groups = "".join(
        f"\n  - {{id: g{i}, count: 100000, policy: expert, channels: [phone]}}" for i in range(50)
    )
    groups_ok = groups.replace("100000", "10000")
    fifo = work / "pipe.yaml"
    if not fifo.exists():
        os.mkfifo(fifo)
    sparse = work / "huge.csv"  # a 2-million-row export's size, without writing it
    with open(sparse, "wb") as fh:
        fh.truncate(2_000_000 * 210)
    from customer_models.csvdata import COLUMNS

    cell = work / "cell.csv"
    cell.write_text(",".join(COLUMNS) + '\n"' + "x" * 140_000 + "\n", encoding="utf-8")
    a_file = work / "a_file"
    a_file.write_text("not a folder")

    def not_run(ran: Ran) -> None:  # refused before the simulation: no export folder
        assert not (work / "out").exists(), "the run started"

    saves = []
    if importlib.util.find_spec("pygame") is not None:  # `shapan play` comes with the desk
        damaged = work / "damaged.json"
        damaged.write_text('{"schema": "shapan.session/1", "scenario": {"path": "x"}, "seed": 1}')
        cut = work / "cut.json"
        cut.write_text('{"schema": "shapan.ses')
        for name, path, words in (
            ("resume a damaged save", damaged, 'damaged session file: "scenario" has no "hash"'),
            ("resume a save cut short", cut, "damaged session file: not valid JSON"),
            ("resume a named pipe", fifo, "error"),
        ):
            saves.append(Case(name, ["play", "--resume", str(path)], (1,), expect=words))

    return [
        *saves,
        Case("hours 999999", [*run, "--scenario", str(tiny), "--hours", "999999"], (2,)),
        Case("agents 1e9", [*run, "--scenario", str(tiny), "--agents", "1000000000"], (2,)),
        Case(
            "50 groups of 100,000",
            [*run, "--scenario", _scenario(work / "g.yaml", agents=groups)],
            (1,),
            one_line=False,
        ),
        Case(
            "50 groups of 10,000",
            [*run, "--scenario", _scenario(work / "g2.yaml", agents=groups_ok)],
            (1,),
            expect="SC022",
        ),
        Case(
            "interval 1e-9",
            [
                *run,
                "--scenario",
                _scenario(
                    work / "i.yaml", channels="\n  phone: {arrivals_per_hour: 60, interval: 1e-9}"
                ),
            ],
            (1,),
            expect="SC016",
        ),
        Case(
            "service mean 1e308",
            [
                *run,
                "--scenario",
                _scenario(work / "s.yaml", service="{model: exponential, mean: 1e308}"),
            ],
            (1,),
            expect="SC016",
        ),
        Case(
            "duration 1e308",
            [*run, "--scenario", _scenario(work / "d.yaml", duration="1e308")],
            (1,),
            expect="SC016",
        ),
        Case("scenario /dev/zero", [*run, "--scenario", "/dev/zero"], (1,), expect="regular file"),
        Case(
            "journey file /dev/zero",
            [*run, "--scenario", _scenario(work / "jz.yaml", journey_files="[/dev/zero]")],
            (1,),
            expect="regular file",
            one_line=False,
        ),
        Case(
            "journey file a named pipe",
            [*run, "--scenario", _scenario(work / "jp.yaml", journey_files=f"[{fifo}]")],
            (1,),
            expect="named pipe",
            one_line=False,
        ),
        Case("scenario a named pipe", [*run, "--scenario", str(fifo)], (1,), expect="named pipe"),
        Case("scenario a folder", [*run, "--scenario", str(work) + "/"], (1,)),
        Case(
            "seed 2^70", [*run, "--scenario", str(tiny), "--seed", str(2**70)], (2,), check=not_run
        ),
        Case(
            "seed 2^80",
            [*run, "--scenario", str(tiny), "--seed", "1208925819614629174706176"],
            (2,),
            check=not_run,
        ),
        Case(
            "bad --db",
            [
                "run",
                "--scenario",
                str(tiny),
                "--out",
                str(work / "out"),
                "--db",
                str(work / "no" / "such" / "dir.db"),
            ],
            (1,),
            check=not_run,
        ),
        Case(
            "--db a folder",
            ["run", "--scenario", str(tiny), "--out", str(work / "out"), "--db", str(work)],
            (1,),
            check=not_run,
        ),
        Case(
            "--out a file",
            ["run", "--no-db", "--scenario", str(tiny), "--out", str(a_file)],
            (1,),
            expect="not a folder",
        ),
        Case(
            "--out unwritable",
            ["run", "--no-db", "--scenario", str(tiny), "--out", "/proc/shapan-out"],
            (1,),
        ),
        Case(
            "--out under a file",
            ["run", "--no-db", "--scenario", str(tiny), "--out", str(a_file / "x")],
            (1,),
        ),
        Case(
            "journey bots --seed -1", ["journey", "bots", str(ERLANG_JOURNEY), "--seed", "-1"], (2,)
        ),
        Case(
            "journey bots --runs 10^9",
            ["journey", "bots", str(ERLANG_JOURNEY), "--runs", "1000000000"],
            (2,),
        ),
        Case(
            "model train --seed -1",
            ["model", "train", "--out", str(work / "m"), "--seed", "-1"],
            (2,),
        ),
        Case("model calibrate --seed -1", ["model", "calibrate", "--seed", "-1"], (2,)),
        Case(
            "model train --rows 1",
            ["model", "train", "--out", str(work / "m"), "--rows", "1"],
            (2,),
        ),
        Case(
            "model sample --rows 10^9",
            ["model", "sample", "--out", str(work / "s.csv"), "--rows", "1000000000"],
            (2,),
        ),
        Case(
            "CSV of 2 million rows",
            ["model", "train", "--data", str(sparse), "--out", str(work / "m")],
            (1,),
            expect="limit",
        ),
        Case(
            "CSV cell over 131,072",
            ["model", "train", "--data", str(cell), "--out", str(work / "m")],
            (1,),
            expect="131,072",
        ),
        Case(
            "CSV a named pipe",
            ["model", "train", "--data", str(fifo), "--out", str(work / "m")],
            (1,),
        ),
        Case("model card --dir /dev", ["model", "card", "--dir", "/dev"], (1,)),
        Case(
            "erlang 1e300",
            ["erlang", "--arrivals-per-hour", "1e300", "--aht-s", "1e300", "--agents", "5"],
            (2,),
        ),
        Case(
            "erlang agents 1e9",
            [
                "erlang",
                "--arrivals-per-hour",
                "100",
                "--aht-s",
                "100",
                "--agents",
                "1000000000",
                "--patience-s",
                "60",
            ],
            (2,),
        ),
        Case(
            "verify-export of nothing",
            ["verify-export", str(work / "nothing")],
            (1,),
            report=True,
            expect="incomplete",
        ),
        Case(
            "bots_throughput --help",
            [],
            (0,),
            argv=[sys.executable, str(ROOT / "benchmarks" / "bots_throughput.py"), "--help"],
            check=lambda r: None if "usage:" in r.out else pytest.fail(r.err),
        ),
    ]


def test_every_bad_input_of_the_issue_is_refused_at_once(work: Path, tiny: Path) -> None:
    failures = []
    for case, ran in _run_all(_issue_cases(work, tiny), work):
        try:
            _judge(case, ran)
        except AssertionError as err:
            failures.append(str(err))
    assert not failures, "\n\n".join(failures)


# -- the generated family: each numeric field of a scenario at and beyond its limits -------------
TEMPLATE = """\
scenario: fam
version: {version}
title: Family
duration: {duration}
seed: {seed}
drain: {drain}
service_level_threshold: {threshold}
channels:
  phone:
    arrivals_per_hour: {rate}
    interval: {interval}
    day_factor_cv: {cv}
    line_time: {line}
    profile: [1, {profile}]
    patience: {{mean: {patience}}}
service: {{model: exponential, mean: {service}, sigma: {sigma}}}
journey_files: [{journey}]
journeys: {{erlang_call: {weight}}}
{personas}agents:
  - {{id: bot, count: {count}, policy: expert, channels: [phone], speed: {speed},
      chat_concurrency: {conc}, shift: {{start: {shift_start}, end: {shift_end}}}}}
seats:
  - {{id: seat, channels: [phone], form: {{seed: {form_seed}, customers: {customers}, gap: {gap}}}}}
targets: {{aht_s: {target}}}
"""
BASE = dict(
    version=1, duration=600, seed=1, drain=300, threshold=20, rate=30, interval=300, cv=0,
    line=6, profile=1, patience=90, service=60, sigma=0.5, journey=ERLANG_JOURNEY, weight=1,
    persona=None, count=2, speed=1, conc=1, shift_start=0, shift_end=600, form_seed=1,
    customers=5, gap=5, target=300,
)  # fmt: skip
#: field -> (lowest, highest accepted, whole number?, run the highest?) from the loader's limits
FIELDS: dict[str, tuple[float, float, bool, bool]] = {
    "version": (1, 1_000_000, True, True),
    "duration": (1, L.MAX_DURATION_S, False, False),  # 1000 h of arrivals: see test below
    "seed": (0, L.MAX_SEED, True, True),
    "drain": (0, L.MAX_DRAIN_S, False, True),
    "threshold": (0, L.MAX_THRESHOLD_S, False, True),
    "rate": (0, L.MAX_ARRIVALS_PER_HOUR, False, False),  # 16,667 customers in 10 min
    "interval": (L.MIN_INTERVAL_S, L.MAX_INTERVAL_S, False, True),
    "cv": (0, 2, False, True),
    "line": (0, L.MAX_LINE_S, False, True),
    "profile": (0, 999_999, False, True),
    "patience": (L.MIN_PATIENCE_MEAN_S, L.MAX_PATIENCE_MEAN_S, False, True),
    "service": (L.MIN_SERVICE_MEAN_S, L.MAX_SERVICE_MEAN_S, False, True),
    "sigma": (0, 3, False, False),
    "weight": (1e-9, 9e8, False, False),
    "persona": (0, L.MAX_PERSONA_WEIGHT, False, False),
    "count": (1, L.MAX_AGENTS - 1, True, True),
    "speed": (0.2, 5, False, True),
    "conc": (1, 8, True, False),
    "shift_end": (1, 900, False, False),
    "form_seed": (0, L.MAX_SEED, True, False),
    "customers": (1, 10_000, True, False),
    "gap": (0, 3600, False, False),
    "target": (0, 1e12, False, False),
}


#: fields whose readers differ (whole number, number, duration, list weight, mix weights):
#: each meets a NaN; the others share these readers
NAN_PATHS = ("version", "duration", "rate", "profile", "weight", "persona")


def _family() -> list[tuple[str, str, bool]]:
    """(field, value as YAML, accepted?) — beyond each end, not a number, and the highest."""
    out = []
    for name, (lo, hi, integer, run_hi) in FIELDS.items():
        above = hi + 1 if integer else hi * 10 + 1
        below = lo - 1 if lo > 0 or integer else -1
        out += [(name, repr(above), False), (name, repr(below), False)]
        if name in NAN_PATHS:
            out.append((name, ".nan", False))
        if run_hi:
            out.append((name, repr(int(hi) if integer else hi), True))
    return out


def test_extreme_values_of_every_numeric_field(work: Path) -> None:
    cases = []
    for i, (name, value, accepted) in enumerate(_family()):
        path = work / f"fam{i}.yaml"
        fields = {**BASE, name: value}
        fields["personas"] = (  # only in the persona cases: checking a mix imports numpy
            f"personas: {{segment: {{mass: {value}, vip: 1}}}}\n" if name == "persona" else ""
        )
        path.write_text(TEMPLATE.format(**fields), encoding="utf-8")
        args = ["run", "--scenario", str(path), "--no-db", "--no-report", "--out",
                str(work / f"fam{i}")]  # fmt: skip
        # a scenario reports each mistake on its own coded line (a follow-on one too)
        cases.append(Case(f"{name}={value}", args, (0,) if accepted else (1, 2), one_line=False))
    failures = []
    for case, ran in _run_all(cases, work):
        try:
            _judge(case, ran)
        except AssertionError as err:
            failures.append(str(err))
    assert not failures, "\n\n".join(failures)


def test_the_largest_accepted_duration_and_rate_are_planned_within_the_limits() -> None:
    """The two fields not run at their maximum above: what they are allowed to cost."""
    from sandbox.scenario import load_scenario

    sc = load_scenario("erlang")
    assert L.expected_contacts(sc.with_overrides(hours=L.MAX_HOURS)) == 200 * L.MAX_HOURS
    with pytest.raises(ValueError, match="customers"):
        load_scenario("full-day").with_overrides(hours=L.MAX_HOURS)
    assert L.MAX_EXPECTED_CONTACTS >= 100_000 / 6  # max rate over the family's 10 minutes


def test_the_store_and_the_streams_take_every_accepted_seed(tmp_path: Path) -> None:
    from sandbox.store import RunStore

    store = RunStore(tmp_path / "s.db")
    store.record({"seed": L.MAX_SEED, "scenario": {}, "kpis": {}})
    assert store.runs()[0]["seed"] == L.MAX_SEED
    import numpy as np

    np.random.SeedSequence(L.MAX_SEED).spawn(2)


def test_a_refused_json_run_prints_nothing_on_stdout(work: Path, tiny: Path) -> None:
    ran = run_cli(["run", "--scenario", str(tiny), "--seed", "-1", "--json"], cwd=work)
    assert ran.code == 2 and ran.out == "" and ran.one_line_error()
