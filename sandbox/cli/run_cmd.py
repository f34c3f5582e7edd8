"""`shapan run`: play a scenario headless (human seats taken by a bot policy) and export it.

Exit status: 0 the run finished and was exported; 1 the scenario (or an option value) has an
error, printed as `path:line:column: error SCnnn: message`; 2 usage.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from typing import Any

from sandbox.cli.common import (
    UserError,
    add_command,
    add_json_flag,
    emit_json,
    int_arg,
    os_error_text,
    seed_arg,
)
from sandbox.limits import MAX_AGENTS


def _hours(text: str) -> float:
    from sandbox.limits import MAX_HOURS

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= MAX_HOURS:
        raise argparse.ArgumentTypeError(
            f"must be above 0 and at most {MAX_HOURS:g} hours (docs/limits.md), got {text}"
        )
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
    parser.add_argument(
        "--seed", type=seed_arg, help="master seed, 0 .. 2^63-1 (default: the scenario's seed)"
    )
    parser.add_argument(
        "--hours", type=_hours, help="simulate this many hours (the day repeats; at most 1000)"
    )
    parser.add_argument(
        "--agents",
        type=int_arg(1, MAX_AGENTS),
        help=f"total bot agents (groups scaled; at most {MAX_AGENTS})",
    )
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="export folder, replaced as a whole when the run ends "
                        "(default: ./shapan-runs/<scenario>-seed<seed>)")  # fmt: skip
    parser.add_argument("--db", type=Path, default=Path("shapan.db"), metavar="PATH",
                        help="SQLite store that records the run (default ./shapan.db)")  # fmt: skip
    parser.add_argument("--no-db", action="store_true", help="do not record the run in a store")
    parser.add_argument("--seat-policy", default="competent",
                        choices=("random", "novice", "competent", "expert"),
                        help="bot policy that plays the human seats (default competent)")  # fmt: skip
    parser.add_argument("--lang", default="zh-CN", choices=("zh-CN", "en"), help="report language")
    parser.add_argument("--no-report", action="store_true", help="skip report.html")
    parser.add_argument("--trainee", metavar="ID",
                        help="record the session's human-seat contacts in this trainee's history "
                             "(see `shapan trainee`)")  # fmt: skip
    parser.add_argument("--trainee-group", metavar="G", help="with --trainee: the trainee's cohort")
    parser.add_argument("--history-db", default="sqlite:///shapan-server.db", metavar="URL",
                        help="with --trainee: the trainee history's database, the exam server's "
                             "(default sqlite:///shapan-server.db)")  # fmt: skip
    add_json_flag(parser)


class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, end: float, enabled: bool):
        self.end = max(end, 1.0)
        self.enabled = enabled
        self.started = time.perf_counter()

    def __call__(self, now: float) -> None:
        if now >= self.end / 2:
            from sandbox.export import crash_point

            crash_point("during_run")
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


def _open_store(db: Path) -> Any:
    """The run store, opened before the run so a bad --db costs no simulated time."""
    from sandbox.store import RunStore, StoreError

    if db.is_dir():
        raise UserError(f"--db {db} is a folder; give a database file path", exit_code=1)
    try:
        return RunStore(db)
    except StoreError as err:
        raise UserError(f"{err}; give --db a writable file path (or --no-db)") from None
    except OSError as err:
        raise UserError(f"--db: {os_error_text(err)}") from None


def _on_sigterm(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt  # the same clean-up as Ctrl-C


def _run(args: argparse.Namespace) -> int:
    from sandbox.scenario import ScenarioError, load_scenario

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
    from sandbox.export import Export, crash_point  # after the cheap checks: they fail fast
    from sandbox.fileio import FolderBusy
    from sandbox.session import Session, SessionError

    seed = scenario.seed if args.seed is None else args.seed
    out = args.out or Path("shapan-runs") / f"{scenario.name}-seed{seed}"
    # everything that can fail is checked before the simulation: the store, the folder
    store = None if args.no_db else _open_store(args.db)
    export = Export(out)
    try:
        staging = export.open()
    except FolderBusy as err:
        raise UserError(
            f"{out}: {err.strerror}; wait for it to finish or choose another --out"
        ) from None
    except OSError as err:
        raise UserError(f"--out {os_error_text(err)}") from None
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        try:
            session = Session(
                scenario, seed, human_policy=args.seat_policy, out_dir=staging, lang=args.lang,
                name_run=True,
            )  # fmt: skip
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
        crash_point("after_streams_closed")
        write_exports(results, staging, lang=args.lang, report=not args.no_report,
                      step=crash_point)  # fmt: skip
        prov = session.provenance()
        export.finish({**prov, "run_id": session.run_id, "human_policy": args.seat_policy,
                       "lang": args.lang})  # fmt: skip
    except KeyboardInterrupt:
        export.abort()
        if export.committed:  # a Ctrl-C held during the move arrives just after it
            raise UserError(
                f"interrupted; the export {out} is complete but the run was not recorded "
                "in the store",
                exit_code=130,
            ) from None
        raise UserError(
            f"interrupted; {out} was left as it was (no partial files)", exit_code=130
        ) from None
    except OSError as err:
        export.abort()
        raise UserError(
            f"cannot write the export {out}: {os_error_text(err)} "
            "(the previous export, if any, is unchanged)"
        ) from None
    except BaseException:
        export.abort()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    crash_point("before_store_insert")
    run_id = None
    if store is not None:
        import sqlite3

        try:
            run_id = store.record(results)
            store.close()
        except (sqlite3.Error, OverflowError) as err:
            raise UserError(
                f"the export {out} is complete, but recording it in {args.db} failed ({err}); "
                "check the database file"
            ) from None
    if args.trainee:
        _record_trainee(args, results, out)
    if args.json:
        emit_json(results)
        return 0
    _print_table(results, out, wall, run_id, args.db)
    return 0


def _record_trainee(args: argparse.Namespace, results: dict[str, Any], out: Path) -> None:
    """Store the session in the trainee history (sandbox/server/history.py)."""
    from sandbox.server.db import DatabaseError
    from sandbox.server.history import History, HistoryError

    try:
        history = History.open(args.history_db)
        try:
            history.record_session(args.trainee, results, group=args.trainee_group,
                                   source=str(out / "results.json"))  # fmt: skip
        finally:
            history.close()
    except (DatabaseError, HistoryError) as err:
        raise UserError(
            f"the export {out} is complete, but recording it for trainee {args.trainee!r} "
            f"failed: {err}"
        ) from None


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
    names = ("results.json", "contacts.csv", "events.jsonl", "report.html", "manifest.json")
    print(f"exports: {out}/ ({', '.join(n for n in names if (out / n).exists())})")
    if run_id is not None:
        print(f"recorded as run {run_id} in {db}")
