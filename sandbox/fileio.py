"""Crash-safe file writes: a file is either the old one or the complete new one.

Why one helper: results, reports, session saves, model files, the desk's settings and the
streamed exports all promise that a crash or power cut never leaves a half-written file under
the real name. That takes five steps in the right order — a temporary file in the same folder
(so the rename cannot cross file systems), fsync of the data, ordinary permissions (mkstemp
makes 0600; we give 0666 minus the umask, i.e. 0644 under the usual umask 022), an atomic
rename, and fsync of the folder so the rename itself survives a power cut. Copies of this
drifted (one skipped fsync), so every writer in the project goes through `AtomicFile`:
`atomic_write_bytes` / `atomic_write_text` for a whole file at once, `AtomicFile` itself for a
file streamed over a long run (contacts.csv, events.jsonl), `atomic_write_files` for a folder
of files written together (the outcome models). `mode=0o600` keeps a secret (an exam signing key)
private from the first byte (the temporary file is already 0600); `exclusive=True` refuses to
replace an existing file: the rename is a hard link, which fails if the name exists, so no
check-then-write race can overwrite one.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any


def file_mode() -> int:
    """0666 minus the process umask: the mode `open()` would give a new file.

    Linux reports the umask in /proc/self/status, which reads it without changing it; elsewhere
    we must set it to read it, which is not thread-safe, so that answer is read once.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    return _umask_mode_once()


@functools.cache
def _umask_mode_once() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def fsync_folder(folder: str | os.PathLike[str]) -> None:
    """Make a rename (or create/delete) in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicFile:
    """A file written under a temporary name beside `path` and renamed into place on `commit`.

    `file` is the open handle (text with `encoding` unless `binary`). `commit()` flushes, sets
    the permissions, fsyncs, renames and fsyncs the folder; `abort()` drops the temporary file
    and leaves any previous `path` untouched. As a context manager it commits on success and
    aborts on an exception. Both are idempotent. `mode` overrides the permissions (default
    `file_mode()`); `exclusive` makes `commit` raise `FileExistsError` rather than replace an
    existing `path` (the temporary file is then dropped).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        binary: bool = False,
        encoding: str = "utf-8",
        newline: str | None = None,
        suffix: str = ".tmp",
        mode: int | None = None,
        exclusive: bool = False,
    ) -> None:
        self.path = Path(path)
        self.mode = mode
        self.exclusive = exclusive
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=suffix, dir=self.path.parent
        )
        self.tmp_path = Path(tmp)
        try:
            if binary:
                self.file: IO[Any] | None = open(fd, "wb")  # noqa: SIM115 - closed in commit/abort
            else:
                self.file = open(fd, "w", encoding=encoding, newline=newline)  # noqa: SIM115
        except BaseException:
            os.close(fd)
            self.tmp_path.unlink(missing_ok=True)
            raise

    @property
    def closed(self) -> bool:
        return self.file is None

    def commit(self) -> Path:
        """Flush, set permissions, fsync, rename into place, fsync the folder."""
        handle = self.file
        if handle is None:
            return self.path
        try:
            handle.flush()
            os.fchmod(handle.fileno(), file_mode() if self.mode is None else self.mode)
            os.fsync(handle.fileno())
            handle.close()
            self.file = None
            if self.exclusive:
                os.link(self.tmp_path, self.path)  # FileExistsError if the name is taken
                self.tmp_path.unlink()
            else:
                os.replace(self.tmp_path, self.path)
        except BaseException:
            self.abort()
            raise
        fsync_folder(self.path.parent)
        return self.path

    def abort(self) -> None:
        """Drop the temporary file; the previous file under `path`, if any, stays as it was."""
        handle, self.file = self.file, None
        if handle is not None:
            handle.close()
        self.tmp_path.unlink(missing_ok=True)

    def __enter__(self) -> IO[Any]:
        if self.file is None:
            raise ValueError(f"{self.path} is already closed")
        return self.file

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, mode: int | None = None, exclusive: bool = False
) -> Path:
    """Write `data` to `path` atomically (see `AtomicFile` for `mode` and `exclusive`)."""
    writer = AtomicFile(path, binary=True, mode=mode, exclusive=exclusive)
    with writer as handle:
        handle.write(data)
    return writer.path


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, mode: int | None = None, exclusive: bool = False
) -> Path:
    """Write `text` as UTF-8 to `path` atomically (see `AtomicFile`)."""
    return atomic_write_bytes(path, text.encode("utf-8"), mode=mode, exclusive=exclusive)


def atomic_write_files(folder: str | os.PathLike[str], files: Mapping[str, bytes]) -> list[Path]:
    """Write each `name -> bytes` into `folder`, each file atomically (e.g. a model directory)."""
    base = Path(folder)
    return [atomic_write_bytes(base / name, data) for name, data in files.items()]


__all__ = [
    "AtomicFile",
    "atomic_write_bytes",
    "atomic_write_files",
    "atomic_write_text",
    "file_mode",
    "fsync_folder",
]
