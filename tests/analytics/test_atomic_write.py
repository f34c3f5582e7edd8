"""The one crash-safe writer (`sandbox.fileio`): contents, permissions, no leftovers, no copies.

Why: results, saves, model files, the desk's settings and the streamed exports all promise "the
old file or the complete new one". Four copies of that logic had drifted (one skipped fsync);
these tests pin the behaviour of the one left and check nobody writes a fifth.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from sandbox.fileio import AtomicFile, atomic_write_bytes, atomic_write_files, atomic_write_text
from sandbox.results import ContactsCsvWriter, EventLog

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def umask():
    """Run with a given umask, restored afterwards."""
    old = os.umask(0o022)
    os.umask(old)

    def set_umask(mask: int) -> None:
        os.umask(mask)

    yield set_umask
    os.umask(old)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_get_ordinary_permissions_under_the_umask(tmp_path, umask, mask, mode) -> None:
    umask(mask)
    written = atomic_write_text(tmp_path / "results.json", "{}\n")
    with EventLog(tmp_path / "events.jsonl") as log:
        log.write({"t": 1.0, "kind": "arrival"})
    assert _mode(written) == mode
    assert _mode(tmp_path / "events.jsonl") == mode


def test_whole_file_writes_replace_and_leave_nothing_behind(tmp_path) -> None:
    target = tmp_path / "sub" / "report.html"
    atomic_write_text(target, "旧")
    atomic_write_bytes(target, "新的报告".encode())
    assert target.read_text(encoding="utf-8") == "新的报告"
    assert list(target.parent.iterdir()) == [target]


def test_a_failed_write_keeps_the_previous_file(tmp_path) -> None:
    target = tmp_path / "save.json"
    target.write_text("previous")
    with pytest.raises(RuntimeError), AtomicFile(target) as handle:
        handle.write("half of the new")
        raise RuntimeError("power cut")
    assert target.read_text() == "previous"
    assert list(tmp_path.iterdir()) == [target]


def test_a_streamed_file_appears_only_when_committed(tmp_path) -> None:
    target = tmp_path / "contacts.csv"
    writer = ContactsCsvWriter(target)
    assert not target.exists() and writer.tmp_path.name.endswith(".part")
    writer.close()
    writer.close()  # idempotent
    assert target.exists() and list(tmp_path.iterdir()) == [target]


def test_a_folder_of_files(tmp_path) -> None:
    paths = atomic_write_files(tmp_path / "models", {"a.json": b"{}", "b.skops": b"PK"})
    assert [p.name for p in paths] == ["a.json", "b.skops"]
    assert (tmp_path / "models" / "b.skops").read_bytes() == b"PK"


def test_no_other_module_renames_files_into_place() -> None:
    """Every atomic write goes through sandbox/fileio.py: no second temp-and-rename copy."""
    pattern = re.compile(r"\bos\.(replace|rename)\(|\bmkstemp\(|NamedTemporaryFile\(")
    offenders = []
    for package in ("sandbox", "ui", "journeys", "customer_models"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "sandbox" / "fileio.py":
                continue
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == []
