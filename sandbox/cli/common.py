"""Small pieces every command shares: user errors, JSON output, sub-command wiring."""

from __future__ import annotations

import argparse
import errno
import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn


class UserError(Exception):
    """A mistake in the user's input: printed as one clear message, never a traceback.

    `location` is "path:line:column" (or just a path) when the mistake is in a file.
    """

    def __init__(self, message: str, *, location: str | None = None, exit_code: int = 1):
        super().__init__(message)
        self.message = message
        self.location = location
        self.exit_code = exit_code

    def render(self) -> str:
        prefix = f"{self.location}: " if self.location else "shapan: "
        return f"{prefix}error: {self.message}"


class Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error: `shapan run: error: ... (see shapan run --help)`,
    exit 2 — the usage block is what --help is for, and a script reads one line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def os_error_text(err: OSError, what: str = "") -> str:
    """One line for an environment fault: what failed, the system's words, what to do."""
    name = err.filename if err.filename is not None else what
    reason = err.strerror or err.__class__.__name__
    hint = {
        errno.ENOSPC: "free some disk space and run again",
        errno.EDQUOT: "free some disk space and run again",
        errno.EFBIG: "the file grew beyond the allowed size; write somewhere else",
        errno.EACCES: "choose a folder you may write to, or change its permissions",
        errno.EPERM: "choose a folder you may write to, or change its permissions",
        errno.EROFS: "the file system is read-only; choose another folder",
        errno.ENOTDIR: "a part of the path is a file, not a folder; choose another path",
        errno.EISDIR: "the path is a folder; give a file",
        errno.ENOENT: "check the path",
    }.get(err.errno or 0, "check the path and try again")
    return f"{name}: {reason}; {hint}" if name else f"{reason}; {hint}"


def seed_arg(text: str) -> int:
    """An argparse type for every `--seed`: a whole number the random streams and the store
    take (0 .. 2^63 - 1); anything else is a usage error before any work starts."""
    from sandbox.limits import MAX_SEED

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"seed must be between 0 and 2^63-1, got {text}")
    return value


def int_arg(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `lo` to `hi` (docs/limits.md)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be between {lo} and {hi}, got {text}")
        return value

    parse.__name__ = "int"  # argparse names the type in its message
    return parse


def emit_json(document: Any) -> None:
    """Print one JSON document on stdout (the `--json` contract)."""
    json.dump(document, sys.stdout, ensure_ascii=False, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    handler: Callable[[argparse.Namespace], int | None],
    help: str,
    **kwargs: Any,
) -> argparse.ArgumentParser:
    """Add a sub-command whose parsed args carry `handler` for `main` to call."""
    parser = sub.add_parser(name, help=help, description=help, **kwargs)
    parser.set_defaults(handler=handler)
    return parser


def show_usage(group: argparse.ArgumentParser) -> None:
    """A command group called without a sub-command prints its help and exits 2 (usage)."""

    def handler(_args: argparse.Namespace) -> int:
        group.print_help()
        return 2

    group.set_defaults(handler=handler)


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document on stdout instead of text"
    )


def add_scheduler_flag(parser: argparse.ArgumentParser) -> None:
    """`--scheduler ADDRESS`: run the sweep on a Dask distributed cluster (sandbox.sweeps)."""
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run the sweep on a Dask distributed cluster, e.g. tcp://10.0.0.5:8786 "
        "(default: local processes) / 分布式集群",
    )


def validate_files(
    paths: list[str],
    *,
    as_json: bool,
    command: str,
    key: str,
    folder: Any,
    check: Callable[[str], tuple[Any, list[Any]]],
    titles_zh: dict[str, tuple[str, str]],
    render: Callable[[Any], str],
    noun: tuple[str, str],
) -> int:
    """`shapan exam|competition validate PATH|ID|DIR...`: one strict-file checker, one output.
    A folder means its YAML files; a name that is no file but a shipped id means the shipped
    file; anything else is checked as given (a missing file is the checker's own 001 code)."""
    from pathlib import Path

    files: list[tuple[str, Any, list[Any]]] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(str(f) for f in p.iterdir() if f.suffix in (".yaml", ".yml"))
            if not found:
                raise UserError(
                    f"no {noun[0]} YAML files under {raw} / 该目录下没有{noun[1]}文件", location=raw
                )
            targets = found
        elif not p.exists() and (folder / f"{raw}.yaml").is_file():
            targets = [str(folder / f"{raw}.yaml")]
        else:
            targets = [raw]
        for path in targets:
            loaded, diags = check(path)
            files.append((path, loaded, diags))
    errors = sum(len(d) for _, _, d in files)
    if as_json:
        emit_json({
            "command": command, "ok": errors == 0, "errors": errors,
            "files": [
                {"path": path, "ok": not diags, key: c.id if c else None,
                 "content_hash": c.content_hash if c else None,
                 "diagnostics": [{**d.to_json(), "title_zh": titles_zh[d.code][1]} for d in diags]}
                for path, c, diags in files
            ],
        })  # fmt: skip
    else:
        for _, _, diags in files:
            for d in diags:
                print(render(d))
        print(f"{len(files)} file(s): {errors} error(s) / {len(files)} 个文件：{errors} 个错误")
    return 1 if errors else 0
