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
of files written together (the outcome models), `AtomicFolder` for a folder that must change as
a whole (a run's export: every file of one run or of the other, never a mix), guarded by a
`FolderLock` so two writers cannot interleave. `mode=0o600` keeps a secret (an exam signing key)
private from the first byte (the temporary file is already 0600); `exclusive=True` refuses to
replace an existing file: the rename is a hard link, which fails if the name exists, so no
check-then-write race can overwrite one.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from journeys.input_files import InputFileError, read_input  # the one bounded reader


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


# -- a folder as a unit -----------------------------------------------------------------------
#: Name parts of the hidden siblings of a folder `NAME` being replaced: `.NAME.<pid>.<random>`
#: plus one of these suffixes; the lock is `.NAME.lock`.
INCOMING = ".incoming"
OUTGOING = ".outgoing"


def _hidden(target: Path, suffix: str) -> str:
    return f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}{suffix}"


class FolderLock:
    """An exclusive lock on writing the folder `target`: `.NAME.lock` beside it, holding the
    writer's pid, locked with `flock`.

    Why flock on a pid file: the kernel drops the lock when its holder dies (kill -9, power
    cut), so a stale lock never blocks the next run and no pid check can race; the pid in the
    file is only for the message. A lock file is removed by its holder, and a waiter that
    locked a file already removed retries on the new one (the inode check)."""

    def __init__(self, target: str | os.PathLike[str]):
        self.target = Path(target)
        self.path = self.target.parent / f".{self.target.name}.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise `FolderBusy` naming the pid that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(100):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            try:
                _flock_briefly(fd)
            except BlockingIOError:
                holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
                os.close(fd)
                raise FolderBusy(self.target, holder) from None
            except BaseException:
                os.close(fd)
                raise
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode("ascii"))
                self._fd = fd
                return
            os.close(fd)  # the holder removed that file as we locked it: lock the new one
        raise FolderBusy(self.target, "?")

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                self.path.unlink(missing_ok=True)
            finally:
                os.close(fd)

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


def _flock_briefly(fd: int, tries: int = 5) -> None:
    """An exclusive flock, retried for ~0.2 s: `shapan verify-export` holds a shared lock for
    an instant to see whether a run is writing; only a lock still held after that is a run."""
    for attempt in range(tries):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if attempt == tries - 1:
                raise
            time.sleep(0.05)


class FolderBusy(OSError):
    """Another live process holds the folder's lock."""

    def __init__(self, target: Path, holder: str):
        super().__init__(errno.EBUSY, f"another shapan process (pid {holder}) is writing it")
        self.filename = str(target)
        self.holder = holder


def leftovers(target: str | os.PathLike[str]) -> list[Path]:
    """Hidden siblings of `target` left by writers that died: staging folders and folders
    moved aside (`AtomicFolder`). Only call while holding the target's `FolderLock`: then
    every such sibling belongs to a dead writer."""
    t = Path(target)
    prefix = f".{t.name}."
    try:
        names = os.listdir(t.parent)
    except FileNotFoundError:
        return []
    return sorted(
        t.parent / n
        for n in names
        if n.startswith(prefix) and (n.endswith(INCOMING) or n.endswith(OUTGOING))
    )


def clean_leftovers(target: str | os.PathLike[str]) -> list[Path]:
    """Remove what dead writers left beside `target` (hold its `FolderLock`). A folder moved
    aside while its replacement had not yet arrived is moved back first, so the previous
    complete folder is never lost. Returns what was removed or restored."""
    t = Path(target)
    done: list[Path] = []
    for path in leftovers(t):
        if path.name.endswith(OUTGOING) and not t.exists() and path.is_dir():
            os.rename(path, t)  # the crash fell between the two renames: restore the old one
            fsync_folder(t.parent)
        elif path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        done.append(path)
    return done


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM (delivered when the block ends); main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


class AtomicFolder:
    """A folder written under a hidden name beside `target` and moved into place as a whole.

    Write the files into `path` (each with `AtomicFile` or the helpers above); `commit()`
    fsyncs the staging folder, moves an existing `target` aside, moves the staging folder in,
    fsyncs the parent and deletes the old folder. At every instant `target` is the old
    complete folder, the new complete folder, or absent with the old one kept aside (which
    `clean_leftovers` restores). `abort()` deletes the staging folder. `step(name)` is called
    between the commit's steps (crash tests inject faults there)."""

    def __init__(
        self, target: str | os.PathLike[str], *, step: Callable[[str], None] | None = None
    ):
        self.target = Path(target)
        self.step = step or (lambda _name: None)
        if self.target.exists() and not self.target.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "is a file, not a folder", str(self.target))
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.path = self.target.parent / _hidden(self.target, INCOMING)
        os.mkdir(self.path, 0o777)
        self._done = False
        #: True once the new folder is in place under `target`
        self.committed = False

    def commit(self) -> Path:
        if self._done:
            return self.target
        fsync_folder(self.path)
        old = self.target.parent / _hidden(self.target, OUTGOING)
        moved = False
        with _signals_held():  # a Ctrl-C waits until both renames are done
            if self.target.exists():
                if not self.target.is_dir():
                    raise NotADirectoryError(
                        errno.ENOTDIR, "is a file, not a folder", str(self.target)
                    )
                os.rename(self.target, old)
                moved = True
                self.step("after_old_moved_aside")
            os.rename(self.path, self.target)
            self._done = self.committed = True
        fsync_folder(self.target.parent)
        self.step("after_new_moved_in")
        if moved:
            shutil.rmtree(old, ignore_errors=True)
        return self.target

    def abort(self) -> None:
        if not self._done:
            self._done = True
            shutil.rmtree(self.path, ignore_errors=True)


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV injection): text starting
    with = + - @, a tab or a carriage return gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


__all__ = [
    "INCOMING",
    "OUTGOING",
    "AtomicFile",
    "AtomicFolder",
    "FolderBusy",
    "FolderLock",
    "InputFileError",
    "atomic_write_bytes",
    "atomic_write_files",
    "atomic_write_text",
    "clean_leftovers",
    "csv_cell",
    "file_mode",
    "fsync_folder",
    "leftovers",
    "read_input",
]
