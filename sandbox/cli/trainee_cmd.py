"""`shapan trainee list|show|record|report|weak-spots|plan` and `shapan cohort
report|equivalence`: the trainee history, the effect of training on comparable work, weak spots
and practice plans (sandbox/server/history.py, effect.py, coaching.py, equivalence.py).

The history lives in the exam server's database (`--db`, the same URL as `shapan serve`):
exam attempts are recorded there when the server grades them; practice sessions and
competition rounds with `shapan trainee record ID RESULTS.json`.
"""

from __future__ import annotations

import argparse
import calendar
import time
from pathlib import Path
from typing import Any

from sandbox.cli.common import UserError, add_command, add_json_flag, emit_json, show_usage

DEFAULT_DB = "sqlite:///shapan-server.db"


def _db_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=DEFAULT_DB, metavar="URL",
                        help="database URL: sqlite:///FILE or postgresql+psycopg://USER:PASS@HOST/DB "
                             f"(default {DEFAULT_DB})")  # fmt: skip


def date_arg(text: str) -> float:
    """YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC) as epoch seconds."""
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"):
        try:
            return float(calendar.timegm(time.strptime(text.strip(), fmt)))
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD (UTC)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = add_command(sub, "trainee", lambda _a: 2,
                        help="a trainee's history and the effect of training (学员档案与培训效果)")  # fmt: skip
    show_usage(group)
    tsub = group.add_subparsers(dest="trainee_command", metavar="COMMAND")

    p = add_command(tsub, "list", _list, help="every trainee with how much work is stored")
    p.add_argument("--group", metavar="G", help="only the trainees of cohort G")
    _db_flag(p)
    add_json_flag(p)

    p = add_command(tsub, "show", _show, help="one trainee's work, oldest first")
    p.add_argument("trainee", metavar="ID")
    _db_flag(p)
    add_json_flag(p)

    p = add_command(tsub, "record", _record,
                    help="store a practice session or competition round (a results.json) "
                         "against a trainee")  # fmt: skip
    p.add_argument("trainee", metavar="ID")
    p.add_argument("results", type=Path, metavar="RESULTS", help="a results.json of the session")
    p.add_argument("--kind", choices=("practice", "competition"), default="practice")
    p.add_argument(
        "--seat", metavar="SEAT", help="only this seat's contacts (default: every human seat)"
    )
    p.add_argument("--group", metavar="G", help="put the trainee in cohort G")
    p.add_argument("--name", metavar="NAME", help="the trainee's name")
    _db_flag(p)
    add_json_flag(p)

    p = add_command(tsub, "report", _report,
                    help="did the trainee improve? baseline vs now on comparable work, with "
                         "bootstrap intervals (95 per cent)")  # fmt: skip
    p.add_argument("trainee", metavar="ID")
    _report_flags(p)

    p = add_command(tsub, "weak-spots", _weak_spots,
                    help="the trainee's repeated mistakes over the whole history, each with its "
                         "learning pack (micro-lesson, FAQ, case, compliance point)")  # fmt: skip
    p.add_argument("trainee", metavar="ID")
    _weak_flags(p)
    add_json_flag(p)

    p = add_command(tsub, "plan", _plan,
                    help="export a personal practice plan: the weak spots, their packs and the "
                         "journeys to replay next (HTML or JSON by the file's suffix)")  # fmt: skip
    p.add_argument("trainee", metavar="ID")
    p.add_argument("--out", type=Path, required=True, metavar="FILE",
                   help="plan.html or plan.json")  # fmt: skip
    _weak_flags(p)

    cohort = add_command(sub, "cohort", lambda _a: 2,
                         help="the effect of training on a cohort (培训效果：学员群体)")  # fmt: skip
    show_usage(cohort)
    csub = cohort.add_subparsers(dest="cohort_command", metavar="COMMAND")
    p = add_command(csub, "report", _cohort,
                    help="who improved, who regressed, who has too little data; the pooled "
                         "figures with bootstrap intervals (95 per cent)")  # fmt: skip
    p.add_argument("--group", metavar="G", help="the cohort (default: every trainee)")
    p.add_argument(
        "--by",
        default="rubric",
        metavar="FIGURE",
        help="the figure a trainee's verdict follows (default rubric; e.g. fcr, csat)",
    )
    _report_flags(p)

    p = add_command(csub, "equivalence", _equivalence,
                    help="run the bots through an exam's forms and declare the forms they show "
                         "equivalent, so reports compare work across them (--list: what is "
                         "declared)")  # fmt: skip
    p.add_argument("exam", nargs="?", metavar="EXAM", help="an exam id or file")
    p.add_argument("--runs", type=int, default=20, metavar="N",
                   help="runs per bot and form (default 20)")  # fmt: skip
    p.add_argument("--seed", type=int, default=0, metavar="S")
    p.add_argument("--tolerance", type=float, metavar="POINTS",
                   help="the largest difference of mean scores that counts as equivalent "
                        "(default 5 points)")  # fmt: skip
    p.add_argument("--workers", type=int, metavar="N", help="worker processes")
    p.add_argument("--dry-run", action="store_true", help="judge only, declare nothing")
    p.add_argument("--list", action="store_true", help="list the declared equivalences")
    _db_flag(p)
    add_json_flag(p)


def _weak_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--times", type=int, default=2, metavar="N",
                   help="a mistake is repeated at N occurrences ... (default 2)")  # fmt: skip
    p.add_argument("--window", type=int, default=5, metavar="N",
                   help="... within the last N contacts (default 5)")  # fmt: skip
    p.add_argument("--top", type=int, default=5, metavar="N", help="weak spots listed (default 5)")
    p.add_argument("--since", type=date_arg, metavar="DATE", help="only work from DATE on (UTC)")
    p.add_argument("--lang", choices=("en", "zh-CN"), default="en")
    _db_flag(p)


def _weak_doc(args: argparse.Namespace) -> dict[str, Any]:
    from sandbox.server.coaching import trainee_weak_spots
    from sandbox.server.history import HistoryError
    from sandbox.weak_spots import RepeatRule

    try:
        rule = RepeatRule(args.times, args.window)
    except ValueError as err:
        raise UserError(str(err)) from None
    if args.top < 1:
        raise UserError("--top must be at least 1")
    history = _open(args.db)
    try:
        return trainee_weak_spots(history, args.trainee, rule=rule, top=args.top,
                                  since=args.since)  # fmt: skip
    except HistoryError as err:
        raise UserError(str(err)) from None
    finally:
        history.close()


def _weak_spots(args: argparse.Namespace) -> int:
    from sandbox.server.coaching import render_weak_spots

    doc = _weak_doc(args)
    if args.json:
        emit_json(doc)
    else:
        print(render_weak_spots(doc, args.lang))
    return 0


def _plan(args: argparse.Namespace) -> int:
    import json

    from sandbox.fileio import atomic_write_text
    from sandbox.server.coaching import plan_html

    suffix = args.out.suffix.lower()
    if suffix not in (".html", ".htm", ".json"):
        raise UserError(f"{args.out}: the plan is written as .html or .json")
    doc = _weak_doc(args)
    if suffix == ".json":
        text = json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True)
    else:
        text = plan_html(doc, args.lang)
    atomic_write_text(args.out, text)
    print(f"wrote {args.out}: {len(doc['weak_spots'])} weak spot(s), "
          f"{len(doc['plan'])} journey(s) to replay")  # fmt: skip
    return 0


def _equivalence(args: argparse.Namespace) -> int:
    from sandbox.server import equivalence as eq

    history = _open(args.db)
    try:
        if args.list or args.exam is None:
            rows = history.equivalences()
            if args.json:
                emit_json({"declarations": rows})
            elif not rows:
                print("no forms declared equivalent yet")
            for r in rows if not args.json else ():
                print(f"{_when(r['at'])}  {' = '.join(f['label'] for f in r['forms'])}  "
                      f"({r['rule']})")  # fmt: skip
            return 0
        from sandbox.exam.errors import ExamError
        from sandbox.exam.loader import load_exam

        try:
            exam = load_exam(args.exam)
        except ExamError as err:
            raise UserError(f"the exam has errors:\n{err.render()}", location=args.exam) from None
        try:
            doc = eq.equivalence(exam, runs=args.runs, seed=args.seed,
                                 tolerance=args.tolerance, workers=args.workers)  # fmt: skip
        except ValueError as err:
            raise UserError(str(err)) from None
        doc["declared"] = [] if args.dry_run else eq.declare(history, doc)
    finally:
        history.close()
    if args.json:
        emit_json(doc)
    else:
        print(eq.render(doc))
        n = len(doc["declared"])
        print("" if args.dry_run else f"\ndeclared {n} pair(s) equivalent in the history")
    return 0


def _report_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", type=date_arg, metavar="DATE", help="only work from DATE on (UTC)")
    p.add_argument("--baseline-until", type=date_arg, metavar="DATE",
                   help="the baseline is the work before DATE (default: the first attempt on "
                        "each form)")  # fmt: skip
    p.add_argument("--lang", choices=("en", "zh-CN"), default="en")
    p.add_argument("--costs", type=Path, metavar="FILE",
                   help="the cost model as JSON: repeat_contact, escalation, compliance_breach, "
                        "cross_sell_value, currency (docs/training-effect.md)")  # fmt: skip
    p.add_argument("--html", type=Path, metavar="FILE",
                   help="also write a self-contained HTML report with charts")  # fmt: skip
    _db_flag(p)
    add_json_flag(p)


def _open(url: str) -> Any:
    from sandbox.server.db import DatabaseError
    from sandbox.server.history import History

    try:
        return History.open(url)
    except DatabaseError as err:
        raise UserError(str(err)) from None


def _when(at: float | None) -> str:
    return "-" if at is None else time.strftime("%Y-%m-%d %H:%M", time.gmtime(at))


def _list(args: argparse.Namespace) -> int:
    history = _open(args.db)
    try:
        rows = history.trainees(args.group)
    finally:
        history.close()
    if args.json:
        emit_json({"trainees": rows})
        return 0
    if not rows:
        print("no trainees yet")
        return 0
    print(f"{'trainee':<24} {'name':<16} {'group':<12} {'work':>5} {'contacts':>8}  last")
    for r in rows:
        print(f"{r['id']:<24} {r['name']:<16} {r['group'] or '-':<12} {r['work']:>5} "
              f"{r['contacts']:>8}  {_when(r['last'])}")  # fmt: skip
    return 0


def _show(args: argparse.Namespace) -> int:
    from sandbox.server.history import HistoryError

    history = _open(args.db)
    try:
        info = history.trainee(args.trainee)
        work = history.work([info["id"]])
    except HistoryError as err:
        raise UserError(str(err)) from None
    finally:
        history.close()
    if args.json:
        emit_json({"trainee": info, "work": [w.to_json(with_contacts=True) for w in work]})
        return 0
    print(f"trainee {info['id']}" + (f" ({info['name']})" if info["name"] else "")
          + (f" · group {info['group']}" if info["group"] else ""))  # fmt: skip
    print(
        f"{'id':>5}  {'date':<16} {'kind':<11} {'form':<36} {'key':<16} {'contacts':>8} {'score':>6}"
    )
    for w in work:
        score = "-" if w.score is None else f"{w.score:.1f}" + ("✓" if w.passed else "✗")
        print(f"{w.pk:>5}  {_when(w.at):<16} {w.kind:<11} {w.form_label[:36]:<36} {w.form_key:<16} "
              f"{w.contacts:>8} {score:>6}")  # fmt: skip
    return 0


def _record(args: argparse.Namespace) -> int:
    from sandbox.results import load_results
    from sandbox.server.history import HistoryError

    try:
        doc = load_results(args.results)
    except (OSError, ValueError) as err:
        raise UserError(f"cannot read {args.results}: {err}") from None
    history = _open(args.db)
    try:
        if args.name is not None:
            history.add_trainee(args.trainee, name=args.name, group=args.group)
        pk = history.record_session(args.trainee, doc, kind=args.kind, seat=args.seat,
                                    group=args.group, source=str(args.results))  # fmt: skip
        work = history.work([args.trainee.strip()], with_figures=False)
    except HistoryError as err:
        raise UserError(str(err)) from None
    finally:
        history.close()
    mine = next(w for w in work if w.pk == pk)
    if args.json:
        emit_json(mine.to_json())
    else:
        print(
            f"recorded {mine.kind} {pk} for {mine.trainee_id}: {mine.form_label}, "
            f"{mine.contacts} contacts (form key {mine.form_key})"
        )
    return 0


def _report(args: argparse.Namespace) -> int:
    from sandbox.server.effect import render_trainee, trainee_report
    from sandbox.server.history import HistoryError

    history = _open(args.db)
    try:
        doc = trainee_report(history, args.trainee, baseline_until=args.baseline_until,
                             since=args.since, costs=_costs(args))  # fmt: skip
    except HistoryError as err:
        raise UserError(str(err)) from None
    finally:
        history.close()
    _write_html(args, doc)
    if args.json:
        emit_json(doc)
    else:
        print(render_trainee(doc, args.lang))
    return 0


def _cohort(args: argparse.Namespace) -> int:
    from sandbox.server.effect import cohort_report, render_cohort

    history = _open(args.db)
    try:
        doc = cohort_report(history, group=args.group, since=args.since,
                            baseline_until=args.baseline_until, primary=args.by,
                            costs=_costs(args))  # fmt: skip
    except ValueError as err:
        raise UserError(str(err)) from None
    finally:
        history.close()
    _write_html(args, doc)
    if args.json:
        emit_json(doc)
    else:
        print(render_cohort(doc, args.lang))
    return 0


def _costs(args: argparse.Namespace) -> Any:
    import json

    from sandbox.server.effect import DEFAULT_COSTS, CostModel

    if args.costs is None:
        return DEFAULT_COSTS
    try:
        doc = json.loads(args.costs.read_text(encoding="utf-8"))
        if not isinstance(doc, dict):
            raise ValueError("a JSON object is expected")
        return CostModel.from_json(doc)
    except OSError as err:
        raise UserError(f"cannot read {args.costs}: {err.strerror}") from None
    except ValueError as err:
        raise UserError(f"{args.costs}: {err}") from None


def _write_html(args: argparse.Namespace, doc: dict[str, Any]) -> None:
    if args.html is None:
        return
    from sandbox.fileio import atomic_write_text
    from sandbox.server.effect_html import render_html

    atomic_write_text(args.html, render_html(doc, args.lang))
