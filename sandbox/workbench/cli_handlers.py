"""Handlers behind `shapan journey explore|bots|record|test|watch`.

Each turns user mistakes into `UserError` (one clear line, never a traceback) and follows the
exit-status contract: 0 clean, 1 findings or bad input, 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sandbox.cli.common import UserError, emit_json


def _load(path: str) -> Any:
    """Load a journey or raise UserError with its diagnostics."""
    from journeys.diagnostics import JourneyError
    from journeys.loader import load_journey

    p = Path(path)
    if not p.exists():
        raise UserError(f"no such file: {path} / 文件不存在", location=path)
    try:
        return load_journey(p)
    except JourneyError as err:
        first = err.diagnostics[0]
        more = (
            f" (+{len(err.diagnostics) - 1} more; run `shapan journey validate {path}`)"
            if len(err.diagnostics) > 1
            else ""
        )
        raise UserError(
            f"{first.code}: {first.message}{more}",
            location=f"{first.path}:{first.line}:{first.column}",
        ) from None


# ----------------------------------------------------------------------------- explore
def cmd_explore(args: argparse.Namespace) -> int:
    from journeys.explore import explore, format_report

    if args.max_states < 1:
        raise UserError("--max-states must be at least 1", exit_code=2)
    reports = [explore(_load(p), args.max_states) for p in args.paths]
    verdicts = {r.verdict for r in reports}
    if args.json:
        emit_json(
            {
                "ok": verdicts == {"ok"},
                "verdict": next(v for v in ("problems", "inconclusive", "ok") if v in verdicts),
                "journeys": [r.to_json() for r in reports],
            }
        )
    else:
        print("\n".join(format_report(r) for r in reports))
    # 1: something proved wrong; 3: the walk could not decide (state limit), never "unreachable"
    return 1 if "problems" in verdicts else (EXIT_INCONCLUSIVE if "inconclusive" in verdicts else 0)


#: Exit status of `journey explore` when a walk stopped at its limit without other findings.
EXIT_INCONCLUSIVE = 3


# ----------------------------------------------------------------------------- bots
def cmd_bots(args: argparse.Namespace) -> int:
    """Exit 0 when the ranking holds or is undecided, 1 when it is decided the wrong way."""
    from journeys.policies import POLICIES
    from sandbox.limits import MAX_BOT_RUNS, MAX_WORKERS
    from sandbox.sweeps import SweepError, open_sweep
    from sandbox.workbench.bots import format_report, run_bots

    if args.runs is not None and not 1 <= args.runs <= MAX_BOT_RUNS:
        raise UserError(f"--runs must be from 1 to {MAX_BOT_RUNS} (docs/limits.md)", exit_code=2)
    if not 1 <= args.max_runs <= MAX_BOT_RUNS:
        raise UserError(f"--max-runs must be from 1 to {MAX_BOT_RUNS}", exit_code=2)
    if args.workers is not None and not 1 <= args.workers <= MAX_WORKERS:
        raise UserError(f"--workers must be from 1 to {MAX_WORKERS}", exit_code=2)
    for p in args.policies or ():
        if p not in POLICIES:
            raise UserError(f"unknown policy '{p}'; choose from {', '.join(POLICIES)}", exit_code=2)
    for path in args.paths:
        _load(path)  # clear error before any worker starts
    small = args.runs is not None and args.runs * len(args.policies or POLICIES) < 400
    try:
        sweep = open_sweep(1 if small and not args.scheduler else args.workers, args.scheduler)
    except SweepError as err:
        raise UserError(str(err), exit_code=1) from None
    reports = []
    with sweep:
        for path in args.paths:
            reports.append(
                run_bots(
                    path,
                    runs=args.runs,
                    seed=args.seed,
                    policies=args.policies,
                    predict=not args.no_predict,
                    max_runs=args.max_runs,
                    sweep=sweep,
                )
            )
    if args.json:
        docs = [r.to_json() for r in reports]
        emit_json(docs[0] if len(docs) == 1 else {"journeys": docs})
    else:
        print("\n\n".join(format_report(r) for r in reports))
    failed = any(r.verdict is not None and r.verdict.status == "fails" for r in reports)
    return 1 if failed else 0


# ----------------------------------------------------------------------------- record
def _persona(pairs: list[str]) -> dict[str, Any] | None:
    from journeys.vocabulary import PERSONA_FIELDS, PERSONA_VALUES

    if not pairs:
        return None
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or name not in PERSONA_FIELDS:
            raise UserError(
                f"--persona {pair!r}: use FIELD=VALUE with FIELD one of "
                f"{', '.join(PERSONA_FIELDS)}",
                exit_code=2,
            )
        typ = PERSONA_FIELDS[name]
        try:
            value: Any = typ(raw) if typ is not str else raw
        except ValueError:
            raise UserError(
                f"--persona {pair!r}: {name} needs a {typ.__name__}", exit_code=2
            ) from None
        if name in PERSONA_VALUES and value not in PERSONA_VALUES[name]:
            raise UserError(
                f"--persona {pair!r}: {name} is one of {', '.join(PERSONA_VALUES[name])}",
                exit_code=2,
            )
        out[name] = value
    return out


def cmd_record(args: argparse.Namespace) -> int:
    from journeys.runtime import JourneyRunError
    from journeys.transcripts import choices_chooser, policy_chooser, record
    from sandbox.fileio import atomic_write_text

    journey = _load(args.path)
    persona = _persona(args.persona)
    if (
        persona is not None
        and journey.persona
        and not journey.accepts_persona(
            {**{k: v[0] for k, v in journey.persona.items()}, **persona}
        )
    ):
        raise UserError(
            f"the persona {persona} is outside journey '{journey.id}'s persona "
            f"filter {dict(journey.persona)}",
            exit_code=1,
        )
    if args.choices and args.policy:
        raise UserError("use either --choices or --policy, not both", exit_code=2)
    if args.choices:
        chooser = choices_chooser([c.strip() for c in args.choices.split(",") if c.strip()])
        how = "choices " + args.choices
    elif args.policy:
        try:
            chooser = policy_chooser(args.policy, args.seed)
        except ValueError as err:
            raise UserError(str(err), exit_code=2) from None
        how = f"policy {args.policy}"
    else:
        if not sys.stdin.isatty():
            raise UserError(
                "no terminal to play in: pass --choices a,b,c or --policy expert", exit_code=2
            )
        chooser = _terminal_chooser(args.lang)
        how = "interactive"
    branches = _branches(args.branch)
    if args.output and Path(args.output).exists() and not args.force:
        raise UserError(
            f"{args.output} exists; pass --force to overwrite it / 文件已存在，覆盖请加 --force",
            location=args.output,
        )
    try:
        transcript = record(
            journey,
            args.seed,
            chooser,
            persona,
            recorded_with=how,
            on_step=_printer(args.lang) if how == "interactive" else None,
            branches=branches,
        )
    except JourneyRunError as err:
        raise UserError(str(err), location=args.path) from None
    out = Path(args.output) if args.output else _default_output(journey, args.path, transcript)
    if out.exists() and not args.force:
        raise UserError(
            f"{out} exists (same journey, outcome and seed); pass --force to overwrite it, or "
            "-o another file / 文件已存在，覆盖请加 --force",
            location=str(out),
        )
    transcript.journey_path = _relative(Path(args.path), out.parent)
    atomic_write_text(out, transcript.to_yaml())
    summary = {
        "path": str(out),
        "journey": journey.id,
        "steps": len(transcript.steps),
        "outcome": transcript.expect["outcome"],
        "score": transcript.expect["score"],
        "risks": transcript.expect["risks"],
    }
    if args.json:
        emit_json(summary)
    else:
        print(
            f"recorded {summary['steps']} choices → {summary['outcome']} "
            f"(score {summary['score']:g}) to {out} / 已录制"
        )
    return 0


def _branches(pairs: list[str]) -> dict[str, str] | None:
    """--branch NODE=TARGET (repeatable): the random branch to take at a route node."""
    out: dict[str, str] = {}
    for pair in pairs or ():
        node, sep, target = pair.partition("=")
        if not sep or not node or not target:
            raise UserError(f"--branch {pair!r}: use NODE=BRANCH, e.g. --branch opening=needs",
                            exit_code=2)  # fmt: skip
        out[node] = target
    return out or None


def _printer(lang: str):
    """Show what each step did: feedback on the choice, then the lines said."""

    def show(res) -> None:
        if res.feedback:
            print(f"  → {res.feedback[lang]}  (score {res.score:+g})")
        for t in res.triggers:
            print(f"  ! trigger {t.trigger_id}: {t.status} {', '.join(t.required)}")
        for ln in res.lines:
            print(f"  [{ln.speaker}] {ln.text[lang]}")
        if res.ending:
            print(f"  = {res.ending.outcome}")

    return show


def _terminal_chooser(lang: str):
    """Interactive play: number the choices and read the trainee's pick."""

    def choose(run) -> str:
        views = run.choices()
        if run.required_behaviours:
            print(f"  ! pending / 待完成: {', '.join(run.required_behaviours)}")
        for i, v in enumerate(views, start=1):
            print(f"  {i}. {v.text[lang]}")
        while True:
            try:
                raw = input("choice / 选择 > ").strip()
            except EOFError:
                raise UserError("input ended before the journey finished") from None
            if raw.isdigit() and 1 <= int(raw) <= len(views):
                return views[int(raw) - 1].id
            for v in views:
                if v.id == raw:
                    return v.id
            print(f"  type 1-{len(views)} or a choice id / 请输入 1-{len(views)} 或选项 id")

    return choose


def _relative(target: Path, base: Path) -> str:
    import os

    return os.path.relpath(target.resolve(), base.resolve())


def _default_output(journey: Any, journey_path: str, transcript: Any) -> Path:
    """transcripts/<journey id>/<outcome>_seed<seed>.yaml next to the journey file."""
    folder = Path(journey_path).parent / "transcripts" / journey.id
    return folder / f"{transcript.expect['outcome']}_seed{transcript.seed}.yaml"


# ----------------------------------------------------------------------------- test
def cmd_test(args: argparse.Namespace) -> int:
    from journeys.diagnostics import JourneyError
    from journeys.transcripts import (
        TranscriptError,
        find_transcripts,
        journey_for,
        load_transcript,
        replay,
    )

    if args.paths:
        files = find_transcripts(args.paths)
    else:
        from journeys.library import library_dir

        files = find_transcripts([library_dir() / "transcripts"])
    if not files:
        raise UserError("no transcripts found / 没有找到黄金对话", exit_code=1)
    results: list[dict[str, Any]] = []
    for f in files:
        try:
            t = load_transcript(f)
            journey = journey_for(t)
            results.append(replay(t, journey).to_json())
        except TranscriptError as err:
            results.append({"path": str(f), "ok": False, "error": f"{err.location}: {err.message}"})
        except (JourneyError, KeyError) as err:
            msg = (
                err.diagnostics[0].render()
                if isinstance(err, JourneyError)
                else str(err).strip("'\"")
            )
            results.append({"path": str(f), "ok": False, "error": msg})
    failed = [r for r in results if not r["ok"]]
    if args.json:
        emit_json(
            {
                "ok": not failed,
                "passed": len(results) - len(failed),
                "failed": len(failed),
                "transcripts": results,
            }
        )
    else:
        for r in results:
            if r["ok"]:
                note = f"  ({'; '.join(r['notes'])})" if r.get("notes") else ""
                print(f"PASS {r['path']}{note}")
            elif "error" in r:
                print(f"ERROR {r['error']}")
            else:
                d = r["divergence"]
                where = (
                    "start"
                    if d["step"] is None and d["field"] in ("node", "lines")
                    else ("end" if d["step"] is None else f"step {d['step']}")
                )
                print(
                    f"FAIL {r['path']}: first divergence at {where} ({d['field']}): {d['message']}"
                )
        print(
            f"{len(results) - len(failed)} passed, {len(failed)} failed / "
            f"{len(results) - len(failed)} 通过，{len(failed)} 失败"
        )
    return 1 if failed else 0


# ----------------------------------------------------------------------------- watch
def cmd_watch(args: argparse.Namespace) -> int:
    from sandbox.workbench.watch import watch

    if args.interval <= 0:
        raise UserError("--interval must be positive", exit_code=2)
    print(f"watching {args.path} — Ctrl-C to stop / 监视中，Ctrl-C 退出", flush=True)
    return watch(args.path, sys.stdout, interval=args.interval, knowledge=args.knowledge)
