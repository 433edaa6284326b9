"""Writing output files atomically: a temporary file in the same directory, then a rename.

A reader never sees a half-written export, and a failed write leaves the previous file intact.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rootwatch.errors import UsageError


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that it appears complete or not at all."""
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
        os.replace(temp, path)
    except BaseException as exc:
        if os.path.exists(temp):
            os.unlink(temp)
        if isinstance(exc, OSError):
            # Disk full, permissions, a directory in the way: the user's to fix, not a bug.
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}", hint="the previous file, if any, is unchanged") from None
        raise
