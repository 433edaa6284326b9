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
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
