"""`shapan competition ...`: classroom competitions (docs/competition-format.md).

- `validate PATH|ID...`: check competition files strictly, one `path:line:column: error LGnnn`
  line per mistake (docs/competition-errors.md); exit 0 clean, 1 errors, 2 usage;
- `list`: the shipped competitions with their titles.

Adding a sub-command: put a module `sandbox/cli/competition_<name>.py` beside this one with
`register(sub)` (`sub` is this group's sub-parsers; use `cli.common.add_command`). It is
discovered like the `*_cmd` modules, so this file need not change. Import nothing heavy at
module level (`shapan --help` must start fast).
"""

from __future__ import annotations

import argparse
import pkgutil
from importlib import import_module

import sandbox.cli as cli_package
from sandbox.cli.common import (
    UserError,
    add_command,
    add_json_flag,
    emit_json,
    show_usage,
    validate_files,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser(
        "competition",
        help="classroom competitions: validate, list / 课堂竞赛",
        description="Classroom competitions: teams, rounds and a balanced scorecard.",
    )
    sub = group.add_subparsers(dest="competition_command", metavar="COMMAND")
    show_usage(group)

    p = add_command(
        sub,
        "validate",
        _validate,
        "check competition files strictly: path:line:column: error LGnnn / 校验竞赛文件",
    )
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="competition files, folders or shipped ids"
    )
    add_json_flag(p)

    p = add_command(sub, "list", _list, "the shipped competitions / 内置竞赛")
    add_json_flag(p)

    for name in _extension_modules():
        import_module(f"sandbox.cli.{name}").register(sub)


def _extension_modules() -> list[str]:
    """`competition_<name>` modules in sandbox/cli: more sub-commands of this group."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(cli_package.__path__)
        if info.name.startswith("competition_") and not info.name.endswith("_cmd")
    )


def _validate(args: argparse.Namespace) -> int:
    from sandbox.league.errors import LG_CODES, render
    from sandbox.league.loader import COMPETITION_DIR, check_competition

    return validate_files(
        args.paths, as_json=args.json, command="competition validate", key="competition",
        folder=COMPETITION_DIR, check=check_competition, titles_zh=LG_CODES, render=render,
        noun=("competition", "竞赛"),
    )  # fmt: skip


def _list(args: argparse.Namespace) -> int:
    from sandbox.league.errors import CompetitionError
    from sandbox.league.loader import load_competition, shipped_competitions

    rows = []
    for cid in shipped_competitions():
        try:
            c = load_competition(cid)
        except CompetitionError as err:  # a broken shipped file: say so, do not hide it
            raise UserError(f"shipped competition {cid} has errors:\n{err.render()}") from None
        entrants = (
            f"{len(c.teams)} teams"
            if c.signup is None
            else f"sign-up, up to {c.signup.max_teams} teams"
        )
        rows.append((c, entrants))
    if args.json:
        emit_json({
            "command": "competition list",
            "competitions": [
                {"id": c.id, "title": c.title, "lang": c.lang, "rounds": len(c.rounds),
                 "teams": len(c.teams), "signup": c.signup is not None,
                 "content_hash": c.content_hash}
                for c, _ in rows
            ],
        })  # fmt: skip
        return 0
    for c, entrants in rows:
        print(f"{c.id}  {c.title['en']} / {c.title['zh-CN']}  "
              f"[{c.lang}; {len(c.rounds)} rounds; {entrants}]")  # fmt: skip
    return 0
