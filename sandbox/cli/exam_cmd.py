"""`shapan exam ...`: validate exam files, take an exam headless with a bot, grade a journal.

Exit status: 0 clean (for `grade`/`play`: graded, whatever the verdict), 1 findings or bad
input (an exam with errors, a journal that does not replay), 2 usage.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from sandbox.cli.common import (
    UserError,
    add_command,
    add_json_flag,
    add_scheduler_flag,
    emit_json,
    seed_arg,
    show_usage,
    validate_files,
)
from sandbox.cli.exam_integrity import (
    add_grade_options,
    add_play_options,
    finish_grade,
    read_journal_arg,
    register_integrity,
    write_journal,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser(
        "exam",
        help="certification exams: validate, play, grade / 认证考试",
        description="Certification exams: validate exam files, take one headless, grade a journal.",
    )
    sub = group.add_subparsers(dest="exam_command", metavar="COMMAND")
    show_usage(group)

    p = add_command(
        sub,
        "validate",
        _validate,
        "check exam files strictly: path:line:column: error EXnnn / 校验考试文件",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="exam files, folders or shipped ids")
    add_json_flag(p)

    p = add_command(
        sub, "grade", _grade, "grade a journal offline by replay (unproctored) / 离线评分"
    )
    _exam_and_form(p)
    p.add_argument("--journal", required=True, metavar="FILE",
                   help="[[t, contact_id, choice_id], ...] or a file with a decision_log")  # fmt: skip
    add_grade_options(p)
    p.add_argument(
        "--lang", choices=("zh-CN", "en"), help="language of the text report (default: the exam's)"
    )
    add_json_flag(p)

    p = add_command(
        sub, "play", _play, "take an exam headless with a bot, write its journal / 机器人答题"
    )
    _exam_and_form(p)
    p.add_argument("--policy", default="competent",
                   choices=("random", "novice", "competent", "expert"))  # fmt: skip
    p.add_argument(
        "--journal-out", required=True, metavar="FILE", help="where to write the journal"
    )
    p.add_argument("--think", default="5s", metavar="DURATION",
                   help="the bot decides this long after a decision appears (default 5s)")  # fmt: skip
    add_play_options(p)
    p.add_argument("--seed", type=seed_arg, default=1, help="the bot's own random seed (default 1)")
    p.add_argument(
        "--lang", choices=("zh-CN", "en"), help="language of the text report (default: the exam's)"
    )
    add_json_flag(p)
    register_integrity(sub)

    p = add_command(
        sub, "calibrate", _calibrate,
        "play the bot policies through every form: cut score, reliability, form equivalence "
        "/ 考试校准",
    )  # fmt: skip
    p.add_argument("exam", metavar="EXAM", help="a shipped exam id or an exam file")
    p.add_argument("--runs", type=int, default=None, metavar="N",
                   help="runs per policy and form (default 10)")  # fmt: skip
    p.add_argument("--workers", type=int, default=None, metavar="W",
                   help="worker processes (default: the number of CPUs)")  # fmt: skip
    p.add_argument(
        "--seed", type=seed_arg, default=1, help="derives every run's bot seed (default 1)"
    )
    add_scheduler_flag(p)
    add_json_flag(p)
    __import__("sandbox.cli.exam_replay", fromlist=["_"]).register_replay(sub)
    __import__("sandbox.cli.exam_take", fromlist=["_"]).register_take(sub)


def _exam_and_form(p: argparse.ArgumentParser) -> None:
    p.add_argument("exam", metavar="EXAM", help="a shipped exam id or an exam file")
    p.add_argument(
        "--form", required=True, metavar="N", help="form index (0, 1, ...) or form id (A, B, ...)"
    )


def _validate(args: argparse.Namespace) -> int:
    from sandbox.exam.errors import EX_CODES, render
    from sandbox.exam.loader import EXAM_DIR, check_exam

    return validate_files(
        args.paths, as_json=args.json, command="exam validate", key="exam", folder=EXAM_DIR,
        check=check_exam, titles_zh=EX_CODES, render=render, noun=("exam", "考试"),
    )  # fmt: skip


def _load(args: argparse.Namespace) -> tuple[Any, int]:
    from sandbox.exam.errors import ExamError
    from sandbox.exam.loader import load_exam

    try:
        exam = load_exam(args.exam)
    except ExamError as err:
        raise UserError(f"the exam has errors:\n{err.render()}", location=args.exam) from None
    try:
        return exam, exam.form_index(args.form)
    except ValueError as err:
        raise UserError(str(err), exit_code=2) from None


def _report(result: Any, args: argparse.Namespace, lang: str) -> None:
    if args.json:
        emit_json(result.to_json())
    else:
        print(result.render(args.lang or lang))


def _grade(args: argparse.Namespace) -> int:
    from sandbox.exam.errors import JournalError
    from sandbox.exam.grading import grade

    exam, form = _load(args)
    try:
        result = grade(exam, form, read_journal_arg(args.journal))
    except JournalError as err:
        raise UserError(str(err), location=args.journal) from None
    return finish_grade(result, args, exam.lang)


def _play(args: argparse.Namespace) -> int:
    from journeys.durations import parse_duration
    from sandbox.exam.grading import grade
    from sandbox.exam.replay import play, policy_chooser
    from sandbox.fileio import atomic_write_text

    think = parse_duration(args.think)
    if think is None:
        raise UserError(f"--think is not a duration: {args.think!r} (e.g. 5s)", exit_code=2)
    exam, form = _load(args)
    journal = play(exam, form, policy_chooser(args.policy), think_s=think, seed=args.seed)
    if args.chained:
        write_journal(args.journal_out, journal, chained=True)
    else:
        atomic_write_text(args.journal_out, json.dumps(journal, ensure_ascii=False) + "\n")
    _report(grade(exam, form, journal), args, exam.lang)
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    """Exit 0 when calibrated (every form's alpha >= 0.8, forms equivalent), 1 otherwise."""
    import time

    from sandbox.exam.calibration import DEFAULT_RUNS, calibrate, check_bounds
    from sandbox.exam.errors import ExamError
    from sandbox.exam.loader import load_exam
    from sandbox.sweeps import SweepError

    try:
        exam = load_exam(args.exam)
    except ExamError as err:
        raise UserError(f"the exam has errors:\n{err.render()}", location=args.exam) from None
    runs = DEFAULT_RUNS if args.runs is None else args.runs
    why = check_bounds(exam, runs, args.workers)
    if why is not None:
        raise UserError(why, exit_code=2)
    started = time.perf_counter()
    try:
        cal = calibrate(
            exam, runs=runs, seed=args.seed, workers=args.workers, scheduler=args.scheduler
        )
    except SweepError as err:
        raise UserError(str(err), exit_code=1) from None
    if args.json:
        emit_json(cal.to_json())
    else:
        print(cal.render())
        print(f"took {time.perf_counter() - started:.1f} s / 用时")
    return 0 if cal.ok else 1
