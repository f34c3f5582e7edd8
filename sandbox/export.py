"""A run's export folder as a unit: every file of one run, or the folder as it was.

Why: each file was written atomically, but the set was not — a kill, a full disk or a second
run at the same `--out` left results.json of one run beside report.html of another, and nothing
said so. Now (`shapan run`):

1. the folder's `FolderLock` is taken (a second run at the same `--out` is refused at once);
   what dead runs left beside it (staging folders, a folder moved aside) is cleaned first;
2. every file is written into a fresh staging folder beside the target (`AtomicFolder`);
3. `manifest.json` is written last: the run id, seed, scenario and journey hashes, model
   version and the sha256 and size of every file;
4. the staging folder replaces the target as a whole; the lock is released.

Every file names its run: results.json and manifest.json have `run_id`, contacts.csv a first
column `run_id`, events.jsonl a first line `{"type": "run", "run_id": ...}`, report.html a
`<meta name="shapan-run-id">`. `verify_export` (`shapan verify-export DIR`) says whether a
folder is complete, incomplete, mixed or altered.

The run id is a hash of what determines the run's files (seed, scenario, journeys, models,
seat policy, language, shapan version): runs are reproducible, so two runs with one id wrote
the same bytes, and two runs with different files have different ids.

Test hook (tests only, never set it otherwise): `SHAPAN_TEST_CRASH_AT=<point>` makes the
process kill itself with SIGKILL at that point of `shapan run`; the points are `CRASH_POINTS`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.fileio import (
    INCOMING,
    AtomicFolder,
    FolderLock,
    atomic_write_text,
    clean_leftovers,
    leftovers,
)

MANIFEST = "manifest.json"
EXPORT_SCHEMA = "shapan.export/1"
CRASH_ENV = "SHAPAN_TEST_CRASH_AT"
#: where the test hook can kill a `shapan run`, in the order they are reached
CRASH_POINTS = (
    "during_run",
    "after_streams_closed",
    "after_results_json",
    "during_report",
    "before_manifest",
    "after_manifest",
    "after_old_moved_aside",
    "after_new_moved_in",
    "before_store_insert",
)


def crash_point(name: str) -> None:
    """Test hook: SIGKILL this process here when `SHAPAN_TEST_CRASH_AT` names this point."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def run_id(identity: Mapping[str, Any]) -> str:
    """16 hex digits naming a run: a hash of what determines its files (see module doc)."""
    scenario = identity.get("scenario") or {}
    key = {
        "seed": identity.get("seed"),
        "scenario": scenario.get("hash") if isinstance(scenario, Mapping) else scenario,
        "journeys": dict(sorted((identity.get("journeys") or {}).items())),
        "model_version": identity.get("model_version"),
        "human_policy": identity.get("human_policy"),
        "lang": identity.get("lang"),
        "shapan_version": identity.get("shapan_version"),
    }
    blob = json.dumps(key, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class Export:
    """One run's export into `target` (see the module docstring for the steps).

    `open()` locks and cleans, and gives the staging folder (`path`) that the session streams
    into; `finish(identity)` writes the manifest and moves the folder into place; `abort()`
    drops the staging folder. Either way the lock is released."""

    def __init__(self, target: str | os.PathLike[str]):
        self.target = Path(target)
        self.lock = FolderLock(self.target)
        self.folder: AtomicFolder | None = None
        self.cleaned: list[Path] = []

    @property
    def committed(self) -> bool:
        """The new folder is in place (a Ctrl-C held during the move arrives after it)."""
        return self.folder is not None and self.folder.committed

    @property
    def path(self) -> Path:
        assert self.folder is not None, "open() first"
        return self.folder.path

    def open(self) -> Path:
        """Probe the target (a folder or absent, its parent writable), lock, clean, stage."""
        if self.target.exists() and not self.target.is_dir():
            raise NotADirectoryError(20, "is a file, not a folder; give a folder", str(self.target))
        self.lock.acquire()
        try:
            self.cleaned = clean_leftovers(self.target)
            self.folder = AtomicFolder(self.target, step=crash_point)
        except BaseException:
            self.lock.release()
            raise
        return self.folder.path

    def finish(self, identity: Mapping[str, Any]) -> Path:
        """Write manifest.json (last) and move the folder into place; returns the target."""
        folder = self.folder
        assert folder is not None, "open() first"
        files: dict[str, dict[str, Any]] = {}
        for entry in sorted(os.scandir(folder.path), key=lambda e: e.name):
            if entry.name == MANIFEST or entry.name.startswith(".") or not entry.is_file():
                continue
            digest, size = _sha256(Path(entry.path))
            files[entry.name] = {"sha256": digest, "bytes": size}
        manifest = {
            "schema": EXPORT_SCHEMA,
            "run_id": identity["run_id"],
            "seed": identity.get("seed"),
            "scenario": identity.get("scenario"),
            "journeys": identity.get("journeys"),
            "model_version": identity.get("model_version"),
            "human_policy": identity.get("human_policy"),
            "lang": identity.get("lang"),
            "shapan_version": identity.get("shapan_version"),
            "files": files,
        }
        crash_point("before_manifest")
        text = json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
        atomic_write_text(folder.path / MANIFEST, text)
        crash_point("after_manifest")
        try:
            return folder.commit()
        finally:
            self.lock.release()

    def abort(self) -> None:
        """Drop the staging folder (the previous export stays as it was) and unlock."""
        try:
            if self.folder is not None:
                self.folder.abort()
        finally:
            self.lock.release()


# -- checking a folder -------------------------------------------------------------------------
COMPLETE, INCOMPLETE, MIXED, ALTERED = "complete", "incomplete", "mixed", "altered"
NOTE = "note"  # a finding that does not change the folder's status
_RANK = {COMPLETE: 0, NOTE: 0, ALTERED: 1, MIXED: 2, INCOMPLETE: 3}
_META = re.compile(rb'<meta name="shapan-run-id" content="([0-9a-f]{1,64})">')


@dataclass
class Verdict:
    """What `verify_export` found: `status` is the worst of the findings."""

    folder: str
    status: str = COMPLETE
    run_id: str | None = None
    findings: list[tuple[str, str]] = field(default_factory=list)  # (status, message)

    def add(self, status: str, message: str) -> None:
        self.findings.append((status, message))
        if _RANK[status] > _RANK[self.status]:
            self.status = status

    def as_json(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "status": self.status,
            "run_id": self.run_id,
            "findings": [{"status": s, "message": m} for s, m in self.findings],
        }


def embedded_run_id(path: Path) -> str | None:
    """The run a file names itself (see the module docstring), or None if it names none."""
    name = path.name
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return None
    if name == "contacts.csv":
        lines = head.split(b"\n", 2)
        if len(lines) >= 2 and lines[0].startswith(b"run_id,"):
            first = lines[1].split(b",", 1)[0].decode("ascii", "replace")
            return first or None
        return None
    if name == "events.jsonl":
        try:
            first_line = json.loads(head.split(b"\n", 1)[0])
        except ValueError:
            return None
        if isinstance(first_line, dict) and first_line.get("type") == "run":
            return str(first_line.get("run_id"))
        return None
    if name == "report.html":
        m = _META.search(head)
        return m.group(1).decode("ascii") if m else None
    if name.endswith(".json"):
        try:
            doc = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        value = doc.get("run_id") if isinstance(doc, dict) else None
        return str(value) if value is not None else None
    return None


def verify_export(folder: str | os.PathLike[str]) -> Verdict:
    """Check an export folder against its manifest: complete / incomplete / mixed / altered."""
    target = Path(folder)
    verdict = Verdict(str(target))
    busy = _busy(target)
    if busy:
        verdict.add(INCOMPLETE, f"a shapan run (pid {busy}) is writing this folder now")
    stray = [p for p in leftovers(target) if not busy]
    for path in stray:
        if path.name.endswith(INCOMING):
            text = f"an interrupted run left its unfinished files beside it ({path.name})"
        else:
            text = (
                f"a run was interrupted while replacing it; the previous export is in {path.name}"
            )
        verdict.add(
            NOTE if target.exists() else INCOMPLETE,
            f"{text}; the next `shapan run --out {target}` cleans up (and restores it)",
        )
    if not target.exists():
        verdict.add(INCOMPLETE, "the folder does not exist")
        return verdict
    if not target.is_dir():
        verdict.add(INCOMPLETE, "is a file, not an export folder")
        return verdict
    manifest_path = target / MANIFEST
    names = sorted(p.name for p in target.iterdir())
    for name in names:
        if name.startswith("."):
            verdict.add(INCOMPLETE, f"{name}: a temporary file of an interrupted write")
    try:
        manifest = json.loads(manifest_path.read_bytes())
    except FileNotFoundError:
        verdict.add(
            INCOMPLETE,
            "no manifest.json: not a complete export (an interrupted run, or written before "
            "exports had manifests); run it again to get a complete folder",
        )
        _name_runs(target, names, None, verdict)
        return verdict
    except (OSError, ValueError) as err:
        verdict.add(INCOMPLETE, f"manifest.json cannot be read ({err}); run again")
        return verdict
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if (
        not isinstance(manifest, dict)
        or manifest.get("schema") != EXPORT_SCHEMA
        or not isinstance(files, dict)
        or not isinstance(manifest.get("run_id"), str)
    ):
        verdict.add(INCOMPLETE, f"manifest.json is not a {EXPORT_SCHEMA} manifest")
        return verdict
    run = manifest["run_id"]
    verdict.run_id = run
    for name, entry in sorted(files.items()):
        path = target / name
        if "/" in name or name.startswith("."):
            verdict.add(ALTERED, f"manifest.json lists {name!r}, not a file of an export")
            continue
        if not path.is_file():
            verdict.add(INCOMPLETE, f"{name}: listed in the manifest but missing")
            continue
        own = embedded_run_id(path)
        if own is not None and own != run:
            verdict.add(MIXED, f"{name}: belongs to run {own}, the manifest's run is {run}")
            continue
        digest, size = _sha256(path)
        if not isinstance(entry, dict) or (digest, size) != (
            entry.get("sha256"),
            entry.get("bytes"),
        ):
            verdict.add(ALTERED, f"{name}: changed after the run wrote it (sha256 or size differs)")
    for name in names:
        if name in files or name == MANIFEST or name.startswith("."):
            continue
        path = target / name
        own = embedded_run_id(path) if path.is_file() else None
        if own is not None and own != run:
            verdict.add(MIXED, f"{name}: belongs to run {own}, not to this folder's run {run}")
        else:
            verdict.add(ALTERED, f"{name}: not written by the run (not in the manifest)")
    return verdict


def _name_runs(target: Path, names: list[str], run: str | None, verdict: Verdict) -> None:
    """Without a manifest: files naming different runs are reported as mixed."""
    seen: dict[str, list[str]] = {}
    for name in names:
        path = target / name
        if path.is_file() and not name.startswith("."):
            own = embedded_run_id(path)
            if own is not None:
                seen.setdefault(own, []).append(name)
    if len(seen) > 1:
        parts = "; ".join(f"run {r}: {', '.join(n)}" for r, n in sorted(seen.items()))
        verdict.add(MIXED, f"files of different runs: {parts}")


def _busy(target: Path) -> str | None:
    """The pid holding the folder's lock, or None."""
    import fcntl

    lock = target.parent / f".{target.name}.lock"
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
        os.close(fd)
        return holder
    os.close(fd)
    return None


__all__ = [
    "ALTERED",
    "COMPLETE",
    "CRASH_ENV",
    "CRASH_POINTS",
    "EXPORT_SCHEMA",
    "INCOMPLETE",
    "MANIFEST",
    "MIXED",
    "Export",
    "Verdict",
    "crash_point",
    "embedded_run_id",
    "run_id",
    "verify_export",
]
