"""`shapan trainee list|show|record|report` and `shapan cohort report`: the trainee history and
the effect of training on comparable work (sandbox/server/history.py, sandbox/server/effect.py).

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
