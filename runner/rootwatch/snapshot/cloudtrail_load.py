"""One pass of a CloudTrail log load: the scanned records into DuckDB, in Arrow batches.

:class:`Loader` opens a transaction, reads every file not excluded (:func:`cloudtrail_scan.scan`),
and inserts the kept records a batch at a time with one ``INSERT ... SELECT`` over an Arrow table
(``fid``, ``r``); DuckDB's threads do the mapping. It leaves the transaction open for the caller,
who commits or rolls back from what :class:`Attempt` says: which files were bad, whether any of
their records were inserted, and whether DuckDB failed in a way no file explains.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from array import array
from itertools import accumulate
from typing import Any

from rootwatch.errors import Problem
from rootwatch.snapshot.cloudtrail_scan import Done, Kept, scan


@dataclass
class Attempt:
    """What one pass found."""

    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    bad: set[int] = field(default_factory=set)
    """Indexes of the bad files."""
    inserted_bad: bool = False
    """Some rows of a bad file were inserted (or a batch failed): the transaction holds wrong rows."""
    unexplained: bool = False
    """DuckDB rejected a batch and no file of it is bad by the Python reference."""


class Loader:
    """Loads ``files`` (except the indexes in ``excluded``) with the INSERT statement ``sql``."""

    def __init__(self, connection: Any, files: Sequence[Any], excluded: set[int], sql: str) -> None:
        self.connection = connection
        self.files = files
        self.chosen = [i for i in range(len(files)) if i not in excluded]
        self.sql = sql
        self.attempt = Attempt()
        self.pending: list[Kept] = []
        self.pending_bytes = 0
        self.inserted: set[int] = set()
        """Files some of whose rows are in the transaction."""
        self._selection: Any = None

    def run(self, selection: Any, workers: int) -> Attempt:
        from rootwatch.snapshot.cloudtrail_logs import BATCH_BYTES

        self._selection = selection
        self._files_table()
        self.connection.execute("BEGIN TRANSACTION")
        chosen_files = [self.files[i] for i in self.chosen]
        for message in scan(chosen_files, selection, workers):
            index = self.chosen[message.index]
            if isinstance(message, Kept):
                if index in self.attempt.bad:
                    continue
                self.pending.append(Kept(index, message.data, message.lengths))
                self.pending_bytes += len(message.data)
                if self.pending_bytes >= BATCH_BYTES:
                    self._insert()
            elif message.problem is not None:
                self._bad(index, message.problem)
        self._insert()
        return self.attempt

    def _files_table(self) -> None:
        from rootwatch.snapshot.cloudtrail_logs import FILES_TABLE

        files = self.files
        self.connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {FILES_TABLE} (fid INTEGER, key VARCHAR, account_id VARCHAR, "
            "region VARCHAR, partition VARCHAR, connection_name VARCHAR, ctx JSON)"
        )
        self.connection.execute(
            f"INSERT INTO {FILES_TABLE} SELECT UNNEST(?::INTEGER[]), UNNEST(?::VARCHAR[]), UNNEST(?::VARCHAR[]), "
            "UNNEST(?::VARCHAR[]), UNNEST(?::VARCHAR[]), UNNEST(?::VARCHAR[]), CAST(UNNEST(?::VARCHAR[]) AS JSON)",
            [
                list(range(len(files))),
                [f.key for f in files],
                [f.account_id for f in files],
                [f.region for f in files],
                [f.origin.partition for f in files],
                [f.origin.connection_name for f in files],
                [json.dumps({"connection_name": f.origin.connection_name}) for f in files],
            ],
        )

    def _bad(self, index: int, problem: Problem) -> None:
        self.attempt.problems.append(problem)
        self.attempt.bad.add(index)
        if index in self.inserted:
            self.attempt.inserted_bad = True
        dropped = [k for k in self.pending if k.index == index]
        if dropped:
            self.pending = [k for k in self.pending if k.index != index]
            self.pending_bytes -= sum(len(k.data) for k in dropped)

    def _insert(self) -> None:
        import duckdb
        import pyarrow as pa

        from rootwatch.snapshot.cloudtrail_logs import BATCH_VIEW

        batch, self.pending, self.pending_bytes = self.pending, [], 0
        if not batch:
            return
        texts = []
        for kept in batch:
            offsets = pa.py_buffer(_offsets(kept.lengths))
            texts.append(pa.Array.from_buffers(pa.large_string(), len(kept.lengths), [None, offsets, pa.py_buffer(kept.data)]))
        fids = [pa.array([kept.index] * len(kept.lengths), pa.int32()) for kept in batch]
        table = pa.Table.from_arrays([pa.chunked_array(fids, pa.int32()), pa.chunked_array(texts, pa.large_string())],
                                     names=["fid", "r"])
        self.connection.register(BATCH_VIEW, table)
        try:
            self.attempt.rows += self.connection.execute(self.sql).fetchone()[0]
            self.inserted.update(kept.index for kept in batch)
        except duckdb.InterruptException:
            raise
        except duckdb.Error as exc:
            self._failed_batch(batch, str(exc).strip().splitlines()[0])
        finally:
            self.connection.unregister(BATCH_VIEW)

    def _failed_batch(self, batch: list[Kept], failure: str) -> None:
        """DuckDB rejected a batch: the Python reference names its bad files. The transaction is
        aborted; a new one goes on checking the rest (and will be rolled back)."""
        from rootwatch.snapshot.cloudtrail_logs import find_bad_log_files

        self.connection.execute("ROLLBACK")
        self.connection.execute("BEGIN TRANSACTION")
        self.attempt.inserted_bad = True
        indexes = sorted({kept.index for kept in batch} - self.attempt.bad)
        found = False
        for index in indexes:
            problems = find_bad_log_files([self.files[index]], self._selection)
            for problem in problems:
                self._bad(index, problem)
                found = True
        if not found:
            self.attempt.unexplained = True
            self.attempt.problems.append(Problem(None, None, f"loading the CloudTrail logs failed: {failure}"))


def _offsets(lengths: array) -> array:
    """Arrow's offsets of strings of ``lengths`` laid back to back (64-bit: large_string)."""
    offsets = array("q", [0])
    offsets.extend(accumulate(lengths))
    return offsets
