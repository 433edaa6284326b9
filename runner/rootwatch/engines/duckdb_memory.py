"""Memory DuckDB freed, handed back to the system between a run's statements.

On Linux DuckDB allocates through the jemalloc linked into its module. jemalloc keeps the pages a
statement freed ("dirty") for a second before it returns them, so that later allocations can reuse
them. A run's statements are shorter than that, and the next one reuses only part of them: its hash
tables and sorts ask for other sizes. With two workers, a statement that ends also hands back what
the other worker's statement has freed so far. At 10,000 accounts (the root benchmark, pages kept
60 s so that a slow machine does not return them on its own) the run peaked at 351-372 MB; with
the pages handed back after each of the four kept relations, at 328-347 MB; after every statement,
at 301-310 MB. The pages are faulted in again when they are needed: on a quiet machine the run
took 0.2-0.3 CPU s and 0.1-0.25 s of wall time more, and peaked at 299-305 MB instead of 331-344.

jemalloc's control interface (``mallctl``) is exported by DuckDB's module under its prefixed name;
where it is not (macOS and Windows use the system's allocator, a build without jemalloc), nothing
is done.
"""

from __future__ import annotations

import ctypes
from functools import cache
from typing import Any, NamedTuple

_PURGE_EVERY_ARENA = b"arena.4096.purge"
"""``arena.<i>.purge`` with MALLCTL_ARENAS_ALL (4096): every arena's unused dirty pages."""


@cache
def _mallctl() -> Any:
    """DuckDB's ``duckdb_je_mallctl``, or None."""
    try:
        import _duckdb
    except ImportError:
        return None
    path = getattr(_duckdb, "__file__", None)
    if not path:
        return None
    try:
        function = ctypes.CDLL(path).duckdb_je_mallctl
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    function.restype = ctypes.c_int
    return function


def return_freed_memory() -> bool:
    """Hand the pages DuckDB's statements freed back to the system; whether it could."""
    mallctl = _mallctl()
    if mallctl is None:
        return False
    return mallctl(_PURGE_EVERY_ARENA, None, None, None, 0) == 0


class Resident(NamedTuple):
    """This process's resident memory, in MB."""

    now: int
    """VmRSS."""
    peak: int
    """VmHWM: the most since the process started, or since :func:`reset_resident_peak`."""


def resident_memory() -> Resident:
    """:class:`Resident` from Linux's ``/proc/self/status`` (OSError elsewhere): how the perf
    scripts and tests see what a statement needed and what it handed back."""
    found: dict[str, int] = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) // 1024
    return Resident(found["VmRSS"], found["VmHWM"])


def reset_resident_peak() -> None:
    """Start :attr:`Resident.peak` again from the resident memory now (Linux; OSError elsewhere)."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
