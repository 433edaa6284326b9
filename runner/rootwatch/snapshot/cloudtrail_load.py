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
"""Rows per row group of a snapshot that takes every record of the logs (it is attached with
``ROW_GROUP_SIZE``: :func:`cloudtrail_logs.snapshot_storage`), and where the load cuts its
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


@dataclass(frozen=True)
class Target:
    """Where a load writes: the INSERT of a batch, and the DELETE of the rows of the files whose
    keys are its one parameter (a list), returning how many it deleted."""

    insert_sql: str
    delete_sql: str


class Loader:
    """Loads ``files`` (except the indexes in ``excluded``) into ``target``."""

    def __init__(self, connection: Any, files: Sequence[Any], excluded: set[int], target: Target) -> None:
        self.connection = connection
        self.files = files
        self.chosen = [i for i in range(len(files)) if i not in excluded]
        self.target = target
        self.attempt = Attempt()
        self.chunks: list[_Chunk] = []
        """The chunks of the statement being gathered (their buffers used again statement after statement)."""
        self.filling = 0
        """How many of :attr:`chunks` the statement being gathered has begun."""
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
        self._selection = selection
        self._files_table()
        chosen_files = [self.files[i] for i in self.chosen]
        for message in scan(chosen_files, selection, workers):
            index = self.chosen[message.index]
            if isinstance(message, Kept):
                if index not in self.attempt.bad:
                    self._gather(index, message)
            elif message.problem is not None:
                self._bad(index, message.problem)
        self._insert_gathered()
        self._commit()
        self._clean_up(selection, workers, skip_bad_files)
        return self.attempt

    def _gather(self, index: int, kept: Kept) -> None:
        """Copy the records of ``kept`` (of file ``index``) into the statement's chunks as they come
        (the part itself is then let go: no batch of parts waits beside the chunks), inserting the
        statement once its last chunk is full."""
        from rootwatch.snapshot.cloudtrail_logs import BATCH_BYTES, INSERT_THREADS

        data = memoryview(kept.data)
        lengths = kept.lengths
        done = at = 0
        while done < len(lengths):
            chunk = self._chunk_with_room()
            take = min(chunk.room, len(lengths) - done)
            size = sum(lengths[done:done + take])
            chunk.add(index, data[at:at + size], lengths[done:done + take])
            done += take
            at += size
            if (self.filling == INSERT_THREADS and not chunk.room) or self._gathered_bytes() >= BATCH_BYTES:
                self._insert_gathered()
        data.release()

    def _chunk_with_room(self) -> _Chunk:
        """The chunk to add records to: the last one begun, or the next one (sized to end where a
        row group of the open transaction will, after the chunks before it)."""
        if self.filling and self.chunks[self.filling - 1].room:
            return self.chunks[self.filling - 1]
        group = ROW_GROUP_ROWS * GROUP_ROW_GROUPS
        records = self.open_records + sum(len(chunk.lengths) for chunk in self.chunks[:self.filling])
        if len(self.chunks) == self.filling:
            self.chunks.append(_Chunk())
        chunk = self.chunks[self.filling]
        chunk.begin(group - records % group)
        self.filling += 1
        return chunk

    def _gathered_bytes(self) -> int:
        return sum(chunk.size for chunk in self.chunks[:self.filling])

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
            redo = Loader(self.connection, self.files, others, self.target).run(selection, workers, skip_bad_files)
            self.attempt.rows += redo.rows
            self.attempt.problems += redo.problems

    def _delete(self, keys: set[str]) -> int:
        if not keys:
            return 0
        deleted = self.connection.execute(self.target.delete_sql, [sorted(keys)]).fetchone()
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
        for chunk in self.chunks[:self.filling]:
            chunk.drop(index)

    def _insert_gathered(self) -> None:
        """Insert the statement gathered so far (if any); the next one begins empty."""
        chunks, self.filling = self.chunks[:self.filling], 0
        self._insert([chunk for chunk in chunks if chunk.lengths])

    def _insert(self, chunks: list[_Chunk]) -> None:
        """One INSERT of ``chunks``, each an Arrow chunk of its own: DuckDB's threads take a chunk
        at a time, so a thread's rows fill whole row groups (appended to the table as they are),
        never part of one (which DuckDB copies into the transaction's rows again)."""
        import duckdb
        import pyarrow as pa

        from rootwatch.snapshot.cloudtrail_logs import BATCH_VIEW

        if not chunks:
            return
        arrays = [chunk.arrow() for chunk in chunks]
        table = pa.Table.from_arrays([pa.chunked_array([fids for fids, _ in arrays], pa.int32()),
                                      pa.chunked_array([texts for _, texts in arrays], record_text_type())], names=["fid", "r"])
        self.connection.register(BATCH_VIEW, table)
        try:
            if not self.open_bytes:
                self.connection.execute("BEGIN TRANSACTION")
            count = self.connection.execute(self.target.insert_sql).fetchone()[0]
        except duckdb.InterruptException:
            raise
        except (duckdb.Error, UnicodeDecodeError) as exc:
            self.connection.execute("ROLLBACK")
            self.lost |= self.open
            self.open, self.open_rows, self.open_bytes, self.open_records = set(), 0, 0, 0
            failure = _rejection(exc)
        else:
            self.open_rows += count
            self.open_bytes += sum(chunk.size for chunk in chunks) or 1
            self.open_records += sum(len(chunk.lengths) for chunk in chunks)
            for chunk in chunks:
                self.open |= chunk.files
            if self.open_bytes >= COMMIT_BYTES and self.open_records % ROW_GROUP_ROWS == 0:
                self._commit()
            return
        finally:
            self.connection.unregister(BATCH_VIEW)
            del table, arrays  # the chunks' buffers are theirs to fill again
        indexes = set().union(*(chunk.files for chunk in chunks))
        if self._name_bad_files(indexes, failure):
            for chunk in chunks:
                for index in self.attempt.bad & indexes:
                    chunk.drop(index)
            self._insert([chunk for chunk in chunks if chunk.lengths])

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

    def _name_bad_files(self, indexes: set[int], failure: str) -> bool:
        """DuckDB rejected a statement of the files ``indexes``: the Python reference names its bad
        files (False: none is)."""
        from rootwatch.snapshot.cloudtrail_logs import find_bad_log_files

        found = False
        for index in sorted(indexes - self.attempt.bad):
            for problem in find_bad_log_files([self.files[index]], self._selection):
                self._bad(index, problem)
                found = True
        if not found:
            self.attempt.unexplained = True
            self.attempt.problems.append(Problem(None, None, f"loading the CloudTrail logs failed: {failure}"))
        return found


def _rejection(exc: Exception) -> str:
    """The first line of DuckDB's reason for rejecting a statement. DuckDB quotes the record it
    could not parse: when that record is not UTF-8, Python cannot decode the message, and the
    error is a UnicodeDecodeError of the message itself."""
    message = exc.object.decode("utf-8", "replace") if isinstance(exc, UnicodeDecodeError) else str(exc)
    return (message.strip().splitlines() or [""])[0]


class _Chunk:
    """Records gathered for one Arrow chunk of a statement: their texts back to back in a buffer
    used again chunk after chunk (a new buffer per statement was faulted in and zeroed by the
    kernel every time: a third of the inserting process's page faults), and each one's length and
    file."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.size = 0
        self.lengths = array("q")
        self.fids = array("i")
        self.files: set[int] = set()
        """The files of :attr:`fids`, each once."""
        self.room = 0
        """Records the chunk takes still."""

    def begin(self, records: int) -> None:
        """Empty the chunk (the statement that used its buffer is done) to take ``records`` records."""
        self.size = 0
        self.lengths = array("q")
        self.fids = array("i")
        self.files = set()
        self.room = records

    def add(self, index: int, data: Any, lengths: array) -> None:
        """Append the records ``data`` (texts of ``lengths`` back to back) of file ``index``."""
        end = self.size + len(data)
        if end > len(self.buffer):
            # A new buffer, never a resize (an Arrow array of an earlier statement may still hold
            # the old one), of room for as many records of this length as the chunk takes (an
            # eighth more), but no more than four times what it holds: grown a part at a time, a
            # chunk was allocated (and faulted in) ten times over; sized by its room alone, the
            # few records of root activity took 100 MB each.
            expected = end + (self.room - len(lengths)) * len(data) // max(len(lengths), 1)
            grown = bytearray(max(end, min(expected, 4 * end)) * 9 // 8)
            memoryview(grown)[:self.size] = memoryview(self.buffer)[:self.size]
            self.buffer = grown
        # Through a memoryview: a bytearray's own slice assignment copies the data into a new
        # bytearray first.
        memoryview(self.buffer)[self.size:end] = data
        self.size = end
        self.lengths += lengths
        self.fids += array("i", [index]) * len(lengths)
        self.files.add(index)
        self.room -= len(lengths)

    def drop(self, index: int) -> None:
        """Take out the records of file ``index`` (a bad file: rare, so record by record)."""
        if index not in self.files:
            return
        starts = accumulate(self.lengths, initial=0)
        kept = [(fid, bytes(self.buffer[start:start + length]))
                for fid, start, length in zip(self.fids, starts, self.lengths) if fid != index]
        room = self.room + len(self.lengths)
        self.begin(room)
        for fid, text in kept:
            self.add(fid, text, array("q", [len(text)]))

    def arrow(self) -> tuple[Any, Any]:
        """The chunk's ``fid`` and ``r`` Arrow arrays (over its buffer: no copy)."""
        import pyarrow as pa

        count = len(self.lengths)
        # From buffers: pa.array() of a Python list imports pandas (and numpy's BLAS threads),
        # 0.3 s of a load's start.
        fids = pa.Array.from_buffers(pa.int32(), count, [None, pa.py_buffer(self.fids)])
        data = pa.py_buffer(memoryview(self.buffer)[:self.size])
        texts = pa.Array.from_buffers(pa.large_string(), count, [None, _offsets(self.lengths), data])
        kind = record_text_type()
        return fids, texts if kind == pa.large_string() else pa.ExtensionArray.from_storage(kind, texts)


def record_text_type() -> Any:
    """The Arrow type of the records' text: Arrow's JSON extension type where pyarrow has it
    (19 on), which DuckDB takes as its JSON type as it is, so a record goes into the JSON column
    ``cloudtrail_event`` unchanged and unchecked (the worker's cut checked its syntax, and the
    INSERT parses every record for its fields anyway); else plain text, which DuckDB parses once
    more to cast it to JSON (the same rows, more CPU)."""
    import pyarrow as pa

    json_type = getattr(pa, "json_", None)
    return json_type(pa.large_string()) if json_type is not None else pa.large_string()


ARROW_SUM_RECORDS = 4096
"""From this many records, their offsets are summed by Arrow (``pyarrow.compute``, whose import
costs 0.1 s once); fewer, by Python. Every record of 400 MB of gzip logs: 0.66 s of the
inserting thread in Python, while DuckDB's threads waited for the next statement."""


def _offsets(lengths: array) -> Any:
    """Arrow's offsets of strings of ``lengths`` laid back to back (64-bit: large_string), as a
    buffer."""
    import pyarrow as pa

    if len(lengths) < ARROW_SUM_RECORDS:
        offsets = array("q", [0])
        offsets.extend(accumulate(lengths))
        return pa.py_buffer(offsets)
    import pyarrow.compute as pc

    starting = array("q", [0]) + lengths  # each record's offset is the sum of the lengths before it
    return pc.cumulative_sum(pa.Array.from_buffers(pa.int64(), len(starting), [None, pa.py_buffer(starting)])).buffers()[1]
