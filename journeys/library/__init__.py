"""The shipped journey library (package data): `*.yaml` journeys in this folder, shared
fragments in `common/`, the knowledge base in `knowledge/`.

Why a loader cache keyed on file stamps: the engine asks for the same journeys for every contact
and session; re-validating YAML each time would be wasteful, yet a designer editing a file
(`shapan journey watch`) must see the change.
"""

from __future__ import annotations

import re
from pathlib import Path

from journeys.diagnostics import Diagnostic, JourneyError, make
from journeys.loader import load_journey
from journeys.model import Journey

_JOURNEY_KEY = re.compile(r"^journey\s*:", re.MULTILINE)
_cache: dict[Path, tuple[tuple[tuple[Path, tuple[int, int]], ...], Journey]] = {}


def library_dir() -> Path:
    return Path(__file__).parent


def shipped_journey_paths() -> list[Path]:
    """Journey files directly in the library folder (fragments and knowledge excluded), sorted."""
    out = []
    for p in sorted(library_dir().glob("*.yaml")):
        try:
            text = p.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            out.append(p)  # let loading report it
            continue
        if _JOURNEY_KEY.search(text):
            out.append(p)
    return out


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)


def _load(path: Path) -> Journey:
    """Load with a cache that notices edits to the journey or any fragment it includes."""
    hit = _cache.get(path)
    if hit and all(_stamp(p) == stamp for p, stamp in hit[0]):
        return hit[1]
    before = _stamp(path)
    journey = load_journey(path)
    stamps = (
        (path, before),
        *((Path(inc.path), _stamp(Path(inc.path))) for inc in journey.includes),
    )
    _cache[path] = (stamps, journey)
    return journey


def load_all_shipped() -> dict[str, Journey]:
    """Every shipped journey by id, in id order; raises `JourneyError` if any is invalid."""
    journeys: dict[str, Journey] = {}
    diags: list[Diagnostic] = []
    for p in shipped_journey_paths():
        try:
            j = _load(p)
        except JourneyError as err:
            diags.extend(err.diagnostics)
            continue
        if j.id in journeys:
            diags.append(
                make(
                    str(p),
                    1,
                    1,
                    "JY016",
                    f"journey id '{j.id}' is also used by {journeys[j.id].path}",
                )
            )
            continue
        journeys[j.id] = j
    if diags:
        raise JourneyError(diags)
    return dict(sorted(journeys.items()))


def load_shipped(journey_id: str) -> Journey:
    """The shipped journey with this id (raises `JourneyError` if that file is invalid);
    KeyError listing the shipped ids when there is none."""
    paths = shipped_journey_paths()
    for p in paths:
        if p.stem == journey_id:
            journey = _load(p)
            if journey.id == journey_id:
                return journey
    for p in paths:  # a file named differently from its id
        if p.stem == journey_id:
            continue
        try:
            journey = _load(p)
        except JourneyError:
            continue
        if journey.id == journey_id:
            return journey
    raise KeyError(
        f"no shipped journey '{journey_id}'; shipped: {', '.join(p.stem for p in paths)}"
    )
