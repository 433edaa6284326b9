"""Writing output files atomically: a temporary file in the same directory, then a rename.

A reader never sees a half-written export, and a failed write leaves the previous file intact.
Several files are written together: every temporary file first, then every rename, so a run whose
third export cannot be written leaves none of them changed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rootwatch.errors import UsageError


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that it appears complete or not at all."""
    write_all_atomic([(path, data)])


def write_all_atomic(files: Sequence[tuple[Path, str | bytes]]) -> None:
    """Write every ``(path, data)``; if any cannot be written, none is changed."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files:
            staged.append((_stage(path, data), path))
        for temp, path in staged:
            try:
                os.replace(temp, path)
            except OSError as exc:
                raise _cannot_write(path, exc) from None
    finally:
        for temp, _path in staged:
            if os.path.exists(temp):
                os.unlink(temp)


def _stage(path: Path, data: str | bytes) -> str:
    """``data`` in a complete, synced temporary file beside ``path``; returns its name."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"cannot write {path}: directory {directory} does not exist")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    try:
        # mkstemp creates the file 0600; an export should get the usual permissions (umask).
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException as exc:
        os.unlink(temp)
        if isinstance(exc, OSError):
            raise _cannot_write(path, exc) from None
        raise
    return temp


def _cannot_write(path: Path, exc: OSError) -> UsageError:
    # Disk full, permissions, a directory in the way: the user's to fix, not a bug.
    return UsageError(f"cannot write {path}: {exc.strerror or exc}", hint="the previous file, if any, is unchanged")
