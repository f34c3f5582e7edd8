"""`shapan play`: open the pygame agent desk.

`ui` plugs this command into the `shapan` CLI through the `shapan.commands` entry point, so
`sandbox` never imports `ui`. Nothing heavy is imported at module level: pygame loads only
when the desk opens, and `shapan --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sandbox.cli.common import UserError, add_command, add_json_flag, emit_json


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(
        sub,
        "play",
        _play,
        "open the agent desk (pygame): take customers, decide, see the BI results / 打开坐席工作台",
    )
    parser.add_argument(
        "--scenario",
        metavar="NAME|PATH",
        help="shipped scenario name or YAML path (pre-selected on the start screen)",
    )
    parser.add_argument(
        "--lang", choices=("zh-CN", "en"), help="interface language (default zh-CN)"
    )
    parser.add_argument("--seed", type=int, help="master seed (default: the scenario's)")
    parser.add_argument("--fullscreen", action="store_true", help="open full screen")
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="FILE",
        help="continue a saved session (its decision log is replayed)",
    )
    parser.add_argument(
        "--save",
        type=Path,
        metavar="PATH",
        help="where to save the session continuously (default ~/.local/share/shapan/sessions/)",
    )
    parser.add_argument(
        "--trainee", metavar="NAME", help="trainee name; with --scenario skips the start screen"
    )
    parser.add_argument(
        "--mode",
        choices=("practice", "timed"),
        default="practice",
        help="practice (coaching) or timed (exam-like)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="folder for the exported HTML report (default: next to the save file)",
    )
    parser.add_argument(
        "--exam",
        metavar="URL|FILE",
        help="exam mode: an exam server (http://host:port, with --code) or an exam file / "
        "shipped id for an unproctored practice exam",
    )
    parser.add_argument("--code", metavar="CODE", help="your candidate code (with --exam URL)")
    parser.add_argument(
        "--form", metavar="N", help="practice exam: form index or id (default the first)"
    )
    parser.add_argument(
        "--league",
        metavar="URL",
        help="join a classroom competition on this server (with --team CODE) / 加入课堂竞赛",
    )
    parser.add_argument("--team", metavar="CODE", help="your team code (with --league URL)")
    parser.add_argument(
        "--member", type=int, metavar="N", help="with --league: take seat N of the team"
    )
    parser.add_argument(
        "--history-db",
        default="sqlite:///shapan-server.db",
        metavar="URL",
        help="with --trainee: record each finished session in the trainee history (the exam "
        "server's database; see shapan trainee); 'none' records nothing",
    )
    parser.add_argument(
        "--frames", type=int, metavar="N", help="close after N frames (smoke tests and benchmarks)"
    )
    add_json_flag(parser)


def _play(args: argparse.Namespace) -> int:
    from sandbox.scenario import ScenarioError, resolve_scenario, shipped_scenarios
    from sandbox.session import SessionError

    if args.resume is not None and not args.resume.is_file():
        raise UserError(
            f"no saved session at {args.resume}; pass a file written by shapan play (see ~/.local/share/shapan/sessions/)",
            location=str(args.resume),
        )
    if args.frames is not None and args.frames < 1:
        raise UserError("--frames must be at least 1", exit_code=2)
    exam_options: dict[str, Any] = {}
    if args.league is not None or args.team is not None or args.member is not None:
        exam_options = _open_league(args)
    elif args.exam is not None or args.code is not None:
        exam_options = _open_exam(args)
    if args.scenario is not None:  # a cheap check here; a broken file is reported on screen
        try:
            path = resolve_scenario(args.scenario)
        except ScenarioError as err:
            print(err.render(), file=sys.stderr)
            return 1
        if not path.is_file():
            raise UserError(
                f"no scenario file at {path}; pass a shipped name ({', '.join(shipped_scenarios())}) or a YAML path",
                location=str(path),
            )
    try:
        from ui.app import App, PlayOptions
    except ImportError as err:
        raise UserError(
            f"the desk needs pygame-ce and pygame_gui ({err.name} is missing): pip install 'shapan[ui]'"
        ) from None
    options = PlayOptions(
        scenario=args.scenario,
        scenarios=playable_scenarios(shipped_scenarios()),
        lang=args.lang,
        seed=args.seed,
        fullscreen=args.fullscreen,
        resume=args.resume,
        save=args.save,
        out_dir=args.out,
        trainee=args.trainee or "",
        mode=args.mode,
        history_db=None if str(args.history_db).lower() == "none" else args.history_db,
        skip_start=bool(args.trainee and args.scenario),
        **exam_options,
    )
    try:
        app = App(options)
    except ScenarioError as err:
        print(err.render(), file=sys.stderr)
        return 1
    except SessionError as err:  # e.g. a resume file whose journeys or scenario changed
        raise UserError(str(err)) from None
    status = app.run(max_frames=args.frames)
    if args.json:
        session = app.session
        emit_json(
            {
                "save_path": str(app.save_path) if app.save_path else None,
                "finished": bool(getattr(session, "finished", False)),
                "sim_time_s": getattr(session, "now", None),
                "decisions": len(getattr(session, "decision_log", []) or []),
                "first_frame_s": app.first_frame_s,
            }
        )
    return status


def playable_scenarios(names: list[str]) -> list[str]:
    """The scenarios a trainee can play: those with a seat at the desk (a seatless one — the
    engine's validation runs — would leave the trainee watching). `--scenario` still opens any."""
    from sandbox.scenario import ScenarioError, load_scenario

    keep = []
    for name in names:
        try:
            if load_scenario(name).seats:
                keep.append(name)
        except ScenarioError:
            continue
    return keep or names


def _open_exam(args: argparse.Namespace) -> dict[str, Any]:
    """Open the attempt before the window does: a wrong code, a changed exam or an unreachable
    server is one line in the terminal, not a broken screen."""
    from sandbox.exam.taking import ExamTaking, TakingError, load_exam_ref

    if args.exam is None:
        raise UserError("--code goes with --exam URL", exit_code=2)
    clash = [f for f, v in (("--scenario", args.scenario), ("--resume", args.resume),
                            ("--seed", args.seed), ("--save", args.save)) if v is not None]  # fmt: skip
    if args.mode != "practice":
        clash.append("--mode")
    if clash:
        raise UserError(
            f"{', '.join(clash)} cannot be used with --exam (an exam sets its own) / 考试模式不能使用 "
            + ", ".join(clash),
            exit_code=2,
        )
    online = str(args.exam).startswith(("http://", "https://"))
    if online and not args.code:
        raise UserError("an exam server needs --code CODE / 连接考试服务器需要 --code", exit_code=2)
    if not online and args.code:
        raise UserError(
            f"--code is for an exam server (http://…), not for {args.exam}", exit_code=2
        )
    if online and args.form is not None:
        raise UserError("--form is for a practice exam file; the server assigns yours", exit_code=2)
    try:
        if not online:
            exam = load_exam_ref(args.exam)
            try:
                form = exam.form_index("0" if args.form is None else args.form)
            except ValueError as err:
                raise UserError(str(err), exit_code=2) from None
            taking = ExamTaking.offline(exam, form, candidate=args.trainee or "", lang=args.lang)
            return {"exam": taking}
        return _open_online(args)
    except TakingError as err:
        raise UserError(err.line(), location=args.exam) from None


def _open_online(args: argparse.Namespace) -> dict[str, Any]:
    from sandbox.exam.taking import ExamTaking
    from sandbox.server.client import AttemptClosed, ClientError, ExamClient

    try:
        client = ExamClient(args.exam, args.code, timeout=3.0)
        return {"exam": ExamTaking.online(client, candidate=args.trainee or "", lang=args.lang)}
    except AttemptClosed as err:
        if err.result is None:
            raise UserError(f"{err.words['en']} / {err.words['zh-CN']}") from None
        return {"exam_result": err.result}  # the desk shows the finished attempt's result
    except ClientError as err:  # unknown code, retake wait, unreachable server
        raise UserError(f"{err.words['en']} / {err.words['zh-CN']}", location=args.exam) from None


def _open_league(args: argparse.Namespace) -> dict[str, Any]:
    """Take (or resume) the team's seat before the window opens: a wrong code, a full team or
    an unreachable server is one line in the terminal."""
    from sandbox.server.client import ClientError

    if not args.league or not args.team:
        raise UserError("--league URL goes with --team CODE / 加入竞赛需要 --league 与 --team",
                        exit_code=2)  # fmt: skip
    clash = [f for f, v in (("--exam", args.exam), ("--code", args.code), ("--scenario", args.scenario),
                            ("--resume", args.resume), ("--seed", args.seed), ("--save", args.save),
                            ("--form", args.form)) if v is not None]  # fmt: skip
    if args.mode != "practice":
        clash.append("--mode")
    if clash:
        raise UserError(f"{', '.join(clash)} cannot be used with --league / 竞赛模式不能使用 "
                        + ", ".join(clash), exit_code=2)  # fmt: skip
    if not str(args.league).startswith(("http://", "https://")):
        raise UserError("--league needs the server's URL (http://host:port)", exit_code=2)
    from ui.league import LeagueDesk

    try:
        return {"league": LeagueDesk(args.league, args.team, args.member, lang=args.lang)}
    except ClientError as err:  # unknown code, full team, kicked, unreachable server
        raise UserError(f"{err.words['en']} / {err.words['zh-CN']}", location=args.league) from None
