"""A DuckDB snapshot opened on a background thread while ``benchmark run`` and ``control run``
load the mod and plan the run.

Opening a snapshot costs about as much as loading the mod (DuckDB starts, the file's header and
metadata are read, the tables listed), and DuckDB lets go of the GIL while it works: started
first, the opening runs on the second core while the main thread loads the mod, and the run
finds the engine ready. Only a DuckDB snapshot is opened early: it is read-only, and opening it
touches nothing outside the process. Postgres and Spark are connected when the run needs them,
as before.

Nothing the user sees changes. Arguments that name no snapshot, or are wrong, start nothing (the
run reports them where it always did); an opening that fails keeps its error until the run asks
for the engine, so an unknown benchmark id is still reported before a missing snapshot; an engine
the run never takes (a later usage error) is closed.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rootwatch.errors import RootwatchError

if TYPE_CHECKING:
    from rootwatch.engines.base import DataSource, Engine


class EarlyOpen:
    """The opening of one DuckDB snapshot, started on a daemon thread."""

    def __init__(self, source: DataSource) -> None:
        self.source = source
        self._engine: Engine | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._open, name="rootwatch-open-snapshot", daemon=True)
        self._thread.start()

    def _open(self) -> None:
        from rootwatch.engines.registry import open_engine

        try:
            engine = open_engine(self.source)
            # The run lists the tables first thing (optional tables, columns): listed here, off the
            # main thread. A snapshot's tables cannot change while it is open read-only.
            engine.available_tables()
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that takes the engine
            self._error = exc
            return
        self._engine = engine

    def take(self) -> Engine:
        """The open engine, now the caller's to close; the opening's error, raised here."""
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        engine, self._engine = self._engine, None
        assert engine is not None, "EarlyOpen.take called twice"
        return engine

    def discard(self) -> None:
        """Close the engine unless the run took it."""
        self._thread.join()
        if self._engine is not None:
            self._engine.close()
            self._engine = None


@contextlib.contextmanager
def early_open(args: argparse.Namespace) -> Iterator[EarlyOpen | None]:
    """An :class:`EarlyOpen` of the DuckDB snapshot ``args`` name, discarded on exit unless taken;
    None when they name none (a live database, Spark, ``--dry-run``) or are wrong."""
    from rootwatch.cli.common import data_source

    if getattr(args, "dry_run", False):
        yield None
        return
    try:
        source = data_source(args, required=False)
    except RootwatchError:
        source = None  # reported where the run asks for its data source, in its usual order
    if source is None or source.kind != "duckdb":
        yield None
        return
    opening = EarlyOpen(source)
    try:
        yield opening
    finally:
        opening.discard()


@contextlib.contextmanager
def opened_engine(source: DataSource, early: EarlyOpen | None) -> Iterator[Engine]:
    """The engine for ``source``: ``early``'s when it opened that source, else opened now; closed on exit."""
    if early is not None and early.source == source:
        engine = early.take()
    else:
        from rootwatch.engines.registry import open_engine

        engine = open_engine(source)
    try:
        yield engine
    finally:
        engine.close()
