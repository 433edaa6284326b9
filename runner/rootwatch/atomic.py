"""Writing output files atomically: a temporary file in the same directory, then a rename.

A reader never sees a half-written export, and a failed write leaves the previous file intact.
Several files are written together: every temporary file first, then every rename, so a run whose
third export cannot be written leaves none of them changed.

An output path is either absent or a regular file (:func:`require_replaceable`): a rename onto a
device node, a FIFO or a symbolic link would put a regular file in its place (run as root,
``--export /dev/null`` replaced the machine's ``/dev/null``). Where the caller must not replace
anything (a snapshot without ``--force``), :func:`publish` links the finished file to its name,
which fails if a file appeared there in the meantime, instead of renaming over it.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rootwatch.errors import UsageError


def require_replaceable(path: Path) -> None:
    """UsageError unless ``path`` is absent or a regular file (not a link, FIFO, device, folder)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    if stat.S_ISREG(mode):
        return
    kind = ("a symbolic link" if stat.S_ISLNK(mode) else "a directory" if stat.S_ISDIR(mode)
            else "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a special file")
    raise UsageError(f"{path} is {kind}, not a regular file: rootwatch replaces only regular files",
                     hint="name a regular file or a new one")


def publish(temp: str | Path, path: Path, *, replace: bool) -> None:
    """Give the finished file ``temp`` the name ``path``: replacing a regular file there when
    ``replace``, else only if nothing is there, checked by the link itself (no window in which a
    file that appeared since a check is overwritten). ``temp`` is gone afterwards either way."""
    if replace:
        require_replaceable(path)
        try:
            os.replace(temp, path)
        except OSError as exc:
            raise _cannot_write(path, exc) from None
        return
    try:
        os.link(temp, path)
    except FileExistsError:
        raise UsageError(f"{path} appeared while rootwatch was writing it; it was left as it is",
                         hint="pass --force to replace it, or choose another name") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise _cannot_write(path, exc) from None
        # A file system without hard links: check, then rename (the small window is unavoidable).
        if os.path.lexists(path):
            raise UsageError(f"{path} exists", hint="pass --force to replace it") from None
        try:
            os.replace(temp, path)
        except OSError as exc:
            raise _cannot_write(path, exc) from None
        return
    os.unlink(temp)


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
            publish(temp, path, replace=True)
    finally:
        for temp, _path in staged:
            if os.path.exists(temp):
                os.unlink(temp)


def _stage(path: Path, data: str | bytes) -> str:
    """``data`` in a complete, synced temporary file beside ``path``; returns its name."""
    require_replaceable(path)
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
