"""`shapan play`: open the pygame agent desk.

`ui` plugs this command into the `shapan` CLI through the `shapan.commands` entry point, so
`sandbox` never imports `ui`. Nothing heavy is imported at module level: pygame loads only
when the desk opens, and `shapan --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
        scenarios=shipped_scenarios(),
        lang=args.lang,
        seed=args.seed,
        fullscreen=args.fullscreen,
        resume=args.resume,
        save=args.save,
        out_dir=args.out,
        trainee=args.trainee or "",
        mode=args.mode,
        skip_start=bool(args.trainee and args.scenario),
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
