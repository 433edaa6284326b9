"""Reading CloudTrail log files into the raw JSON text of the records to keep, in worker processes.

Each file is cut into records (:mod:`rootwatch.snapshot.cloudtrail_records`) and filtered:

* root activity (the default) keeps the records a byte search says *may* be root activity (they
  hold ``Root``, or a ``\\u`` escape that could spell it), parses those alone strictly (a
  duplicated key is an error, not a lost value) and keeps the ones :meth:`EventSelection.keeps`
  accepts, each checked to have a valid ``eventTime``; a few in a thousand records are parsed;
* every record (``all``) keeps them all, unparsed and unchecked but for their JSON syntax: DuckDB
  reads them, and rejects a record that is not UTF-8 or not an object (the load then names the
  file by reading it again with every check: :mod:`cloudtrail_load`).

:func:`scan` yields, per file, the kept records in parts and then whether the file was good. With
more than one worker the files are read by that many processes (spawned: the parent holds a
DuckDB instance and its threads, which a fork would copy mid-flight). A worker writes the record
text into shared memory (:mod:`cloudtrail_slots`) and sends where it lies through a queue; the
slots bound the memory between the workers and the parent however fast the parent inserts.
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from rootwatch.errors import Problem
from rootwatch.snapshot.cloudtrail_records import BadLogFile, Part, record_parts

PART_BYTES = 8 * 1024 * 1024
"""Kept record text sent from a worker at a time (a part never splits a record)."""
SLOT_BYTES = 3 * PART_BYTES
"""Room of a slot of shared memory (:mod:`cloudtrail_slots`): a message's record text, at least
:data:`PART_BYTES` and the part that passed it. A part that does not fit (a record longer than a
window) travels in the message itself."""
FILES_PER_MESSAGE = 64
"""A worker sends what it read of up to this many files at once (and at most about
:data:`PART_BYTES` of records): one message per file cost the parent more than the root records
of small files are worth."""


@dataclass(frozen=True)
class Kept:
    """Records of file ``index`` to insert: their texts back to back, and each one's length. From a
    worker process ``data`` is a view of shared memory, the consumer's until it asks for the next
    message (its slot is then handed back to the worker)."""

    index: int
    data: bytes | memoryview
    lengths: array


@dataclass(frozen=True)
class Done:
    """File ``index`` was read to its end: ``problem`` is None when it was good."""

    index: int
    problem: Problem | None


def scan_file(index: int, log_file: object, selection: object) -> Iterator[Kept | Done]:
    """The kept records of one file, in parts, then its Done (never raises for bad input)."""
    for found in _found_in_file(index, log_file, selection):
        yield found if isinstance(found, Done) else _kept(index, found)


def _found_in_file(index: int, log_file: object, selection: object) -> Iterator[list[bytes | msgspec.Raw] | Done]:
    """:func:`scan_file`'s parts as the records' texts, each where it was cut from (no copy yet)."""
    from rootwatch.snapshot.cloudtrail_logs import EventSelection, LogFile

    assert isinstance(log_file, LogFile) and isinstance(selection, EventSelection)
    keep_all = selection is EventSelection.ALL
    pending: list[bytes | msgspec.Raw] = []
    size = 0
    position = 0
    try:
        for part in record_parts(log_file.path, check_records=not keep_all):
            chosen = part.raws if keep_all else _root_records(log_file, part, position)
            position += len(part)
            pending += chosen
            size += sum(map(len, chosen))
            if size >= PART_BYTES:
                yield pending
                pending, size = [], 0
    except BadLogFile as exc:
        yield Done(index, exc.problem)
        return
    if pending:
        yield pending
    yield Done(index, None)


def _kept(index: int, records: list[bytes | msgspec.Raw]) -> Kept:
    # One copy of the record texts, out of the windows they were cut from (bytes.join takes views).
    return Kept(index, b"".join(records), array("q", map(len, records)))


ROOT_WORDS = (b"Root",)
"""Every root or AssumeRoot record holds these bytes, unless a ``\\u`` escape spells them."""


def _root_records(log_file: object, part: Part, first: int) -> list[bytes]:
    """The records of ``part`` (``Records[first]`` on) that are root activity.

    Only those holding ``Root`` (or an escape that could spell it) are parsed: a few in a
    thousand, found by one byte search over the window rather than a step per record.
    """
    from rootwatch.snapshot.cloudtrail_logs import EventSelection, kept_row

    kept = []
    for offset in part.holding(ROOT_WORDS + ((b"\\u",) if part.escaped else ())):
        raw = bytes(part.raws[offset])
        if kept_row(log_file, raw, first + offset, EventSelection.ROOT) is not None:  # type: ignore[arg-type]
            kept.append(raw)
    return kept


def scan(files: Sequence[object], selection: object, workers: int) -> Iterator[Kept | Done]:
    """Every file's parts and Done, files in no set order; ``workers`` processes (in this process
    when 1)."""
    if workers <= 1 or len(files) <= 1:
        for index, log_file in enumerate(files):
            yield from scan_file(index, log_file, selection)
        return
    yield from _scan_in_processes(files, selection, min(workers, len(files)))


def _scan_in_processes(files: Sequence[object], selection: object, workers: int) -> Iterator[Kept | Done]:
    from rootwatch.snapshot.cloudtrail_slots import SLOTS_PER_WORKER, Slots

    context = multiprocessing.get_context("spawn")
    tasks = context.Queue()
    results = context.Queue(maxsize=(SLOTS_PER_WORKER + 1) * workers)
    # Each file goes with its task, not in the workers' arguments: a worker's arguments are written
    # to it as it starts, and with 4,646 files (1.4 MB) the parent waited 0.2 s for each worker in
    # turn to start reading them.
    for index, log_file in enumerate(files):
        tasks.put((index, log_file))
    for _ in range(workers):
        tasks.put(None)
    slots = Slots(context, workers, SLOT_BYTES)
    processes: list[Any] = []
    try:
        processes += [context.Process(target=_work, args=(selection, tasks, results, slots.for_worker(worker)), daemon=True)
                      for worker in range(workers)]
        for process in processes:
            process.start()
        remaining = len(files)
        while remaining:
            try:
                sent = results.get(timeout=1.0)
            except queue.Empty:
                if not any(p.is_alive() for p in processes):
                    raise RuntimeError("the CloudTrail log readers stopped without a word") from None
                continue
            if isinstance(sent, str):
                raise RuntimeError(f"a CloudTrail log reader failed:\n{sent}")
            worker, slot, listed = sent
            for message in listed:
                if isinstance(message, _InSlot):
                    # The view is the consumer's until it asks for the next message.
                    message = Kept(message.index, slots.view(worker, slot, message.offset, message.size), message.lengths)
                elif isinstance(message, Done):
                    remaining -= 1
                yield message
            if slot is not None:
                slots.hand_back(worker)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            if process.pid is not None:
                process.join(timeout=5)
        results.cancel_join_thread()
        tasks.cancel_join_thread()
        slots.close()


@dataclass(frozen=True)
class _InSlot:
    """A Kept whose record text lies in the worker's slot that its message names: ``size`` bytes
    at ``offset``."""

    index: int
    offset: int
    size: int
    lengths: array


def _work(selection: object, tasks: multiprocessing.Queue, results: multiprocessing.Queue, slots: Any) -> None:
    """A worker: read the files of the tasks (index and file) until the sentinel, sending their
    messages in lists, the record texts of each list in a slot of its own; an unexpected error goes
    back as text."""
    import signal

    from rootwatch.snapshot.heap import keep_heap

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    keep_heap()  # the same windows allocated again and again: reused, not faulted in anew
    try:
        sender = _Sender(slots, results)
        while (task := tasks.get()) is not None:
            index, log_file = task
            for found in _found_in_file(index, log_file, selection):
                if isinstance(found, Done):
                    sender.add_done(found)
                else:
                    sender.add_records(index, found)
        sender.send()
    except BaseException:
        results.put(traceback.format_exc())


class _Sender:
    """A worker's list of messages being gathered, their record texts written into the slot it holds."""

    def __init__(self, slots: Any, results: multiprocessing.Queue) -> None:
        self.slots = slots
        self.results = results
        self.messages: list[Any] = []
        self.slot: int | None = None
        self.used = 0
        self.done = 0

    def add_done(self, done: Done) -> None:
        self.messages.append(done)
        self.done += 1
        self._send_when_full()

    def add_records(self, index: int, records: list[bytes | msgspec.Raw]) -> None:
        """Write ``records`` (of file ``index``) into the slot, straight from where they were cut."""
        lengths = array("q", map(len, records))
        size = sum(lengths)
        if size > self.slots.slot_bytes:
            self.send()
            self.results.put((self.slots.worker, None, [_kept(index, records)]))
            return
        if self.slot is not None and self.used + size > self.slots.slot_bytes:
            self.send()
        if self.slot is None:
            self.slot = self.slots.take()
        self.slots.write(self.slot, self.used, records)
        self.messages.append(_InSlot(index, self.used, size, lengths))
        self.used += size
        self._send_when_full()

    def _send_when_full(self) -> None:
        if self.used >= PART_BYTES or self.done >= FILES_PER_MESSAGE:
            self.send()

    def send(self) -> None:
        if self.messages:
            self.results.put((self.slots.worker, self.slot, self.messages))
        self.messages, self.slot, self.used, self.done = [], None, 0, 0
