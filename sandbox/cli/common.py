"""Small pieces every command shares: user errors, JSON output, sub-command wiring."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any


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
        prefix = f"{self.location}: " if self.location else ""
        return f"{prefix}error: {self.message}"


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
