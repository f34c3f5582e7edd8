"""Watch mode: re-validate and lint a journey every time it (or a file it includes) is saved.

Why polling: it works the same on every OS and editor (atomic-rename saves included) with no
extra dependency; a designer's save-to-feedback loop of half a second is plenty.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TextIO


def check(path: Path, knowledge: list[str] | None = None) -> tuple[list[str], list[Path]]:
    """Validate + lint `path` against the merged knowledge base (shipped + `knowledge/` beside
    the journey + `knowledge`): rendered diagnostics, and the files to watch (itself, its
    includes and the knowledge files)."""
    from journeys.diagnostics import JourneyError
    from journeys.knowledge import knowledge_dir, knowledge_sources, merged_knowledge_base
    from journeys.lint import lint_journey
    from journeys.loader import check_file

    journey, diags = check_file(path)
    files = [path]
    if journey is not None:
        files += [Path(inc.path) for inc in journey.includes]
        shipped = knowledge_dir().resolve()
        files += [  # the shipped base does not change while a designer works
            f
            for f in knowledge_sources(knowledge, [path])
            if not f.resolve().is_relative_to(shipped)
        ]
        try:
            kb = merged_knowledge_base(knowledge, [path])
        except JourneyError as err:
            kb = None
            diags = list(diags) + list(err.diagnostics)
        diags = list(diags) + lint_journey(journey, kb)
    return [d.render() for d in diags], files


def _stamp(files: list[Path]) -> tuple[tuple[str, int | None, int | None], ...]:
    out: list[tuple[str, int | None, int | None]] = []
    for f in files:
        try:
            st = f.stat()
            out.append((str(f), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(f), None, None))
    return tuple(out)


def watch(
    path: str | Path,
    out: TextIO,
    interval: float = 0.5,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
    knowledge: list[str] | None = None,
) -> int:
    """Check now, then again whenever a watched file changes, until `should_stop()` or Ctrl-C."""
    target = Path(path)
    known_includes: list[Path] = []
    last: tuple[tuple[str, int | None, int | None], ...] | None = None
    try:
        while not should_stop():
            files = [target, *known_includes]
            stamp = _stamp(files)
            if stamp != last:
                when = datetime.now().strftime("%H:%M:%S")
                if not target.exists():
                    out.write(f"[{when}] {target}: file not found / 文件不存在 — waiting\n")
                else:
                    rendered, files = check(target, knowledge)
                    known_includes = files[1:]
                    errors = sum(" error " in r for r in rendered)
                    warnings = len(rendered) - errors
                    for line in rendered:
                        out.write(line + "\n")
                    status = "OK" if not rendered else f"{errors} error(s), {warnings} warning(s)"
                    out.write(f"[{when}] {target}: {status} / {errors} 个错误，{warnings} 个警告\n")
                    stamp = _stamp([target, *known_includes])
                out.flush()
                last = stamp
            sleep(interval)
    except KeyboardInterrupt:
        out.write("stopped watching / 已停止监视\n")
    return 0
