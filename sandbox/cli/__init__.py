"""The `shapan` command line.

One argparse tree; each command group lives in its own `sandbox/cli/<name>_cmd.py` module that
exposes `register(subparsers)`. Modules are discovered, so adding a command means adding a file.
Layers above `sandbox` (the pygame `ui`) contribute commands through the `shapan.commands`
entry-point group instead, so `sandbox` never imports them.
Command modules import nothing heavy at import time: `shapan --help` must start fast.
"""

from __future__ import annotations

import argparse
import os
import pkgutil
import sys
from importlib import import_module
from importlib.metadata import entry_points

from sandbox import __version__
from sandbox.cli.common import Parser, UserError, os_error_text


def _command_modules() -> list[str]:
    """Names of the `*_cmd` modules in this package, in a stable order."""
    return sorted(
        info.name for info in pkgutil.iter_modules(__path__) if info.name.endswith("_cmd")
    )


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="shapan",
        description="shapan 沙盘 — business-sandbox simulator for contact-center training.",
    )
    parser.add_argument("--version", action="version", version=f"shapan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _command_modules():
        import_module(f"{__name__}.{name}").register(sub)
    for entry in sorted(entry_points(group="shapan.commands"), key=lambda e: e.name):
        entry.load()(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point. Exit status: 0 clean, 1 findings or bad input, 2 usage."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except UserError as err:
        print(err.render(), file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("shapan: error: interrupted (Ctrl-C); nothing half-written was left", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `shapan ... | head`: the reader left; point stdout at devnull so the exit flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # the environment, not the program: a full disk, a read-only folder
        print(f"shapan: error: {os_error_text(err)}", file=sys.stderr)
        return 1
    except MemoryError:
        print("shapan: error: out of memory; see docs/limits.md for what fits", file=sys.stderr)
        return 1
    except Exception as err:
        # a run-time guard a journey tripped (journeys.runtime.JourneyRunError with a code, e.g.
        # a route loop): a located, coded error like the validator's, never a traceback
        if not str(getattr(err, "code", None) or "").startswith(("JY", "SC")):
            raise
        print(err, file=sys.stderr)
        return 1
