"""`shapan verify-export DIR`: is an export folder one whole run?

Exit status: 0 complete; 1 incomplete, mixed (files of different runs) or altered (a file
changed after the run wrote it); 2 usage. See sandbox/export.py and docs/results-schema.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sandbox.cli.common import add_command, add_json_flag, emit_json

_WORDS = {
    "complete": "complete 完整",
    "incomplete": "incomplete 不完整",
    "mixed": "mixed 混杂（多次运行的文件）",
    "altered": "altered 已被改动",
}


def register(sub: argparse._SubParsersAction) -> None:
    parser = add_command(
        sub,
        "verify-export",
        _verify,
        help="check that an export folder is one complete, unaltered run (检查导出文件夹是否完整)",
    )
    parser.add_argument("folder", type=Path, metavar="DIR", help="a `shapan run --out` folder")
    add_json_flag(parser)


def _verify(args: argparse.Namespace) -> int:
    from sandbox.export import COMPLETE, verify_export

    verdict = verify_export(args.folder)
    if args.json:
        emit_json(verdict.as_json())
    else:
        for status, message in verdict.findings:
            print(f"{args.folder}: {status}: {message}")
        run = f" (run {verdict.run_id})" if verdict.run_id else ""
        print(f"{args.folder}: {_WORDS[verdict.status]}{run}")
    return 0 if verdict.status == COMPLETE else 1
