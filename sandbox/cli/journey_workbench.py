"""Designer's workbench commands under `shapan journey`: explore, bots, record, test, watch.

Helper A's `journey_cmd.py` owns the `journey` group and calls `register(journey_subparsers)`.
The heavy lifting lives in `journeys.explore`, `journeys.transcripts` and `sandbox.workbench`;
this module only parses arguments, prints and picks exit codes (0 clean, 1 findings, 2 usage).
"""

from __future__ import annotations

import argparse

from sandbox.cli.common import add_command, add_json_flag, add_scheduler_flag, seed_arg
from sandbox.limits import MAX_BOT_RUNS


class _Handlers:
    """Resolve `cmd_*` handlers lazily so `shapan --help` imports nothing heavy."""

    def __getattr__(self, name: str):
        def handler(args: argparse.Namespace) -> int:
            from sandbox.workbench import cli_handlers

            return getattr(cli_handlers, name)(args)

        handler.__name__ = name
        return handler


def register(journey_subparsers: argparse._SubParsersAction) -> None:
    """Add the workbench sub-commands to the `journey` command group."""
    h = _Handlers()
    p = add_command(
        journey_subparsers,
        "explore",
        h.cmd_explore,
        "walk every reachable (node, state): endings reached, choices never offered, dead ends "
        "/ 穷举遍历旅程",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="journey YAML file(s)")
    p.add_argument(
        "--max-states", type=int, default=200_000, help="stop with a clear message beyond this"
    )
    add_json_flag(p)

    p = add_command(
        journey_subparsers,
        "bots",
        h.cmd_bots,
        "seeded Monte-Carlo with bot policies: the ranking verdict with 95% intervals (runs "
        "added until decided), where a policy loses, coverage, suggested pass mark "
        "/ 机器人批量试玩与平衡结论",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="journey YAML file(s)")
    p.add_argument("--runs", type=int, default=None,
                   help="exactly N runs per policy (default: the bots add runs until the "
                   f"ranking is decided, up to --max-runs; at most {MAX_BOT_RUNS})")  # fmt: skip
    p.add_argument("--max-runs", type=int, default=3200,
                   help="cap of the automatic number of runs per policy (default 3200)")  # fmt: skip
    p.add_argument("--seed", type=seed_arg, default=0, help="master seed (default 0)")
    p.add_argument(
        "--policy",
        action="append",
        dest="policies",
        metavar="P",
        help="policy to run (repeatable; default all: random novice competent expert)",
    )
    p.add_argument("--workers", type=int, default=None,
                   help="processes (default: all cores)")  # fmt: skip
    add_scheduler_flag(p)
    p.add_argument("--no-predict", action="store_true", help="skip CSAT/churn predictions (faster)")
    add_json_flag(p)

    p = add_command(
        journey_subparsers,
        "record",
        h.cmd_record,
        "play a journey (interactively, from --choices or a --policy) and save a golden "
        "transcript / 录制黄金对话",
    )
    p.add_argument("path", metavar="PATH", help="journey YAML file")
    p.add_argument("--seed", type=seed_arg, default=0)
    p.add_argument("--choices", default=None, help="comma-separated choice ids to play")
    p.add_argument("--policy", default=None, help="let a bot policy play instead")
    p.add_argument(
        "--persona",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="persona field (repeatable), e.g. --persona anger=7 --persona segment=vip",
    )
    p.add_argument(
        "--branch",
        action="append",
        default=[],
        metavar="NODE=BRANCH",
        help="force the random route at NODE to take BRANCH (repeatable; saved in the transcript)",
    )
    p.add_argument("--lang", default="zh-CN", choices=("zh-CN", "en"))
    p.add_argument("-o", "--output", default=None, help="transcript file to write")
    p.add_argument("--force", action="store_true", help="overwrite an existing transcript")
    add_json_flag(p)

    p = add_command(
        journey_subparsers,
        "test",
        h.cmd_test,
        "replay golden transcripts and show the first divergence / 回放黄金对话",
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="transcript files or folders (default: the shipped library's transcripts)",
    )
    add_json_flag(p)

    p = add_command(
        journey_subparsers,
        "watch",
        h.cmd_watch,
        "re-validate and lint on every save (Ctrl-C to stop) / 保存即校验",
    )
    p.add_argument("path", metavar="PATH", help="journey YAML file")
    p.add_argument("--interval", type=float, default=0.5, help="poll interval in seconds")
    p.add_argument(
        "--knowledge",
        action="append",
        metavar="PATH",
        help="extra knowledge-base file or folder (repeatable; added to the shipped base and "
        "any knowledge/ folder beside the journey)",
    )

    p = add_command(
        journey_subparsers,
        "lsp",
        _lsp,
        "language server for editors over stdio: diagnostics as you type, completion, hover, "
        "go to definition (docs/designing-journeys.md) / 编辑器语言服务",
    )
    p.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")


def _lsp(args: argparse.Namespace) -> int:
    from sandbox.workbench.lsp import serve

    return serve()
