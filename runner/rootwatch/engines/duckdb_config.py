"""DuckDB connections that never reach the network, and snapshots checked before they are opened.

DuckDB installs and loads a "known" extension on first use: opening a SQLite file as a snapshot
made it download ``sqlite_scanner`` and create ``~/.duckdb/extensions``. Settings changed with
``SET`` after ``connect`` come too late for that (the file is already being read), so they are
passed in the connection's configuration, and the file's header is checked before DuckDB sees it.
The extensions rootwatch uses (json, parquet, icu) are linked into the Python package.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from rootwatch.errors import ConnectionFailed

if TYPE_CHECKING:
    import duckdb

NO_EXTENSION_DOWNLOADS: dict[str, object] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
"""For every connection, including the snapshot builders' (which need file access to write)."""

SNAPSHOT_READER: dict[str, object] = {**NO_EXTENSION_DOWNLOADS, "enable_external_access": False}
"""For a snapshot opened to be graded: no file other than the snapshot, no network."""

_MAGIC_OFFSET = 8
_MAGIC = b"DUCK"
"""A DuckDB database file starts with an 8-byte checksum, then these bytes."""
_SQLITE_MAGIC = b"SQLite format 3\x00"

_NOT_A_SNAPSHOT_HINT = "build one with 'rootwatch snapshot from-files DIR -o FILE' (or from-aws, from-steampipe)"


def duckdb_core() -> ModuleType:
    """DuckDB's compiled module (``_duckdb``): connections, cursors and exceptions, which is all
    that grading a snapshot uses. The ``duckdb`` package around it adds the relational and
    expression API in Python, and importing it costs about 0.1 s of CPU, as much as the rest of a
    small run; its exception classes are this module's, so ``except`` clauses match either way.
    Falls back to the package where the compiled module is not importable on its own."""
    try:
        import _duckdb
    except ImportError:  # a DuckDB build that does not ship the module under that name
        import duckdb as _duckdb
    return _duckdb


def check_snapshot_header(path: Path) -> None:
    """ConnectionFailed unless ``path`` starts like a DuckDB database file (a SQLite database, a
    CSV or random bytes is named as such, before DuckDB tries to read it)."""
    try:
        with open(path, "rb") as file:
            head = file.read(len(_SQLITE_MAGIC))
    except IsADirectoryError:
        raise ConnectionFailed(f"{path} is a directory, not a rootwatch snapshot", hint=_NOT_A_SNAPSHOT_HINT) from None
    except OSError as exc:
        raise ConnectionFailed(f"cannot read snapshot {path}: {exc.strerror or exc}") from None
    if not is_duckdb_header(head):
        kind = " (it is a SQLite database)" if head == _SQLITE_MAGIC else ""
        raise ConnectionFailed(f"{path} is not a rootwatch snapshot{kind}", hint=_NOT_A_SNAPSHOT_HINT)


def is_duckdb_header(head: bytes) -> bool:
    """Whether ``head`` (a file's first 16 bytes) starts a DuckDB database file."""
    return head[_MAGIC_OFFSET : _MAGIC_OFFSET + len(_MAGIC)] == _MAGIC


def threads_per_statement(statements_at_once: int) -> int:
    """DuckDB's threads for each of ``statements_at_once`` statements run side by side: the cores
    shared among them, at least one each.

    A run's workers already keep every core busy, one statement each (rootwatch.execution). Each
    statement on every core as well (DuckDB's default) had them take turns: at 10,000 accounts on
    2 cores the root benchmark took 0.09-0.19 s longer, 0.14-0.25 CPU s more and 7-14 MB more with
    two threads per statement than with one.
    """
    return max(1, (os.cpu_count() or 1) // max(1, statements_at_once))


def connect_snapshot(path: Path, statements_at_once: int = 1) -> duckdb.DuckDBPyConnection:
    """``path`` opened read-only with no external access and no extension downloads, after its
    header was checked, for ``statements_at_once`` statements at a time (see
    :func:`threads_per_statement`); ConnectionFailed when it is no DuckDB database."""
    duckdb = duckdb_core()
    check_snapshot_header(path)
    config = {**SNAPSHOT_READER, "threads": threads_per_statement(statements_at_once)}
    try:
        return duckdb.connect(str(path), read_only=True, config=config)
    except duckdb.Error as exc:
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        raise ConnectionFailed(f"cannot open snapshot {path}: {first}") from None


def connect_memory() -> duckdb.DuckDBPyConnection:
    """An in-memory connection that may read and write files (builders) but downloads nothing."""
    import duckdb

    return duckdb.connect(config=dict(NO_EXTENSION_DOWNLOADS))
