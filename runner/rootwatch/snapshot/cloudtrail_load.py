"""A CloudTrail log load: the scanned records into DuckDB, in Arrow batches.

:class:`Loader` reads every file not excluded (:func:`cloudtrail_scan.scan`) and inserts the kept
records a batch at a time, one ``INSERT ... SELECT`` over an Arrow table (``fid``, ``r``) per
batch; DuckDB does the mapping (on one thread: see ``cloudtrail_logs.INSERT_THREADS``). A
transaction spans :data:`COMMIT_BYTES` of records: one transaction over gigabytes kept them all
in memory (3.5 GB of RSS for 700 MB of snapshot, and growing), a commit per 32 MB batch cost 4.7
times the CPU (small row groups, a write-ahead log entry each) for 35 % less memory. A
transaction ends where a row group does (every
:data:`ROW_GROUP_ROWS` records): one ending in a part-filled row group had the checkpoint after
the next commit merge that group with the next one's, decompressing and compressing again rows
already written.

A batch DuckDB rejects is rolled back with its transaction, its bad files found by the Python
reference, and inserted again without them; the good files whose rows that rollback took are read
again at the end. A file found bad after some of its records were committed (a long file whose end
is broken) has its rows deleted by ``log_stream_name``; a good file with the same key (the same
object synced into two ``AWSLogs/`` folders) is then read again too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from array import array
from itertools import accumulate
from typing import Any

from rootwatch.errors import Problem
from rootwatch.snapshot.cloudtrail_scan import Kept, scan

COMMIT_BYTES = 128 * 1024 * 1024
"""Record text inserted per transaction, at least (see the module's docstring for why not more, or less)."""
ROW_GROUP_ROWS = 122_880
"""Rows per row group of DuckDB's tables (its default ``ROW_GROUP_SIZE``): a transaction commits
a multiple of it, at the first boundary past :data:`COMMIT_BYTES` (128 MB: CloudTrail's records
then commit about as much at a time as 192 MB did before). Every record of 50 MB of gzip logs
(593 MB of JSON): 14.1 CPU seconds and a 176 MB snapshot with transactions ending anywhere, 11.6
and 124 MB ending on row groups, the same memory."""


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
    """Loads ``files`` (except the indexes in ``excluded``) with the INSERT statement ``sql``, which
    writes into the table ``table``."""

    def __init__(self, connection: Any, files: Sequence[Any], excluded: set[int], sql: str, table: str) -> None:
        self.connection = connection
        self.files = files
        self.chosen = [i for i in range(len(files)) if i not in excluded]
        self.sql = sql
        self.table = table
        self.attempt = Attempt()
        self.pending: list[Kept] = []
        self.pending_bytes = 0
        self.inserted: set[int] = set()
        """Files some of whose rows are committed."""
        self.open: set[int] = set()
        """Files some of whose rows are in the open transaction."""
        self.open_rows = 0
        self.open_bytes = 0
        self.open_records = 0
        """Records inserted in the open transaction (rows, with every record kept)."""
        self.lost: set[int] = set()
        """Files some of whose rows a rollback took back: read again at the end."""
        self._selection: Any = None

    def run(self, selection: Any, workers: int, skip_bad_files: bool) -> Attempt:
        from rootwatch.snapshot.cloudtrail_logs import BATCH_BYTES

        self._selection = selection
        self._files_table()
        chosen_files = [self.files[i] for i in self.chosen]
        for message in scan(chosen_files, selection, workers):
            index = self.chosen[message.index]
            if isinstance(message, Kept):
                if index in self.attempt.bad:
                    continue
                self.pending.append(Kept(index, message.data, message.lengths))
                self.pending_bytes += len(message.data)
                if self.pending_bytes >= BATCH_BYTES:
                    self._insert_pending()
            elif message.problem is not None:
                self._bad(index, message.problem)
        self._insert_pending()
        self._commit()
        self._clean_up(selection, workers, skip_bad_files)
        return self.attempt

    def _clean_up(self, selection: Any, workers: int, skip_bad_files: bool) -> None:
        """Take out what must not stay: every row of this load when it failed (not skipping, or
        for a reason no file explains), else the rows of bad files that went in; and read again
        the good files whose rows were rolled back or deleted with a bad file's."""
        if not self.attempt.problems and not self.lost:
            return
        if self.attempt.problems and (not skip_bad_files or self.attempt.unexplained):
            self._delete({self.files[i].key for i in self.inserted})
            self.attempt.rows = 0
            return
        dirty = {self.files[i].key for i in (self.attempt.bad | self.lost) & self.inserted}
        self.attempt.inserted_bad = bool(dirty)
        self.attempt.rows -= self._delete(dirty)
        again = (self.lost | {i for i in self.inserted if self.files[i].key in dirty}) - self.attempt.bad
        if again:
            others = set(range(len(self.files))) - again
            redo = Loader(self.connection, self.files, others, self.sql, self.table).run(selection, workers, skip_bad_files)
            self.attempt.rows += redo.rows
            self.attempt.problems += redo.problems

    def _delete(self, keys: set[str]) -> int:
        if not keys:
            return 0
        deleted = self.connection.execute(f"DELETE FROM {self.table} WHERE log_stream_name IN (SELECT UNNEST(?::VARCHAR[]))",
                                          [sorted(keys)]).fetchone()
        return int(deleted[0]) if deleted else 0

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
        dropped = [k for k in self.pending if k.index == index]
        if dropped:
            self.pending = [k for k in self.pending if k.index != index]
            self.pending_bytes -= sum(len(k.data) for k in dropped)

    def _insert_pending(self) -> None:
        """Insert the pending records, a statement per stretch up to the next row-group boundary
        of the open transaction (where it may commit)."""
        batch, self.pending, self.pending_bytes = self.pending, [], 0
        while batch:
            head, batch = _split(batch, ROW_GROUP_ROWS - self.open_records % ROW_GROUP_ROWS)
            self._insert(head)

    def _insert(self, batch: list[Kept]) -> None:
        import duckdb
        import pyarrow as pa

        from rootwatch.snapshot.cloudtrail_logs import BATCH_VIEW

        if not batch:
            return
        texts = []
        for kept in batch:
            offsets = pa.py_buffer(_offsets(kept.lengths))
            texts.append(pa.Array.from_buffers(pa.large_string(), len(kept.lengths), [None, offsets, pa.py_buffer(kept.data)]))
        # From buffers, as the texts: pa.array() of a Python list imports pandas (and numpy's
        # BLAS threads), 0.3 s of a load's start.
        fids = [pa.Array.from_buffers(pa.int32(), len(kept.lengths), [None, pa.py_buffer(array("i", [kept.index]) * len(kept.lengths))])
                for kept in batch]
        table = pa.Table.from_arrays([pa.chunked_array(fids, pa.int32()), pa.chunked_array(texts, pa.large_string())],
                                     names=["fid", "r"])
        self.connection.register(BATCH_VIEW, table)
        try:
            if not self.open_bytes:
                self.connection.execute("BEGIN TRANSACTION")
            count = self.connection.execute(self.sql).fetchone()[0]
        except duckdb.InterruptException:
            raise
        except duckdb.Error as exc:
            self.connection.execute("ROLLBACK")
            self.lost |= self.open
            self.open, self.open_rows, self.open_bytes, self.open_records = set(), 0, 0, 0
            failure = str(exc).strip().splitlines()[0]
        else:
            self.open_rows += count
            self.open_bytes += sum(len(kept.data) for kept in batch) or 1
            self.open_records += sum(len(kept.lengths) for kept in batch)
            self.open.update(kept.index for kept in batch)
            if self.open_bytes >= COMMIT_BYTES and self.open_records % ROW_GROUP_ROWS == 0:
                self._commit()
            return
        finally:
            self.connection.unregister(BATCH_VIEW)
        if self._name_bad_files(batch, failure):
            self._insert([kept for kept in batch if kept.index not in self.attempt.bad])

    def _commit(self) -> None:
        if not self.open_bytes:
            return
        self.connection.execute("COMMIT")
        # Write the committed rows out now, compressed as the load has set: left to DuckDB's
        # automatic checkpoint they piled up in memory until one checkpoint took them all (with
        # the default compression once the load had restored it): 17.8 GB of RSS for 400 MB of logs.
        self.connection.execute("CHECKPOINT")
        self.attempt.rows += self.open_rows
        self.inserted |= self.open
        self.open, self.open_rows, self.open_bytes, self.open_records = set(), 0, 0, 0

    def _name_bad_files(self, batch: list[Kept], failure: str) -> bool:
        """DuckDB rejected a batch: the Python reference names its bad files (False: none is)."""
        from rootwatch.snapshot.cloudtrail_logs import find_bad_log_files

        found = False
        for index in sorted({kept.index for kept in batch} - self.attempt.bad):
            for problem in find_bad_log_files([self.files[index]], self._selection):
                self._bad(index, problem)
                found = True
        if not found:
            self.attempt.unexplained = True
            self.attempt.problems.append(Problem(None, None, f"loading the CloudTrail logs failed: {failure}"))
        return found


def _split(batch: list[Kept], records: int) -> tuple[list[Kept], list[Kept]]:
    """The first ``records`` records of ``batch`` and the rest (a part cut in two where they end)."""
    for position, kept in enumerate(batch):
        count = len(kept.lengths)
        if records < count:
            if not records:
                return batch[:position], batch[position:]
            cut = sum(kept.lengths[:records])
            head = Kept(kept.index, kept.data[:cut], kept.lengths[:records])
            tail = Kept(kept.index, kept.data[cut:], kept.lengths[records:])
            return [*batch[:position], head], [tail, *batch[position + 1:]]
        records -= count
    return batch, []


def _offsets(lengths: array) -> array:
    """Arrow's offsets of strings of ``lengths`` laid back to back (64-bit: large_string)."""
    offsets = array("q", [0])
    offsets.extend(accumulate(lengths))
    return offsets
