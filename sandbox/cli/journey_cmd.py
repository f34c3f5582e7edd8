"""`shapan journey ...`: validate, lint, schema and graph for the journey language.

The workbench commands (explore, bots, record, test, watch) live in `journey_workbench.py` and
are added to the same group.  Exit status: 0 clean, 1 errors or findings, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from sandbox.cli.common import UserError, add_command, add_json_flag, emit_json, show_usage

_TOP = re.compile(r"^(journey|fragment|knowledge)\s*:", re.MULTILINE)


def register(subparsers: argparse._SubParsersAction) -> None:
    group = subparsers.add_parser(
        "journey",
        help="journey language tools: validate, lint, schema, graph, explore, bots ... / 旅程工具",
        description="Tools for journey designers / 旅程设计工具.",
    )
    sub = group.add_subparsers(dest="journey_command", metavar="COMMAND")
    show_usage(group)

    p = add_command(
        sub,
        "validate",
        _validate,
        "check journey files strictly: errors as path:line:column / 校验旅程文件",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="journey files or folders")
    add_json_flag(p)

    p = add_command(
        sub,
        "lint",
        _lint,
        "validate, then warn about unreachable nodes, dead ends, missing "
        "translations ... / 旅程体检",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="journey files or folders")
    p.add_argument(
        "--knowledge",
        action="append",
        metavar="PATH",
        help="extra knowledge-base file or folder (repeatable; added to the shipped base and "
        "any knowledge/ folder beside the journeys)",
    )
    add_json_flag(p)

    p = add_command(
        sub,
        "schema",
        _schema,
        "print the JSON Schema of journey files for editors / 输出 JSON Schema",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")

    p = add_command(sub, "graph", _graph, "draw a journey as Mermaid, DOT, SVG or PNG / 导出旅程图")
    p.add_argument("path", metavar="PATH", help="journey file")
    p.add_argument("--format", choices=("mermaid", "dot", "svg", "png"), default="mermaid")
    p.add_argument("--lang", choices=("zh-CN", "en"), default="en", help="language of labels")
    p.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (required for png; default stdout)"
    )

    try:
        from sandbox.cli import journey_workbench
    except ModuleNotFoundError as err:
        if err.name != "sandbox.cli.journey_workbench":
            raise
    else:
        journey_workbench.register(sub)


def _kind_of(path: Path) -> str | None:
    from journeys.input_files import InputFileError, read_input
    from journeys.strict_yaml import MAX_FILE_BYTES

    try:  # a pipe, device or huge file is left to the loader, which reports it
        text = read_input(path, MAX_FILE_BYTES).decode("utf-8-sig", errors="replace")
    except InputFileError:
        return None
    m = _TOP.search(text)
    return m.group(1) if m else None


def _expand(paths: list[str]) -> list[tuple[Path, str]]:
    """Files to check with their kind; folders give their journey/fragment/knowledge YAML."""
    out: list[tuple[Path, str]] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = [
                (f, k)
                for f in sorted(p.rglob("*.y*ml"))
                if f.suffix in (".yaml", ".yml")
                and (k := _kind_of(f) or "") in ("journey", "fragment", "knowledge")
            ]
            if not found:
                raise UserError(
                    f"no journey YAML files under {raw} / 该目录下没有旅程文件", location=raw
                )
            out.extend(found)
        elif p.exists():
            out.append((p, _kind_of(p) or "journey"))
        else:
            raise UserError(f"no such file or folder / 文件不存在: {raw}", location=raw)
    return out


def _check(path: Path, kind: str) -> dict[str, Any]:
    from journeys.diagnostics import JourneyError
    from journeys.knowledge import load_knowledge_base
    from journeys.loader import check_file

    entry: dict[str, Any] = {
        "path": str(path),
        "kind": kind,
        "journey": None,
        "content_hash": None,
        "diagnostics": [],
    }
    if kind == "knowledge":
        try:
            kb = load_knowledge_base([path])
            entry["entries"] = len(kb)
        except JourneyError as err:
            entry["diagnostics"] = list(err.diagnostics)
        entry["_obj"] = None
        return entry
    journey, diags = check_file(path)
    entry["diagnostics"] = diags
    entry["_obj"] = journey
    if journey is not None:
        entry["journey"] = journey.id
        entry["content_hash"] = journey.content_hash
    return entry


def _report(entries: list[dict[str, Any]], as_json: bool, command: str) -> int:
    errors = sum(1 for e in entries for d in e["diagnostics"] if d.severity == "error")
    warnings = sum(1 for e in entries for d in e["diagnostics"] if d.severity == "warning")
    if as_json:
        emit_json(
            {
                "command": f"journey {command}",
                "ok": errors == 0 and (command == "validate" or warnings == 0),
                "errors": errors,
                "warnings": warnings,
                "files": [
                    {
                        **{
                            k: v
                            for k, v in e.items()
                            if not k.startswith("_") and k != "diagnostics"
                        },
                        "ok": not any(d.severity == "error" for d in e["diagnostics"]),
                        "diagnostics": [d.to_json() for d in e["diagnostics"]],
                    }
                    for e in entries
                ],
            }
        )
    else:
        for e in entries:
            for d in e["diagnostics"]:
                print(d.render())
        print(
            f"{len(entries)} file(s): {errors} error(s), {warnings} warning(s) / "
            f"{len(entries)} 个文件：{errors} 个错误，{warnings} 个警告"
        )
    if errors:
        return 1
    return 1 if command == "lint" and warnings else 0


def _validate(args: argparse.Namespace) -> int:
    entries = [_check(p, k) for p, k in _expand(args.paths)]
    return _report(entries, args.json, "validate")


def _lint(args: argparse.Namespace) -> int:
    from journeys.diagnostics import JourneyError
    from journeys.knowledge import merged_knowledge_base
    from journeys.lint import lint_journey

    entries = [_check(p, k) for p, k in _expand(args.paths)]
    # one merged base per journey folder: shipped + <folder>/knowledge/ + every --knowledge
    bases: dict[Path | None, Any] = {}
    kb_errors: dict[Any, None] = {}
    folders: list[Path | None] = [
        Path(e["path"]).parent for e in entries if e.get("_obj") is not None
    ]
    for folder in dict.fromkeys(folders or [None]):
        try:
            bases[folder] = merged_knowledge_base(args.knowledge, [folder] if folder else [])
        except JourneyError as err:
            bases[folder] = None
            kb_errors.update(dict.fromkeys(err.diagnostics))
    for e in entries:
        if e.get("_obj") is not None:
            kb = bases[Path(e["path"]).parent]
            e["diagnostics"] = e["diagnostics"] + lint_journey(e["_obj"], kb)
    if kb_errors:
        entries.append(
            {
                "path": ",".join(args.knowledge or ["<knowledge base>"]),
                "kind": "knowledge",
                "journey": None,
                "content_hash": None,
                "diagnostics": list(kb_errors),
            }
        )
    return _report(entries, args.json, "lint")


def _schema(args: argparse.Namespace) -> int:
    from journeys.schema import journey_schema

    text = json.dumps(journey_schema(), ensure_ascii=False, indent=2) + "\n"
    if args.output:
        _write(args.output, text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return 0


def _graph(args: argparse.Namespace) -> int:
    from journeys import graph
    from journeys.diagnostics import JourneyError
    from journeys.loader import load_journey

    try:
        journey = load_journey(args.path)
    except JourneyError as err:
        print(err.render(), file=sys.stderr)
        return 1
    if args.format in ("mermaid", "dot"):
        render = graph.to_mermaid if args.format == "mermaid" else graph.to_dot
        data = render(journey, args.lang).encode("utf-8")
    else:
        if args.format == "png" and not args.output:
            raise UserError("png output needs -o FILE / PNG 需要用 -o 指定输出文件", exit_code=2)
        try:
            data = graph.render(journey, args.format, args.lang)
        except graph.GraphvizMissing as err:
            raise UserError(f"{err} / 未安装 Graphviz（dot 命令）", exit_code=1) from None
        except (RuntimeError, OSError, subprocess.SubprocessError) as err:
            raise UserError(f"rendering failed / 渲染失败: {err}") from None
    if args.output:
        _write(args.output, data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def _write(path: str, data: bytes) -> None:
    """Write an output file atomically; a bad path is a user error, not a traceback."""
    from sandbox.fileio import atomic_write_bytes

    try:
        atomic_write_bytes(path, data)
    except OSError as err:
        raise UserError(f"cannot write / 无法写入: {err.strerror or err}", location=path) from None
