"""The one way shapan reads a file a user names: a regular file, up to a size cap.

Why: `--scenario /dev/zero` read without end, a named pipe given as a journey file blocked
forever and a folder gave a traceback. Every file a user gives (scenarios, journeys and their
includes, exams, session saves, training CSVs, model files) is opened here without blocking
(`O_NONBLOCK`, so opening a FIFO returns at once), checked to be a regular file on the opened
descriptor (no check-then-open race), and read up to `limit` bytes — one more byte means the
file is refused. It lives in `journeys/` because `sandbox/` may import `journeys/` but not the
other way round; `sandbox.fileio.read_input` is the same function.
"""

from __future__ import annotations

import os
import stat


class InputFileError(ValueError):
    """A file that cannot be used as input; `str()` is one line saying why and what to do."""


def read_input(path: str | os.PathLike[str], limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them; `InputFileError` else."""
    shown = os.fspath(path)
    try:
        fd = os.open(shown, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputFileError(f"file not found ({what}); check the path") from None
    except IsADirectoryError:
        raise InputFileError(f"is a folder; give a {what}") from None
    except OSError as err:
        raise InputFileError(f"cannot open: {err.strerror}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputFileError(f"is a folder; give a {what}")
        if not stat.S_ISREG(info.st_mode):
            kind = "a named pipe" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
            raise InputFileError(f"is {kind}, not a regular file; give a {what} saved on disk")
        if info.st_size > limit:
            raise InputFileError(
                f"is {info.st_size:,} bytes; the limit for a {what} is {limit:,} (docs/limits.md)"
            )
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        got = 0
        while got <= limit:  # the size may change while we read: never more than limit + 1
            chunk = os.read(fd, min(1 << 20, limit + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        if got > limit:
            raise InputFileError(f"is larger than the limit for a {what}, {limit:,} bytes")
        return b"".join(chunks)
    except OSError as err:
        raise InputFileError(f"cannot read: {err.strerror}") from None
    finally:
        os.close(fd)


__all__ = ["InputFileError", "read_input"]
