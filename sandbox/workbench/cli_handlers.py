"""Handlers behind `shapan journey explore|bots|record|test|watch` (filled in as they land)."""

from __future__ import annotations

import argparse

from sandbox.cli.common import UserError


def _pending(name: str) -> int:
    raise UserError(f"`shapan journey {name}` is being built / 功能开发中", exit_code=2)


def cmd_explore(args: argparse.Namespace) -> int:
    return _pending("explore")


def cmd_bots(args: argparse.Namespace) -> int:
    return _pending("bots")


def cmd_record(args: argparse.Namespace) -> int:
    return _pending("record")


def cmd_test(args: argparse.Namespace) -> int:
    return _pending("test")


def cmd_watch(args: argparse.Namespace) -> int:
    return _pending("watch")
