"""A CloudTrail log load: the scanned records into DuckDB, in Arrow batches.

:class:`Loader` reads every file not excluded (:func:`cloudtrail_scan.scan`) and inserts the kept
records a statement at a time, one ``INSERT ... SELECT`` over an Arrow table (``fid``, ``r``) of
one chunk per thread of DuckDB (``cloudtrail_logs.INSERT_THREADS``), each chunk whole row groups
(:data:`GROUP_ROW_GROUPS` of :data:`ROW_GROUP_ROWS`): DuckDB parses, maps and compresses on both
threads, and every row group it writes is full. A transaction spans :data:`COMMIT_BYTES` of
records: one transaction over gigabytes kept them all in memory (3.5 GB of RSS for 700 MB of
snapshot, and growing), a commit per 32 MB batch cost 4.7 times the CPU (small row groups, a
write-ahead log entry each) for 35 % less memory. A transaction ends where a row group does.

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
ROW_GROUP_ROWS = 16_384
"""Rows per row group of a snapshot that takes every record of a large load (it is attached with
``ROW_GROUP_SIZE``: :func:`cloudtrail_logs.snapshot_row_group_size`), and where the load cuts its
statements and commits: a transaction ends where a row group does (at the first boundary past
:data:`COMMIT_BYTES`). One ending in a part-filled row group had the checkpoint after the next
commit merge that group with the next one's, decompressing and compressing again rows already
written (every record of 50 MB of gzip logs: 14.1 CPU seconds and a 176 MB snapshot with
transactions ending anywhere, 11.6 and 124 MB ending on row groups, the same memory).

Smaller than DuckDB's 122,880 so that a statement can give each of DuckDB's threads whole row
groups without holding much text: :data:`GROUP_ROW_GROUPS` of them per thread, 90 MB of CloudTrail
records."""
GROUP_ROW_GROUPS = 4
"""Row groups per Arrow chunk, the unit a thread of DuckDB takes. A thread compresses a row group
when it starts the next; the last one of its share is compressed at the statement's end, when the
threads take turns: so more than one per chunk."""


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
        self.pending_records = 0
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
        self._buffers: list[bytearray] = []
        """A buffer per chunk of a statement (:meth:`_contiguous`)."""

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
                self.pending_records += len(message.lengths)
                if self.pending_bytes >= BATCH_BYTES:
                    self._insert_pending(everything=True)
                elif self.pending_records >= self._statement_records():
                    self._insert_pending(everything=False)
            elif message.problem is not None:
                self._bad(index, message.problem)
        self._insert_pending(everything=True)
        self._commit()
        self._clean_up(selection, workers, skip_bad_files)
        return self.attempt

    def _statement_records(self) -> int:
        """Records one INSERT takes: up to the :data:`~cloudtrail_logs.INSERT_THREADS`-th row-group
        boundary of the open transaction (a row group per thread)."""
        from rootwatch.snapshot.cloudtrail_logs import INSERT_THREADS

        group = ROW_GROUP_ROWS * GROUP_ROW_GROUPS
        return group - self.open_records % group + (INSERT_THREADS - 1) * group

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
            self.pending_records -= sum(len(k.lengths) for k in dropped)

    def _insert_pending(self, everything: bool) -> None:
        """Insert the pending records, cut into groups that end where row groups of the open
        transaction do (where it may commit), :data:`~cloudtrail_logs.INSERT_THREADS` groups per
        statement; unless ``everything``, a last group short of its boundary stays pending."""
        from rootwatch.snapshot.cloudtrail_logs import INSERT_THREADS

        batch, self.pending, self.pending_bytes, self.pending_records = self.pending, [], 0, 0
        groups: list[list[Kept]] = []
        records = self.open_records
        while batch:
            group = ROW_GROUP_ROWS * GROUP_ROW_GROUPS
            head, batch = _split(batch, group - records % group)
            records += sum(len(kept.lengths) for kept in head)
            groups.append(head)
        if not everything and groups and records % ROW_GROUP_ROWS:
            self.pending = groups.pop()
            self.pending_bytes = sum(len(kept.data) for kept in self.pending)
            self.pending_records = sum(len(kept.lengths) for kept in self.pending)
        for start in range(0, len(groups), INSERT_THREADS):
            self._insert(groups[start:start + INSERT_THREADS])

    def _insert(self, groups: list[list[Kept]]) -> None:
        """One INSERT of ``groups``, each an Arrow chunk of its own: DuckDB's threads take a chunk
        at a time, so a thread's rows fill whole row groups (appended to the table as they are),
        never part of one (which DuckDB copies into the transaction's rows again)."""
        import duckdb
        import pyarrow as pa

        from rootwatch.snapshot.cloudtrail_logs import BATCH_VIEW

        groups = [group for group in groups if group]
        if not groups:
            return
        texts, fids = [], []
        for slot, group in enumerate(groups):
            data = self._contiguous(slot, group)
            lengths = array("q")
            fid = array("i")
            for kept in group:
                lengths += kept.lengths
                fid += array("i", [kept.index]) * len(kept.lengths)
            offsets = pa.py_buffer(_offsets(lengths))
            texts.append(pa.Array.from_buffers(pa.large_string(), len(lengths), [None, offsets, pa.py_buffer(data)]))
            # From buffers, as the texts: pa.array() of a Python list imports pandas (and numpy's
            # BLAS threads), 0.3 s of a load's start.
            fids.append(pa.Array.from_buffers(pa.int32(), len(fid), [None, pa.py_buffer(fid)]))
        table = pa.Table.from_arrays([pa.chunked_array(fids, pa.int32()), pa.chunked_array(texts, pa.large_string())],
                                     names=["fid", "r"])
        batch = [kept for group in groups for kept in group]
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
            self._insert([[kept for kept in group if kept.index not in self.attempt.bad] for group in groups])

    def _contiguous(self, slot: int, group: list[Kept]) -> Any:
        """The texts of ``group`` back to back in one buffer: a chunk per part would hand a thread
        part of a row group. The buffer of ``slot`` is used again by every statement (the previous
        one is done with it): a new one per statement (``bytes.join``) was faulted in and zeroed
        by the kernel every time, a third of the inserting process's page faults."""
        if len(group) == 1:
            return group[0].data
        size = sum(len(kept.data) for kept in group)
        while len(self._buffers) <= slot:
            self._buffers.append(bytearray())
        if len(self._buffers[slot]) < size:
            self._buffers[slot] = bytearray(size + size // 8)  # room for the next, slightly longer group
        buffer = memoryview(self._buffers[slot])
        at = 0
        for kept in group:
            buffer[at:at + len(kept.data)] = kept.data
            at += len(kept.data)
        return buffer[:size]

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
