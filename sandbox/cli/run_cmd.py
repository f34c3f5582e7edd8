"""`shapan run`: play a scenario headless (human seats taken by a bot policy) and export it.

Exit status: 0 the run finished and was exported; 1 the scenario (or an option value) has an
error, printed as `path:line:column: error SCnnn: message`; 2 usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sandbox.cli.common import UserError, add_command, add_json_flag, emit_json


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value > 0 and value < 1e6):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("seed must be >= 0")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(
        sub,
        "run",
        _run,
        help="run a scenario headless and export its results (无界面运行场景并导出结果)",
    )
    parser.add_argument("--scenario", required=True, metavar="NAME|PATH",
                        help="a shipped scenario (practice, full-day, erlang) or a scenario YAML file")  # fmt: skip
    parser.add_argument("--seed", type=_seed, help="master seed (default: the scenario's seed)")
    parser.add_argument(
        "--hours", type=_positive_float, help="simulate this many hours (the day repeats)"
    )
    parser.add_argument("--agents", type=_positive_int, help="total bot agents (groups scaled)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="export folder (default: ./shapan-runs/<scenario>-seed<seed>)")  # fmt: skip
    parser.add_argument("--db", type=Path, default=Path("shapan.db"), metavar="PATH",
                        help="SQLite store that records the run (default ./shapan.db)")  # fmt: skip
    parser.add_argument("--no-db", action="store_true", help="do not record the run in a store")
    parser.add_argument("--seat-policy", default="competent",
                        choices=("random", "novice", "competent", "expert"),
                        help="bot policy that plays the human seats (default competent)")  # fmt: skip
    parser.add_argument("--lang", default="zh-CN", choices=("zh-CN", "en"), help="report language")
    parser.add_argument("--no-report", action="store_true", help="skip report.html")
    add_json_flag(parser)


class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, end: float, enabled: bool):
        self.end = max(end, 1.0)
        self.enabled = enabled
        self.started = time.perf_counter()

    def __call__(self, now: float) -> None:
        if not self.enabled:
            return
        frac = min(1.0, now / self.end)
        bar = "#" * int(frac * 30)
        spent = time.perf_counter() - self.started
        sys.stderr.write(f"\r[{bar:<30}] {frac:6.1%}  sim {now / 3600:5.2f} h  wall {spent:5.1f} s")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def _run(args: argparse.Namespace) -> int:
    from sandbox.scenario import ScenarioError, load_scenario
    from sandbox.session import Session, SessionError

    try:
        scenario = load_scenario(args.scenario)
        scenario = scenario.with_overrides(hours=args.hours, agents=args.agents)
    except ScenarioError as err:
        for d in err.diagnostics:
            text = d.render() if d.code != "SC021" else f"error {d.code}: {d.message}"
            print(text, file=sys.stderr)
        return 1
    except ValueError as err:
        raise UserError(str(err), exit_code=1) from None
    seed = scenario.seed if args.seed is None else args.seed
    out = args.out or Path("shapan-runs") / f"{scenario.name}-seed{seed}"
    try:
        session = Session(
            scenario, seed, human_policy=args.seat_policy, out_dir=out, lang=args.lang
        )
    except SessionError as err:
        raise UserError(str(err)) from None
    progress = _Progress(scenario.duration_s, sys.stderr.isatty())
    started = time.perf_counter()
    session.run_to_end(progress)
    progress.done()
    wall = time.perf_counter() - started
    from sandbox.results import write_exports

    results = session.results()
    session.close()
    write_exports(results, out, lang=args.lang, report=not args.no_report)
    run_id = None
    if not args.no_db:
        from sandbox.store import RunStore, StoreError

        try:
            store = RunStore(args.db)
            run_id = store.record(results)
            store.close()
        except StoreError as err:
            raise UserError(str(err)) from None
    if args.json:
        emit_json(results)
        return 0
    _print_table(results, out, wall, run_id, args.db)
    return 0


def _pad(text: str, width: int) -> str:
    """Left-justify by display width (CJK characters take two columns)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


def _print_table(results: dict, out: Path, wall: float, run_id: int | None, db: Path) -> None:
    sc = results["scenario"]
    print(
        f"shapan run — {sc['name']}  seed {results['seed']}  sim {results['duration_s'] / 3600:.2f} h  wall {wall:.1f} s"
    )
    print(f"{'KPI':<34}{'value':>12}{'target':>12}  met")
    from sandbox import kpi_catalogue as kc

    vs = results.get("kpi_vs_target", {})
    for key in kc.KPI_KEYS:
        name = f"{kc.label(key, 'zh-CN')} {kc.label(key, 'en')}"
        row = vs.get(key)
        value = kc.format_value(key, results["kpis"].get(key))
        target = kc.format_target(key, row["target"]) if row else ""
        met = ("✓" if row["met"] else "✗") if row and row.get("met") is not None else ""
        print(f"{_pad(name, 34)}{value:>12}{target:>12}  {met}")
    names = ("results.json", "contacts.csv", "events.jsonl", "report.html")
    print(f"exports: {out}/ ({', '.join(n for n in names if (out / n).exists())})")
    if run_id is not None:
        print(f"recorded as run {run_id} in {db}")
