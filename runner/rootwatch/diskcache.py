"""Small JSON entries in the user's cache directory, safe to share between processes.

One file per entry, ``<cache dir>/<folder>/<key[:2]>/<key>.json``, holding the key and the value.
Keys are digests of everything a value depends on (the callers': :mod:`rootwatch.sql.compile_cache`,
:mod:`rootwatch.yamlio`), so an entry is never stale, only unused.

Writing goes to a temporary file in the same folder, renamed into place (atomic on POSIX): a
reader sees a whole entry or none, and processes writing the same entry at once each replace it
with a whole one. An entry that cannot be read or parsed, or names another key, reads as absent and
is rebuilt by the caller; a directory that cannot be written only costs the speed-up.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any


def entry_path(folder: str, key: str) -> Path:
    from rootwatch.cachedir import cache_directory

    return cache_directory() / folder / key[:2] / f"{key}.json"


def read_entry(folder: str, key: str, *, object_hook: Any = None) -> Any:
    """The value kept under ``key`` in ``folder``, or None when there is none or it is unreadable."""
    try:
        entry = json.loads(entry_path(folder, key).read_bytes(), object_hook=object_hook)
    except (OSError, ValueError, TypeError, KeyError):
        return None  # absent, partial or corrupt (or refused by the hook): rebuilt by the caller
    if not isinstance(entry, dict) or entry.get("key") != key or "value" not in entry:
        return None
    return entry["value"]


def write_entry(folder: str, key: str, value: Any, *, default: Any = None) -> None:
    """Keep ``value`` under ``key`` in ``folder``: written whole to a temporary file, then renamed."""
    path = entry_path(folder, key)
    try:
        data = json.dumps({"key": key, "value": value}, separators=(",", ":"), default=default).encode("utf-8")
    except (TypeError, ValueError):
        return  # a value JSON cannot hold is simply not kept
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{key[:16]}.", suffix=".tmp", dir=path.parent)
    except OSError:
        return  # a read-only or full cache only costs the speed-up
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except OSError:
        try:
            os.unlink(temp)
        except OSError:
            pass


def installed_version(module: str, distribution: str | None = None) -> str:
    """The installed version of the package that provides ``module``, found without importing it
    (importing sqlglot costs more than a cached run): from the ``.dist-info`` folder of
    ``distribution`` (default: the module's name), else the size and time of the module's file."""
    loaded = sys.modules.get(module)
    spec = loaded.__spec__ if loaded is not None else importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return "absent"
    site = Path(spec.origin).parent.parent
    try:
        names = os.listdir(site)
    except OSError:
        names = []
    prefix = f"{(distribution or module).lower().replace('-', '_')}-"
    versions = sorted(
        n[len(prefix):-len(".dist-info")] for n in names if n.lower().startswith(prefix) and n.endswith(".dist-info")
    )
    if versions:
        return ",".join(versions)
    stat = os.stat(spec.origin)
    return f"{spec.origin}:{stat.st_size}:{stat.st_mtime_ns}"
